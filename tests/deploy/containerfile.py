"""Read deploy/container/Containerfile offline and check it (no container engine here).

`violations(text)` returns one line per broken rule, so a test can feed it a broken copy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from deploy.container.entrypoint import PORTS

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "deploy" / "container" / "Containerfile"
ENTRYPOINT = ["/app/.venv/bin/python", "-m", "deploy.container.entrypoint"]
#: Final image targets and the port each listens on.
TARGETS = {**PORTS, "widget": 8080}
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|JWT|_KEYS?\b|DATABASE_URL|RABBITMQ_URL", re.I)


@dataclass
class Stage:
    base: str
    name: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, rest)

    def args(self, instruction: str) -> list[str]:
        return [rest for ins, rest in self.lines if ins == instruction]


def parse(text: str) -> list[Stage]:
    """Stages in order; continuation lines joined, comments dropped."""
    joined, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        joined.append(buf + line)
        buf = ""
    stages: list[Stage] = []
    for line in joined:
        ins, _, rest = line.partition(" ")
        ins, rest = ins.upper(), " ".join(rest.split())
        if ins == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else ""
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].lines.append((ins, rest))
    return stages


def chain(stages: list[Stage], name: str) -> list[Stage]:
    """The stage `name` and the stages it is built FROM, base first."""
    by_name = {s.name: s for s in stages}
    out = [by_name[name]]
    while out[0].base in by_name:
        out.insert(0, by_name[out[0].base])
    return out


def effective(stages: list[Stage], name: str, instruction: str) -> str | None:
    """The last value of USER / CMD / ENTRYPOINT in the stage's chain."""
    values = [v for s in chain(stages, name) for v in s.args(instruction)]
    return values[-1] if values else None


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
        user = (effective(stages, target, "USER") or "root").split(":")[0]
        if user in ("root", "0"):
            problems.append(f"{target}: runs as root (USER missing or 0)")
        if str(port) not in " ".join(v for s in chain(stages, target) for v in s.args("EXPOSE")):
            problems.append(f"{target}: EXPOSE {port} missing")
        if target in PORTS:
            entry = json.loads(effective(stages, target, "ENTRYPOINT") or "[]")
            cmd = json.loads(effective(stages, target, "CMD") or "[]")
            if entry + cmd != [*ENTRYPOINT, target]:
                problems.append(f"{target}: must run {ENTRYPOINT + [target]}, not {entry + cmd}")
    runs = [r for s in stages for r in s.args("RUN")]
    copies = [c for s in stages for c in s.args("COPY")]
    if not any("constraints.txt" in c.split()[:-1] for c in copies):
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
