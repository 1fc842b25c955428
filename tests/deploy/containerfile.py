"""Read deploy/container/Containerfile offline and check it (no container engine here).

`violations(text)` returns one line per broken rule, so a test can feed it a broken copy.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from deploy.container.entrypoint import PORTS

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "deploy" / "container" / "Containerfile"
ENTRYPOINT = ["/app/.venv/bin/python", "-m", "deploy.container.entrypoint"]
#: Final image targets and the port each listens on.
TARGETS = {**PORTS, "widget": 8080}
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|JWT|_KEYS?\b|DATABASE_URL|RABBITMQ_URL", re.I)


PARSER = [str(REPO / ".venv-deploy" / "bin" / "python"),
          str(REPO / "scripts" / "parse_containerfile.py")]


class ParseError(Exception):
    """BuildKit's parser refused the file."""


@dataclass
class Stage:
    base: str
    name: str
    lines: list[tuple[str, list[str]]] = field(default_factory=list)  # (INSTRUCTION, value)

    def args(self, instruction: str) -> list[str]:
        return [" ".join(value) for ins, value in self.lines if ins == instruction]

    def values(self, instruction: str) -> list[list[str]]:
        return [value for ins, value in self.lines if ins == instruction]


def parse(text: str) -> list[Stage]:
    """Stages in order, as BuildKit's own parser reads them (scripts/parse_containerfile.py
    in .venv-deploy)."""
    assert Path(PARSER[0]).exists(), "no .venv-deploy: run `make test-deploy`"
    result = subprocess.run(PARSER, input=text, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ParseError(result.stderr.strip())
    stages: list[Stage] = []
    for command in json.loads(result.stdout):
        ins, value = command["cmd"], command["value"]
        if ins in ("CMD", "ENTRYPOINT") and not command["json"]:
            value = ["/bin/sh", "-c", " ".join(value)]  # what an engine runs for shell form
        if ins == "FROM":
            name = value[2] if len(value) > 2 and value[1].upper() == "AS" else ""
            stages.append(Stage(value[0], name))
        elif stages:
            stages[-1].lines.append((ins, value))
    return stages


def chain(stages: list[Stage], name: str) -> list[Stage]:
    """The stage `name` and the stages it is built FROM, base first."""
    by_name = {s.name: s for s in stages}
    out = [by_name[name]]
    while out[0].base in by_name:
        out.insert(0, by_name[out[0].base])
    return out


def effective(stages: list[Stage], name: str, instruction: str) -> list[str]:
    """The last value of USER / CMD / ENTRYPOINT in the stage's chain ([] if none)."""
    values = [v for s in chain(stages, name) for v in s.values(instruction)]
    return values[-1] if values else []


def violations(text: str) -> list[str]:
    stages = parse(text)
    names = {s.name for s in stages}
    problems = []
    for s in stages:
        if s.base in names:
            continue
        tag = s.base.rsplit("/", 1)[-1]
        if "@sha256:" not in s.base and (":" not in tag or tag.endswith(":latest")):
            problems.append(f"FROM {s.base}: pin the base image by a tag other than latest")
        for ins in ("ENV", "ARG"):
            for rest in s.args(ins):
                if SECRETISH.search(rest):
                    problems.append(f"{s.name}: {ins} {rest!r} looks like a secret")
        for rest in s.args("COPY"):
            if re.search(r"(^|\s)(\.env|var/|\.venv)", rest):
                problems.append(f"{s.name}: COPY {rest!r} copies local state or secrets")
    for target, port in TARGETS.items():
        if target not in names:
            problems.append(f"no target {target}")
            continue
        user = (effective(stages, target, "USER") or ["root"])[0].split(":")[0]
        if user in ("root", "0"):
            problems.append(f"{target}: runs as root (USER missing or 0)")
        if str(port) not in " ".join(v for s in chain(stages, target) for v in s.args("EXPOSE")):
            problems.append(f"{target}: EXPOSE {port} missing")
        if target in PORTS:
            entry = effective(stages, target, "ENTRYPOINT")
            cmd = effective(stages, target, "CMD")
            if entry + cmd != [*ENTRYPOINT, target]:
                problems.append(f"{target}: must run {ENTRYPOINT + [target]}, not {entry + cmd}")
    runs = [r for s in stages for r in s.args("RUN")]
    if not any("constraints.txt" in v[:-1] for s in stages for v in s.values("COPY")):
        problems.append("constraints.txt is not copied in")
    if not any("pip install" in r and "-r requirements.txt -c constraints.txt" in r for r in runs):
        problems.append("no `pip install -r requirements.txt -c constraints.txt`")
    for target in ("make .stamps/venv", "make train", "make web-build"):
        if not any(target in r for r in runs):
            problems.append(f"the images are not built with `{target}`")
    if "rasa" in names and not any("models/sciaticalm.tar.gz" in c
                                   for c in chain(stages, "rasa")[-1].args("COPY")):
        problems.append("rasa: the trained model is not copied in")
    return problems
