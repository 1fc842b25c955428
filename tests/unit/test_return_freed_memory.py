"""After start-up, memory the model load freed goes back to the system (server.runtime.warm_up)."""

from __future__ import annotations

import os

from server.runtime.warm_up import return_freed_memory
from testkit.servers import rss_kib


def resident_mb() -> float:
    return rss_kib(os.getpid()) / 1024


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
