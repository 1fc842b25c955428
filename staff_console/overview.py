"""Overview figures from the summary tables (per day, fallback rate, top intents)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import tables as t
from staff_console.summary import day_of

c = t.conversations.c


@dataclass
class DayCount:
    day: dt.date
    conversations: int
    escalations: int


@dataclass
class Overview:
    days: list[DayCount]
    conversations: int
    escalations: int
    turns: int
    fallback_turns: int
    low_confidence_conversations: int
    top_intents: list[tuple[str, int]] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float:
        return self.fallback_turns / self.turns if self.turns else 0.0


def overview(conn: Connection, start: dt.date, end: dt.date, low_confidence: float = 0.5,
             top: int = 10) -> Overview:
    """Figures for conversations that started between start and end (inclusive, UTC)."""
    first, last = day_of(_ts(start)), day_of(_ts(end))
    in_range = sa.and_(c.first_day >= first, c.first_day <= last)
    escalated = sa.case((c.triage_rank > 0, 1), else_=0)
    per_day = {
        r.first_day: (r.n, r.esc or 0)
        for r in conn.execute(
            sa.select(c.first_day, sa.func.count().label("n"), sa.func.sum(escalated).label("esc"))
            .where(in_range).group_by(c.first_day)
        )
    }
    days = []
    for d in range(first, last + 1):
        n, esc = per_day.get(d, (0, 0))
        days.append(DayCount(dt.date(1970, 1, 1) + dt.timedelta(days=d), n, int(esc)))
    totals = conn.execute(
        sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(escalated), 0),
            sa.func.coalesce(sa.func.sum(c.turns), 0),
            sa.func.coalesce(sa.func.sum(c.fallback_turns), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.min_confidence < low_confidence, 1),
                                                 else_=0)), 0),
        ).where(in_range)
    ).one()
    ci = t.conversation_intents.c
    top_rows = conn.execute(
        sa.select(ci.intent, sa.func.sum(ci.count).label("n"))
        .join_from(t.conversation_intents, t.conversations, ci.sender_id == c.sender_id)
        .where(in_range).group_by(ci.intent).order_by(sa.desc("n"), ci.intent).limit(top)
    ).all()
    return Overview(
        days=days, conversations=int(totals[0]), escalations=int(totals[1]),
        turns=int(totals[2]), fallback_turns=int(totals[3]),
        low_confidence_conversations=int(totals[4]),
        top_intents=[(r.intent, int(r.n)) for r in top_rows],
    )


def _ts(d: dt.date) -> float:
    return dt.datetime.combine(d, dt.time(), dt.timezone.utc).timestamp()
