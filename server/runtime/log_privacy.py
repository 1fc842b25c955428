"""Visitor text never reaches the server log above debug level.

Rasa 3.6 logs through structlog, and some of its warning and error lines carry
what the visitor typed (`rest.message.received.timeout` logs the message at
ERROR). Rasa runs every structlog entry through `log_utils._anonymizer` first,
whose list of keys names exactly the fields that can hold visitor text; the
anonymisation itself is a Rasa Pro plugin. This hook puts our own processor in
that place: for entries logged at info level and above, each of those fields
becomes a placeholder that says only how long it was. Debug logs (`--debug`,
never on in production) keep the text for developers.

Rasa renders a logged exception with every frame's local variables
(structlog's `dict_tracebacks`), and those can hold slot values and messages;
this hook renders tracebacks without locals.

Not every line goes through structlog: Rasa's story reader raises a Python
`UserWarning` that quotes a whole message starting with `/`, and libraries log
through `logging` as they please. So the privacy rule is also kept at the
root: every message a channel receives is remembered (the last
RECENT_TEXTS, in memory only), `warnings` are captured into `logging`, and a
filter applied to every log record of every logger (the record factory, which
no handler configuration can bypass; also added to the root logger) replaces
any remembered visitor text in a record above debug with a placeholder.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from typing import Any

import rasa.utils.log_utils as log_utils
import structlog.processors
from structlog.tracebacks import ExceptionDictTransformer

REDACTED_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text",
    "parse_data_entities", "prediction_events", "tracker_latest_message", "prefilled_slots",
    "message", "response", "slot_candidates", "rasa_event", "rasa_events", "tracker_states",
    "current_states", "old_states", "successes", "current_entity", "next_entity", "states",
    "entity", "token_text", "user_message", "json_message", "metadata",
})
_ORIGINAL = log_utils._anonymizer
_ORIGINAL_TRACEBACKS = structlog.processors.dict_tracebacks
TRACEBACKS_WITHOUT_LOCALS = structlog.processors.ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False))


def placeholder(value: object) -> str:
    size = len(value) if isinstance(value, str | bytes | list | dict) else None
    return "[redacted]" if size is None else f"[redacted: {size} chars]" if isinstance(
        value, str | bytes) else f"[redacted: {size} items]"


def redact(_logger: object, method_name: str,
           event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: blank the visitor-text fields unless logging at debug."""
    if method_name != "debug":
        for key in REDACTED_KEYS.intersection(event_dict):
            event_dict[key] = placeholder(event_dict[key])
        for key, value in event_dict.items():
            if isinstance(value, str):
                event_dict[key] = scrub(value)
    return event_dict


# ---------------------------------------------------------------- any logger, any library

#: How many of the latest visitor messages are looked for in log lines.
RECENT_TEXTS = 2000
#: Shorter messages ("yes", "hi") are not looked for: too common to mean anything.
MIN_CHARS = 8
_INTENT_NAME = re.compile(r"^[\w.-]+$")
_recent: OrderedDict[str, None] = OrderedDict()
_recent_lock = threading.Lock()


def _forms(text: str) -> set[str]:
    """The ways a message can appear in a log line: as is, JSON- or repr-escaped, and
    (for a `/...` payload) the part Rasa's story reader quotes as an intent name."""
    forms = {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1],
             repr(text)[1:-1]}
    if text.startswith("/"):
        name = text[1:].split("{", 1)[0].split("@", 1)[0].strip()
        if not _INTENT_NAME.match(name):  # "/red_flag" must not hide "red_flag" everywhere
            forms.add(name)
    return {f for f in forms if len(f) >= MIN_CHARS}


def remember(text: object) -> None:
    """Note a visitor message, so that log lines quoting it can be scrubbed."""
    if not isinstance(text, str):
        return
    text = text.strip()
    if len(text) < MIN_CHARS:
        return
    with _recent_lock:
        for form in _forms(text):
            _recent[form] = None
            _recent.move_to_end(form)
        while len(_recent) > RECENT_TEXTS * 4:
            _recent.popitem(last=False)


def forget_all() -> None:
    with _recent_lock:
        _recent.clear()


def scrub(message: str) -> str:
    """`message` with every remembered visitor text replaced by a placeholder."""
    if not _recent or len(message) < MIN_CHARS:
        return message
    with _recent_lock:
        forms = [f for f in _recent if f in message]
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, placeholder(form))
    return message


class VisitorTextFilter(logging.Filter):
    """Scrubs remembered visitor text out of every record above debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG or not _recent:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own handling
            return True
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


FILTER = VisitorTextFilter()
_ORIGINAL_FACTORY: Callable[..., logging.LogRecord] | None = None
_ORIGINAL_USER_MESSAGE_INIT: Callable[..., None] | None = None


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _ORIGINAL_FACTORY is not None
    record = _ORIGINAL_FACTORY(*args, **kwargs)
    FILTER.filter(record)
    return record


def _install_root() -> None:
    global _ORIGINAL_FACTORY, _ORIGINAL_USER_MESSAGE_INIT
    from rasa.core.channels.channel import UserMessage

    if _ORIGINAL_FACTORY is None:
        _ORIGINAL_FACTORY = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_record_factory)
    root = logging.getLogger()
    if FILTER not in root.filters:
        root.addFilter(FILTER)
    logging.captureWarnings(True)
    if _ORIGINAL_USER_MESSAGE_INIT is None:
        original = UserMessage.__init__
        _ORIGINAL_USER_MESSAGE_INIT = original

        def init(self: UserMessage, text: str | None = None, *args: Any, **kwargs: Any
                 ) -> None:
            remember(text)
            original(self, text, *args, **kwargs)

        UserMessage.__init__ = init  # type: ignore[method-assign]


def _uninstall_root() -> None:
    global _ORIGINAL_FACTORY, _ORIGINAL_USER_MESSAGE_INIT
    from rasa.core.channels.channel import UserMessage

    if _ORIGINAL_FACTORY is not None:
        logging.setLogRecordFactory(_ORIGINAL_FACTORY)
        _ORIGINAL_FACTORY = None
    logging.getLogger().removeFilter(FILTER)
    logging.captureWarnings(False)
    if _ORIGINAL_USER_MESSAGE_INIT is not None:
        UserMessage.__init__ = _ORIGINAL_USER_MESSAGE_INIT  # type: ignore[method-assign]
        _ORIGINAL_USER_MESSAGE_INIT = None
    forget_all()


def install() -> None:
    """Take the place of Rasa's anonymiser before Rasa configures structlog, and
    scrub visitor text from every logger's records (warnings included)."""
    log_utils._anonymizer = redact  # type: ignore[assignment]
    structlog.processors.dict_tracebacks = TRACEBACKS_WITHOUT_LOCALS
    _install_root()


def uninstall() -> None:
    log_utils._anonymizer = _ORIGINAL
    structlog.processors.dict_tracebacks = _ORIGINAL_TRACEBACKS
    _uninstall_root()
