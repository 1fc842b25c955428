"""The conversation filter: parsed from query-string arguments (pure logic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlencode

TRIAGE_CHOICES = ("", "escalated", "emergency", "urgent", "none")
FAILURE_CHOICES = ("", "any", "fallback", "low_confidence")
ASSESSMENT_CHOICES = ("", "completed", "not_completed")
REVIEW_CHOICES = ("", "reviewed", "unreviewed")
SORT_CHOICES = ("recent", "queue")
MAX_TEXT = 200
#: Dates outside these bounds are refused (their arithmetic would overflow, and
#: no conversation is older than the first or younger than the last).
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)


@dataclass(frozen=True)
class Filters:
    """What the staff member asked to see. Every field is optional."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""
    triage: str = ""
    intent: str = ""
    failures: str = ""
    confidence_below: float | None = None
    assessment: str = ""
    review: str = ""
    tag: str = ""
    q: str = ""
    sort: str = "recent"
    page: int = 1
    errors: tuple[str, ...] = field(default=(), compare=False)

    def args(self, **changes: object) -> dict[str, str]:
        """The non-default fields as query-string arguments (for links and forms)."""
        current = replace(self, **changes) if changes else self
        out: dict[str, str] = {}
        for f in fields(current):
            if f.name == "errors":
                continue
            value = getattr(current, f.name)
            if value in (None, "", f.default):
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def query_string(self, **changes: object) -> str:
        return urlencode(self.args(**changes))

    @property
    def active(self) -> bool:
        return bool(self.args(page=1, sort="recent"))


def _choice(value: str, choices: tuple[str, ...], name: str, errors: list[str]) -> str:
    if value in choices:
        return value
    errors.append(f"Unknown {name}: ignored.")
    return choices[0]


def _date(value: str, name: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{name} is not a date (YYYY-MM-DD): ignored.")
        return None
    if not MIN_DATE <= day <= MAX_DATE:
        errors.append(f"{name} must be between {MIN_DATE} and {MAX_DATE}: ignored.")
        return None
    return day


def parse_filters(args: Mapping[str, str], default_confidence: float = 0.5) -> Filters:
    """Build Filters from request arguments; bad values are dropped with a message."""
    errors: list[str] = []

    def text(name: str) -> str:
        return (args.get(name) or "").strip()[:MAX_TEXT]

    confidence: float | None = None
    raw_conf = text("confidence_below")
    if raw_conf:
        try:
            confidence = float(raw_conf)
            if not 0.0 <= confidence <= 1.0:
                raise ValueError
        except ValueError:
            errors.append("Confidence threshold must be between 0 and 1: ignored.")
            confidence = None
    try:
        page = max(1, min(int(text("page") or 1), 100_000))
    except ValueError:
        page = 1
    date_from = _date(text("date_from"), "From", errors)
    date_to = _date(text("date_to"), "To", errors)
    if date_from and date_to and date_from > date_to:
        errors.append("From is after To: dates swapped.")
        date_from, date_to = date_to, date_from
    return Filters(
        date_from=date_from,
        date_to=date_to,
        channel=text("channel"),
        triage=_choice(text("triage"), TRIAGE_CHOICES, "triage level", errors),
        intent=text("intent"),
        failures=_choice(text("failures"), FAILURE_CHOICES, "failure filter", errors),
        confidence_below=confidence,
        assessment=_choice(text("assessment"), ASSESSMENT_CHOICES, "assessment filter", errors),
        review=_choice(text("review"), REVIEW_CHOICES, "review status", errors),
        tag=text("tag").lower(),
        q=text("q"),
        sort=_choice(text("sort") or "recent", SORT_CHOICES, "sort order", errors),
        page=page,
        errors=tuple(errors),
    )


#: The query-string keys a filter is read from; any other key is ignored.
FILTER_KEYS = frozenset(f.name for f in fields(Filters) if f.name != "errors")


def day_bounds(f: Filters) -> tuple[float | None, float | None]:
    """Unix-time bounds [start, end) of the date range, UTC days, inclusive of date_to."""
    utc = dt.timezone.utc
    start = (dt.datetime.combine(f.date_from, dt.time(), utc).timestamp()
             if f.date_from else None)
    end = (dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(), utc).timestamp()
           if f.date_to else None)
    return start, end
