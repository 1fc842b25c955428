"""Where a turn's CPU goes: the Rasa agent in process (no HTTP, in-memory
tracker store) answering the load tests' 10-turn conversation, under cProfile.

Starts its own action server, then runs the same conversations twice: with
Rasa as shipped and with the runtime hooks (server.runtime) installed.
Prints CPU ms per turn for each and the functions that cost the most.
Run with `make profile` (needs a trained model). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rasa.core.agent import Agent, load_agent  # noqa: E402
from rasa.core.utils import AvailableEndpoints  # noqa: E402
from rasa.utils.common import configure_logging_and_warnings  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from actions import action_server_command  # noqa: E402
from server.runtime import action_schema, install  # noqa: E402
from testkit.load import TURNS  # noqa: E402
from testkit.servers import free_port  # noqa: E402


async def cpu_per_turn(agent: Agent, conversations: int, tag: str,
                       profile: cProfile.Profile | None) -> float:
    for text in TURNS:  # warm up (TensorFlow traces its functions on first use)
        await agent.handle_text(text, sender_id=f"warm-{tag}")
    cpu = time.process_time()
    if profile:
        profile.enable()
    for i in range(conversations):
        for text in TURNS:
            await agent.handle_text(text, sender_id=f"{tag}-{i}")
    if profile:
        profile.disable()
    return (time.process_time() - cpu) / (conversations * len(TURNS)) * 1000


async def main(args: argparse.Namespace, actions_url: str) -> None:
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = await load_agent(model_path=str(REPO / "models/sciaticalm.tar.gz"),
                             endpoints=AvailableEndpoints(action=EndpointConfig(actions_url)))
    plain = await cpu_per_turn(agent, args.conversations, "plain", None)
    install()
    hooked = await cpu_per_turn(agent, args.conversations, "hooked", None)
    action_schema.uninstall()
    print(f"CPU per turn, Rasa server process ({args.conversations} conversations of "
          f"{len(TURNS)} turns): as shipped {plain:.1f} ms; with server.runtime "
          f"{hooked:.1f} ms")
    install()
    profile = cProfile.Profile()
    await cpu_per_turn(agent, args.conversations, "profiled", profile)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    port = free_port()
    actions = subprocess.Popen(
        action_server_command(str(REPO / ".venv/bin/python"), port), cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "action server did not start"
                time.sleep(0.5)
        asyncio.run(main(arguments, f"http://127.0.0.1:{port}/webhook"))
    finally:
        actions.terminate()
        actions.wait(30)
