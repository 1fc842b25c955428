"""Read queries over the summary tables (no Flask; tested without a server)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import search
from staff_console import tables as t
from staff_console.filters import Filters, day_bounds
from staff_console.summary import Summary

c = t.conversations.c
reviewed_col = sa.func.coalesce(t.reviews.c.reviewed, sa.false())


@dataclass
class ConversationRow:
    sender_id: str
    first_ts: float
    last_ts: float
    channel: str | None
    turns: int
    bot_turns: int
    sessions: int
    triage_level: str | None
    red_flags: list[str]
    fallback_turns: int
    min_confidence: float | None
    assessment_started: bool
    assessment_complete: bool
    preview: str
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: float | None
    tags: list[str]

    @classmethod
    def of(cls, summary: Summary, *, reviewed: bool, reviewed_by: str | None,
           reviewed_at: float | None, tags: list[str]) -> ConversationRow:
        """The page's row: the stored summary (read by Summary.from_row, the one
        mapping of `console_conversation`'s columns) and the review state."""
        return cls(
            sender_id=summary.sender_id, first_ts=summary.first_ts,
            last_ts=summary.last_ts, channel=summary.channel, turns=summary.turns,
            bot_turns=summary.bot_turns, sessions=summary.sessions,
            triage_level=summary.triage_level, red_flags=summary.red_flags,
            fallback_turns=summary.fallback_turns, min_confidence=summary.min_confidence,
            assessment_started=summary.assessment_started,
            assessment_complete=summary.assessment_complete, preview=summary.preview,
            reviewed=reviewed, reviewed_by=reviewed_by, reviewed_at=reviewed_at, tags=tags)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Page:
    rows: list[ConversationRow]
    total: int
    page: int
    page_size: int
    #: The total was not counted to the end (a common search term): "more than `total`".
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.capped and len(self.rows) == self.page_size)


#: A search term matching more conversations than this is "common": the list walks
#: the newest conversations and checks their text instead of joining every match,
#: and the total is counted only up to COUNT_CAP.
SELECTIVE_MATCHES = 5_000
COUNT_CAP = 1_000


def text_is_common(conn: Connection, q: str) -> bool:
    sub = search.matching_senders(conn, q).limit(SELECTIVE_MATCHES + 1).subquery()
    n = conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
    return n > SELECTIVE_MATCHES


def conditions(f: Filters, low_confidence: float, conn: Connection | None = None,
               walk_text: bool = False) -> list[sa.sql.ColumnElement]:
    """WHERE clauses for the filter, on console_conversation (and subqueries).

    With `conn`, a text search uses the search index (see `search.py`); with
    walk_text (or no conn) each conversation's text is checked by primary key.
    """
    where: list[sa.sql.ColumnElement] = []
    start, end = day_bounds(f)
    if start is not None:
        where.append(c.last_ts >= start)
    if end is not None:
        where.append(c.first_ts < end)
    if f.channel:
        where.append(c.channel == f.channel)
    if f.triage == "escalated":
        where.append(c.triage_rank >= 1)
    elif f.triage == "emergency":
        where.append(c.triage_rank == 2)
    elif f.triage == "urgent":
        where.append(c.triage_rank == 1)
    elif f.triage == "none":
        where.append(c.triage_rank == 0)
    if f.intent:
        ci = t.conversation_intents.c
        where.append(sa.exists().where(ci.sender_id == c.sender_id, ci.intent == f.intent))
    threshold = f.confidence_below if f.confidence_below is not None else low_confidence
    low = c.min_confidence < threshold
    if f.failures == "fallback":
        where.append(c.fallback_turns > 0)
    elif f.failures == "low_confidence":
        where.append(low)
    elif f.failures == "any":
        where.append(sa.or_(c.fallback_turns > 0, low))
    if f.assessment == "completed":
        where.append(c.assessment_complete.is_(True))
    elif f.assessment == "not_completed":
        where.append(c.assessment_complete.is_(False))
    rv = t.reviews.alias("rv").c  # aliased: the outer query joins console_review too
    is_reviewed = sa.exists().where(rv.sender_id == c.sender_id, rv.reviewed.is_(True))
    if f.review == "reviewed":
        where.append(is_reviewed)
    elif f.review == "unreviewed":
        where.append(~is_reviewed)
    if f.tag:
        ct, tg = t.conversation_tags.c, t.tags.c
        where.append(sa.exists().where(
            ct.sender_id == c.sender_id, ct.tag_id == tg.id, tg.name == f.tag))
    if f.q:
        # Bound parameter, LIKE wildcards escaped: the search is always plain text.
        if conn is not None and not walk_text:
            # Selective term: the index gives the few matching conversations.
            where.append(c.sender_id.in_(search.matching_senders(conn, f.q)))
        else:
            # Common term: check each conversation's text while walking the list order.
            st = t.search_text.c
            where.append(sa.exists().where(st.sender_id == c.sender_id,
                                           search.contains(conn, st.body, f.q)))
    return where


