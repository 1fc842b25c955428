"""After start-up, memory the model load freed goes back to the system (server.runtime.warm_up)."""

from __future__ import annotations

from pathlib import Path

from server.runtime.warm_up import return_freed_memory


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_freed_heap_memory_is_returned() -> None:
    # 80 MB of 1 kB blocks on the C heap, then one block after them that stays: freeing
    # the rest leaves free pages inside the heap, which glibc keeps until trimmed.
    blocks = [bytes(1000) + bytes([i % 256]) for i in range(80_000)]
    keeper = bytes(1000) + b"k"
    del blocks
    before = resident_mb()
    assert return_freed_memory()
    assert before - resident_mb() > 40
    assert keeper.endswith(b"k")
