"""The Makefile: `make help` lists every target, and the sudo / apt-get / port-wait
idioms are defined once (in the Makefile) and used by every file in mk/."""

from __future__ import annotations

import re
import subprocess

from testkit.servers import REPO

MAKEFILES = [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]


def named_targets() -> set[str]:
    names: set[str] = set()
    for path in MAKEFILES:
        names |= set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", path.read_text(), re.M))
    return names


def test_make_help_lists_every_target_with_a_description() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    listed = {}
    for line in out.splitlines():
        name, _, description = line.strip().partition(" ")
        listed[name] = description.strip()
    assert named_targets() - set(listed) == set()
    assert all(listed.values()), listed
    assert len(listed) >= 35


def test_sudo_apt_and_port_wait_are_written_once() -> None:
    for idiom in ("apt-get install", "/dev/tcp/", "id -u", "seq 1"):
        places = [p.name for p in MAKEFILES if idiom in p.read_text()]
        assert places == ["Makefile"], (idiom, places)
