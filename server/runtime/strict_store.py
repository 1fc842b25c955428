"""The conversation log fails closed: an unreachable database is an error, never
a silent switch to memory.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`: when PostgreSQL
is down, `retrieve` returns None (so the visitor's conversation starts again
from nothing) and `save` writes to an in-memory store that nobody reads again.
The visitor gets a normal 200 reply and the turn is lost from the log without
a trace. With this hook the error reaches the input channel instead, which
answers 503 with `Retry-After` and the messages to show (the red-flag
escalation first when the text has warning signs: the admission pipeline,
server/channels/admission.py, which every channel uses); the client sends the turn again
once the database is back, and it is logged exactly once.

It also creates the SQL engine with `pool_pre_ping` (a connection broken by a
database restart is replaced before use, not failed on) and `hide_parameters`
(an SQL error message never quotes the visitor's text into the log).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import rasa.core.tracker_store as tracker_store
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from server.runtime.metrics import METRICS

logger = logging.getLogger(__name__)
_ORIGINAL = {name: getattr(FailSafeTrackerStore, name)
             for name in ("retrieve", "retrieve_full_tracker", "save", "keys")}
_ORIGINAL_KWARGS = tracker_store.create_engine_kwargs


def _failed(operation: str, error: Exception) -> None:
    METRICS.tracker_store_error(operation)
    # The exception type only: its message may quote SQL.
    logger.error("conversation log %s failed (%s): the turn is refused, not lost",
                 operation, type(error).__name__)


async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve(sender_id)
    except Exception as error:
        _failed("read", error)
        raise


async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str
                                ) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve_full_tracker(sender_id)
    except Exception as error:
        _failed("read", error)
        raise


async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    try:
        await self._tracker_store.save(tracker)
    except Exception as error:
        _failed("write", error)
        raise


async def keys(self: FailSafeTrackerStore) -> Iterable[str]:
    try:
        return await self._tracker_store.keys()
    except Exception as error:
        _failed("listing", error)
        raise


def engine_kwargs(url: Any) -> dict[str, Any]:
    kwargs = dict(_ORIGINAL_KWARGS(url))
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("hide_parameters", True)
    return kwargs


def install() -> None:
    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore
    FailSafeTrackerStore.save = save  # type: ignore[method-assign]
    FailSafeTrackerStore.keys = keys  # type: ignore[method-assign]
    tracker_store.create_engine_kwargs = engine_kwargs


def uninstall() -> None:
    for name, method in _ORIGINAL.items():
        setattr(FailSafeTrackerStore, name, method)
    tracker_store.create_engine_kwargs = _ORIGINAL_KWARGS
