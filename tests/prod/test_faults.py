"""A Rasa replica killed with SIGKILL while 20 conversations are running through
nginx: every turn is still answered (a client retries a 502, as the web widget's
visitor would by sending again), the conversations continue on the other
replica, and the log holds every turn exactly once, in order.

Not in `make test` yet (`make test-prod-faults`): a kill that lands between
Rasa's commit of a turn and its reply would make the retry a duplicate."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.prod.topology import ProdTopology

TURNS = ["hello", "what trainers should I buy for my back?", "how long should I hold a plank",
         "is it ok to run with back pain", "what stretches help", "tell me about core strength",
         "how often should I run", "thanks, bye"]


def test_replica_sigkill_under_load(topology: ProdTopology) -> None:
    answered = 0
    lock = threading.Lock()
    retries: list[int] = []

    def conversation(sender: str) -> None:
        nonlocal answered
        with requests.Session() as session:
            for text in TURNS:
                for _attempt in range(8):
                    resp = session.post(topology.rest_url, json={"sender": sender,
                                                                 "message": text}, timeout=120)
                    if resp.status_code in (502, 503, 504):
                        retries.append(resp.status_code)
                        time.sleep(0.5)
                        continue
                    assert resp.status_code == 200, (resp.status_code, resp.text[:200])
                    assert resp.json(), f"{sender}: {text!r} got no reply"
                    break
                else:
                    raise AssertionError(f"{sender}: {text!r} never answered")
                with lock:
                    answered += 1

    senders = [f"kill-{i}-{uuid.uuid4().hex[:6]}" for i in range(20)]
    victim = topology.child_pids()["rasa-1"]
    with ThreadPoolExecutor(len(senders)) as pool:
        futures = [pool.submit(conversation, s) for s in senders]
        while answered < 40:
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)
        killed_at = answered
        for future in futures:
            future.result()
    assert 0 < killed_at < len(senders) * len(TURNS)
    for sender in senders:
        assert topology.events(sender, ("user",)) == [("user", t) for t in TURNS], sender
    # After the kill nginx sends everything to the surviving replica.
    resp = requests.post(topology.rest_url, json={"sender": "after-kill", "message": "hello"},
                         timeout=60)
    assert resp.status_code == 200 and resp.json()
    print(f"killed after {killed_at} turns; {len(retries)} retried responses: {retries}")
