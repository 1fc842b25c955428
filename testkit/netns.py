"""Linux network namespaces as "hosts" for the multi-host test (iproute2's `ip`).

Each host is a namespace with its own loopback and one veth link to a switch (a
bridge in its own namespace, so the root namespace has no address on it); the
test client in the root namespace gets a separate point-to-point link to the
one host it may reach. Needs root. Every name starts with a prefix, so a run
can remove what an earlier, killed run left behind (`remove_stale`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence

IP = shutil.which("ip") or "/usr/sbin/ip"


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    """Run `ip [-n NETNS] ARGS...`; its output."""
    command = [IP, *(("-n", netns) if netns else ()), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


def unavailable() -> str | None:
    """Why namespaces cannot be used here (not root, no `ip`, no netns), or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and veth links)"
    if not os.path.exists(IP):
        return "iproute2's `ip` is not installed (`make test-multihost` installs it)"
    probe = f"sciaticalm-probe-{os.getpid()}"
    try:
        ip("netns", "add", probe)
    except (RuntimeError, OSError) as exc:
        return f"network namespaces are not available: {exc}"
    ip("netns", "del", probe, check=False)
    return None


def exec_prefix(netns: str) -> list[str]:
    """The command prefix that runs a program inside `netns`."""
    return [IP, "netns", "exec", netns]


def namespaces() -> list[str]:
    """Names of the existing network namespaces."""
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def add_namespace(netns: str) -> None:
    """A new namespace with its loopback up (and nothing else)."""
    ip("netns", "add", netns)
    ip("link", "set", "lo", "up", netns=netns)


def pids(netns: str) -> list[int]:
    """Processes running in `netns`."""
    return [int(p) for p in ip("netns", "pids", netns, check=False).split()]


def delete_namespace(netns: str) -> None:
    """SIGKILL whatever still runs in it, then delete it (its veth ends go with it,
    and so do their peers)."""
    for _ in range(3):
        running = pids(netns)
        if not running:
            break
        for pid in running:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    ip("netns", "del", netns, check=False)


def remove_stale(prefix: str, root_links: Sequence[str] = ()) -> list[str]:
    """Delete every namespace whose name starts with `prefix`, and the given links
    of the root namespace; the namespaces removed."""
    stale = [n for n in namespaces() if n.startswith(prefix)]
    for netns in stale:
        delete_namespace(netns)
    for link in root_links:
        ip("link", "del", link, check=False)
    return stale


def add_bridge(netns: str, name: str) -> None:
    ip("link", "add", name, "type", "bridge", netns=netns)
    ip("link", "set", name, "up", netns=netns)


def add_veth(end_a: str, netns_a: str | None, end_b: str, netns_b: str | None) -> None:
    """A veth pair, each end created straight in its namespace (None: the root
    namespace), so its name only has to be free there."""
    args = ["link", "add", end_a, *(("netns", netns_a) if netns_a else ()), "type", "veth",
            "peer", "name", end_b, *(("netns", netns_b) if netns_b else ())]
    ip(*args)


def attach(netns: str, link: str, bridge: str) -> None:
    """Put `link` on the bridge `bridge` and bring it up."""
    ip("link", "set", link, "master", bridge, netns=netns)
    ip("link", "set", link, "up", netns=netns)


def address(netns: str | None, link: str, cidr: str) -> None:
    """Give `link` the address `cidr` (e.g. "10.0.0.2/24") and bring it up."""
    ip("addr", "add", cidr, "dev", link, netns=netns)
    ip("link", "set", link, "up", netns=netns)


def set_link(netns: str | None, link: str, up: bool) -> None:
    """`ip link set LINK up|down`: down cuts the host off the wire."""
    ip("link", "set", link, "up" if up else "down", netns=netns)


def addresses(netns: str) -> list[str]:
    """The IPv4 addresses (with prefix length) in `netns`, loopback included."""
    out = ip("-4", "-o", "addr", "show", netns=netns)
    return [line.split()[3] for line in out.splitlines() if line.strip()]
