"""Exports of a filtered set of conversations, transcripts included (streamed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Engine

from staff_console import queries, transcript
from staff_console.filters import Filters

CSV_COLUMNS = [
    "sender_id", "session", "time_utc", "kind", "text", "intent", "confidence", "entities",
    "name", "value", "channel", "triage_level", "red_flags", "reviewed", "tags",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab and newline, DEL and C1 controls: a NUL makes Python's csv
# writer fail (the REST channel stores whatever the visitor sent), the others
# garble a spreadsheet. Line and paragraph separators would split a CSV line.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


def strip_controls(text: str) -> str:
    """`text` without control characters (carriage returns become newlines)."""
    return CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean(value: Any) -> Any:
    """A JSON-ready value with control characters stripped from every string in it."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def safe_cell(value: Any) -> str:
    """Text for a CSV cell: control characters stripped, and cells that a
    spreadsheet would run as a formula quoted."""
    text = "" if value is None else strip_controls(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def _batches(engine: Engine, f: Filters, low_confidence: float
             ) -> Iterator[tuple[queries.ConversationRow, list[transcript.Session]]]:
    with engine.connect() as conn:
        for rows in queries.iter_conversations(conn, f, low_confidence=low_confidence):
            events = transcript.load_many(conn, [r.sender_id for r in rows])
            for r in rows:
                yield r, transcript.build(events.get(r.sender_id, []), low_confidence)


def csv_stream(engine: Engine, f: Filters, low_confidence: float = 0.5) -> Iterator[str]:
    """One CSV row per transcript item, with the conversation's columns repeated."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for conv, sessions in _batches(engine, f, low_confidence):
        for session in sessions:
            for item in session.items:
                writer.writerow([safe_cell(v) for v in (
                    conv.sender_id, session.number, iso(item.ts), item.kind, item.text,
                    item.intent, "" if item.confidence is None else f"{item.confidence:.4f}",
                    json.dumps(item.entities) if item.entities else "",
                    item.name, "" if item.value is None else json.dumps(item.value),
                    item.channel or conv.channel, conv.triage_level or "",
                    " ".join(conv.red_flags), "yes" if conv.reviewed else "no",
                    " ".join(conv.tags),
                )])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def conversation_json(conv: queries.ConversationRow, sessions: list[transcript.Session]
                      ) -> dict[str, Any]:
    out = conv.as_dict()
    out["first_activity"] = iso(conv.first_ts)
    out["last_activity"] = iso(conv.last_ts)
    out["reviewed_at"] = iso(conv.reviewed_at) or None
    out["sessions"] = [
        {"number": s.number, "started": iso(s.started),
         "transcript": [dict(i.as_dict(), time_utc=iso(i.ts)) for i in s.items]}
        for s in sessions
    ]
    return out


def json_stream(engine: Engine, f: Filters, low_confidence: float = 0.5) -> Iterator[str]:
    """A JSON document {"filters": ..., "conversations": [...]}, streamed."""
    yield '{"filters": ' + json.dumps(f.args(page=1)) + ', "conversations": ['
    first = True
    for conv, sessions in _batches(engine, f, low_confidence):
        yield ("" if first else ",\n") + json.dumps(clean(conversation_json(conv, sessions)))
        first = False
    yield "]}\n"
