"""The layout follows the processes: `sciaticalm/` is pure logic (no Rasa, no web
server), what runs in the Rasa server lives in `server/`, scripts use `testkit/`
and never `tests/`, and `deploy/` holds configuration and the supervisor only."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from testkit.servers import REPO

SERVER_ONLY = {"rasa", "rasa_sdk", "sanic", "aiogram", "twilio", "fbmessenger", "socketio",
               "engineio"}


def imported(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (at any depth of the code)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_sciaticalm_is_pure() -> None:
    found = {str(p.relative_to(REPO)): sorted(imported(p) & SERVER_ONLY)
             for p in sorted((REPO / "sciaticalm").rglob("*.py"))}
    assert {p: names for p, names in found.items() if names} == {}


def test_scripts_never_import_tests() -> None:
    users = [str(p.relative_to(REPO)) for p in sorted((REPO / "scripts").glob("*.py"))
             if "tests" in imported(p)]
    assert users == []


def test_deploy_holds_configuration_and_the_supervisor_only() -> None:
    files = {p.name for p in (REPO / "deploy").iterdir() if p.is_file()}
    assert files == {"__init__.py", "launch.py", "credentials.prod.yml",
                     "endpoints.prod.yml", "nginx.conf.template"}


def test_the_readme_layout_table_names_every_top_level_entry() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    top = {path.split("/")[0] for path in tracked if not path.startswith(".")}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Project layout", 1)[1].split("\n## ", 1)[0]
    named = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            for ref in row.split("|")[1].split("`")[1::2]:
                named.add(ref.split("/")[0].split("*")[0])
    missing = {t for t in top if t not in named and not t.endswith(".md")}
    assert missing == set(), missing
    assert {n for n in named if n and not (REPO / n).exists()} == set()


def test_the_action_server_loads_neither_spacy_nor_tensorflow() -> None:
    """The actions and the action server's plugins import only light modules (the triage
    package loads its detector on first use), so the action server stays a small process."""
    import sys

    code = ("import importlib, pkgutil, sys, actions, rasa_sdk.plugin\n"
            "for m in pkgutil.iter_modules(actions.__path__):\n"
            "    importlib.import_module('actions.' + m.name)\n"
            "rasa_sdk.plugin.plugin_manager()\n"  # imports rasa_sdk_plugins (metrics, warm_up)
            "assert {'rasa_sdk_plugins.metrics', 'rasa_sdk_plugins.warm_up'} <= set(sys.modules)\n"
            "heavy = ('spacy', 'tensorflow', 'thinc', 'rasa', 'onnxruntime', 'onnx')\n"
            "print(sorted(n for n in heavy if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_every_topology_starts_the_action_server_with_the_sdk_alone() -> None:
    """`rasa run actions` would import Rasa and TensorFlow into the action server."""
    places = [REPO / "Procfile", REPO / "deploy" / "launch.py", REPO / "testkit" / "servers.py",
              *(REPO / "scripts").glob("*.py"), *(REPO / "mk").glob("*.mk")]
    for path in places:
        assert "run actions" not in path.read_text(encoding="utf-8"), path
        assert '"run", "actions"' not in path.read_text(encoding="utf-8"), path
    assert "-m rasa_sdk --actions actions" in (REPO / "Procfile").read_text(encoding="utf-8")


def test_the_assessment_slots_are_one_list() -> None:
    """The form's required slots in domain.yml are the answer parsers' slots, in order."""
    import yaml

    from sciaticalm.answers import PARSERS

    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    assert domain["forms"]["assessment_form"]["required_slots"] == list(PARSERS)


def test_only_the_form_validator_is_sent_the_domain() -> None:
    """Every endpoints file turns on Rasa's selective domain: the whole domain was
    serialised into every action call, though only `validate_*` actions read it."""
    import yaml

    for name in ("endpoints.yml", "endpoints.postgres.yml", "deploy/endpoints.prod.yml"):
        endpoints = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
        assert endpoints["action_endpoint"]["enable_selective_domain"] is True, name
    assert "enable_selective_domain: true" in (REPO / "testkit/servers.py").read_text()
