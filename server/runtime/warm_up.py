"""The first visitor after a start gets an ordinary turn, not the start-up's leftovers.

Rasa loads the model at start-up but leaves work for the first messages:
TensorFlow traces the intent classifier's and the dialogue policy's prediction
functions on first use, the reply validator is built on the first custom action,
and the message readers build their look-up tables on first use. Measured by
`make bench-assistant`, the first two answers after a start took 265 and 135 ms
where the next ones took about 45 (docs/performance.md).

This hook does that work while Rasa starts, before it accepts connections: it
parses WARM_UP_TEXTS through the whole NLU pipeline, in a throwaway conversation,
and predicts the next action after each. Nothing is saved to the conversation log, sent to
the action server or the event broker, or counted in /metrics. A failure is
logged and start-up goes on: the warm-up only saves time.

Then it hands the memory that loading freed back to the system (glibc keeps freed
heap by default): the model load's transient copies, about 35 MB of resident
memory per Rasa process, measured with the agent loaded in process.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.runtime import action_schema

logger = logging.getLogger(__name__)

#: A greeting and a runner's question with a situation, a topic and a follow-up
#: word in it, so that every component of the pipeline does its first-use work.
WARM_UP_TEXTS = ("hello", "I upped my mileage and my lower back aches after long runs, "
                          "which stretches help and how long should I hold them?")
WARM_UP_SENDER = "sciaticalm-warm-up"

_ORIGINAL: dict[str, Callable[..., Awaitable[Agent]]] = {}


async def warm_up(agent: Agent) -> int:
    """Parse each warm-up text and predict an action after it; the number of texts done."""
    processor = agent.processor
    if processor is None:
        return 0
    action_schema.response_validator()
    done = 0
    for text in WARM_UP_TEXTS:
        # A conversation that exists only here: the readers skip a message without one.
        tracker = DialogueStateTracker.from_events(
            WARM_UP_SENDER, [ActionExecuted(ACTION_LISTEN_NAME)], slots=processor.domain.slots)
        parse = await processor.parse_message(UserMessage(text, sender_id=WARM_UP_SENDER),
                                              tracker)
        tracker.update(UserUttered(text, parse.get("intent"), parse.get("entities"), parse))
        processor.predict_next_with_tracker(tracker)
        done += 1
    return done


def return_freed_memory() -> bool:
    """glibc's malloc_trim(0); False where the C library is not glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


async def load_and_warm_up(*args: Any, **kwargs: Any) -> Agent:
    """Rasa's `load_agent_on_start`, then the warm-up (never fatal)."""
    agent = await _ORIGINAL["load"](*args, **kwargs)
    try:
        done = await warm_up(agent)
        logger.info("Warm-up done: %d messages through the pipeline.", done)
    except Exception:  # noqa: BLE001 - a failed warm-up must not stop the server
        logger.warning("Warm-up failed; the first messages will be slower.", exc_info=True)
    return_freed_memory()
    return agent


def install() -> None:
    import rasa.core.run

    if "load" not in _ORIGINAL:
        _ORIGINAL["load"] = rasa.core.run.load_agent_on_start
        rasa.core.run.load_agent_on_start = load_and_warm_up  # type: ignore[assignment]


def uninstall() -> None:
    import rasa.core.run

    if "load" in _ORIGINAL:
        rasa.core.run.load_agent_on_start = _ORIGINAL.pop("load")  # type: ignore[assignment]
