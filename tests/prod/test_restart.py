"""Stop the whole production topology mid-conversation (Ctrl-C of the launcher),
start it again: the conversation continues exactly as one that never stopped.
Its own topology (two start-ups): `make test-prod-restart`, not in `make test`
(2.5 to 4 minutes on this shared 2-core machine)."""

from __future__ import annotations

import uuid

from tests.prod.test_prod import say
from tests.prod.topology import ProdTopology


def test_conversation_continues_after_everything_restarts(topology: ProdTopology) -> None:
    control, restarted = f"ctl-{uuid.uuid4().hex[:8]}", f"rst-{uuid.uuid4().hex[:8]}"
    steps = ["help me find the root cause", '/inform{"emergency_screen": "no"}',
             "no none of those"]
    for sender in (control, restarted):
        intro = say(topology, sender, steps[0])
        assert "safety check" in "\n".join(r.get("text") or "" for r in intro)
    say(topology, control, steps[1])
    expected_next = say(topology, control, steps[2])
    before = topology.events(restarted)

    topology.stop()
    topology.start()

    assert topology.events(restarted) == before  # nothing lost or duplicated by the restart
    say(topology, restarted, steps[1])
    after = say(topology, restarted, steps[2])
    strip = [{k: v for k, v in r.items() if k != "recipient_id"} for r in after]
    assert strip == [{k: v for k, v in r.items() if k != "recipient_id"} for r in expected_next]
    assert topology.events(restarted, ("user",)) == [("user", s) for s in steps]
