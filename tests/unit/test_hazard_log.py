"""The clinical hazard log stays true: every control names tests, and every named test exists."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LOG = REPO / "docs" / "clinical-safety" / "hazard-log.yml"
LEVELS = {"severity": ["minor", "significant", "considerable", "major", "catastrophic"],
          "likelihood": ["very low", "low", "medium", "high", "very high"]}


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name.startswith("test_")}


def test_every_control_names_tests_that_exist() -> None:
    hazards = yaml.safe_load(LOG.read_text(encoding="utf-8"))["hazards"]
    assert len(hazards) >= 8
    missing = []
    for hazard in hazards:
        assert hazard["controls"], hazard["id"]
        for control in hazard["controls"]:
            assert control["tests"], (hazard["id"], control["control"])
            for test_id in control["tests"]:
                file, _, name = test_id.partition("::")
                path = REPO / file
                if not path.exists() or name not in defined_tests(path):
                    missing.append((hazard["id"], test_id))
    assert not missing, missing


def test_every_hazard_is_rated_before_and_after() -> None:
    for hazard in yaml.safe_load(LOG.read_text(encoding="utf-8"))["hazards"]:
        for when in ("before", "after"):
            rating = hazard[when]
            assert rating["severity"] in LEVELS["severity"], hazard["id"]
            assert rating["likelihood"] in LEVELS["likelihood"], hazard["id"]
            assert 1 <= rating["risk"] <= 5, hazard["id"]
        assert hazard["after"]["risk"] <= hazard["before"]["risk"], hazard["id"]
        for key in ("title", "cause", "effect"):
            assert hazard[key].strip(), hazard["id"]