def _order(f: Filters) -> list[Any]:
    if f.sort == "queue":
        return [reviewed_col.asc(), c.triage_rank.desc(), c.last_ts.desc(), c.sender_id.desc()]
    return [c.last_ts.desc(), c.sender_id.desc()]


def _select_rows() -> sa.sql.Select:
    return sa.select(
        t.conversations, reviewed_col.label("reviewed"),
        t.reviews.c.reviewed_by, t.reviews.c.reviewed_at,
    ).select_from(
        t.conversations.outerjoin(t.reviews, t.reviews.c.sender_id == c.sender_id)
    )


def tags_for(conn: Connection, senders: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if not senders:
        return out
    ct, tg = t.conversation_tags.c, t.tags.c
    for sender, name in conn.execute(
        sa.select(ct.sender_id, tg.name).join_from(t.conversation_tags, t.tags,
                                                   ct.tag_id == tg.id)
        .where(ct.sender_id.in_(senders)).order_by(tg.name)
    ):
        out[sender].append(name)
    return out


def _to_rows(conn: Connection, result: list) -> list[ConversationRow]:
    tags = tags_for(conn, [r.sender_id for r in result])
    return [ConversationRow.of(Summary.from_row(r), reviewed=bool(r.reviewed),
                               reviewed_by=r.reviewed_by, reviewed_at=r.reviewed_at,
                               tags=tags.get(r.sender_id, []))
            for r in result]


def list_conversations(conn: Connection, f: Filters, *, page_size: int = 50,
                       low_confidence: float = 0.5) -> Page:
    """One page of conversations matching the filter, and the total count."""
    walk = bool(f.q) and text_is_common(conn, f.q)
    where = conditions(f, low_confidence, conn, walk_text=walk)
    if walk:
        sub = sa.select(c.sender_id).where(*where).limit(COUNT_CAP + 1).subquery()
        total = conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
    else:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(t.conversations).where(*where)
        ).scalar_one()
    result = conn.execute(
        _select_rows().where(*where).order_by(*_order(f))
        .limit(page_size).offset((f.page - 1) * page_size)
    ).all()
    capped = walk and total > COUNT_CAP
    return Page(rows=_to_rows(conn, result), total=min(total, COUNT_CAP) if walk else total,
                page=f.page,
                page_size=page_size, capped=capped)


def iter_conversations(conn: Connection, f: Filters, *, low_confidence: float = 0.5,
                       chunk: int = 500) -> Any:
    """Every conversation matching the filter, in list order, in chunks (for exports)."""
    where = conditions(f, low_confidence, conn, walk_text=bool(f.q) and text_is_common(conn, f.q))
    senders = [r[0] for r in conn.execute(
        sa.select(c.sender_id).select_from(
            t.conversations.outerjoin(t.reviews, t.reviews.c.sender_id == c.sender_id))
        .where(*where).order_by(*_order(f)))]
    for i in range(0, len(senders), chunk):
        part = senders[i:i + chunk]
        rows = {r.sender_id: r for r in conn.execute(
            _select_rows().where(c.sender_id.in_(part)))}
        yield _to_rows(conn, [rows[s] for s in part if s in rows])


def get_conversation(conn: Connection, sender_id: str) -> ConversationRow | None:
    row = conn.execute(_select_rows().where(c.sender_id == sender_id)).first()
    return _to_rows(conn, [row])[0] if row else None


def channels(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        sa.select(c.channel).where(c.channel.isnot(None)).group_by(c.channel).order_by(c.channel))]


def intents(conn: Connection) -> list[str]:
    ci = t.conversation_intents.c
    return [r[0] for r in conn.execute(
        sa.select(ci.intent).group_by(ci.intent).order_by(ci.intent))]


def all_tags(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(sa.select(t.tags.c.name).order_by(t.tags.c.name))]


def notes_for(conn: Connection, sender_id: str) -> list[Any]:
    n = t.notes.c
    return conn.execute(
        sa.select(t.notes).where(n.sender_id == sender_id).order_by(n.created_at, n.id)
    ).all()
