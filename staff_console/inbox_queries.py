"""The Inbox: conversations with visitor messages that need a look (no Flask).

The summary picks the candidate conversations (a fallback, a low-confidence turn,
an escalation, an out-of-scope or safety-question intent, a 👎 in the log); their
events are then read and `inbox.needing_a_look` says which messages, and why.
Conversations are listed newest activity first, their messages newest first, with
the same filters as the conversation list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import annotation, inbox, privacy, queries, transcript
from staff_console import tables as t
from staff_console.feedback import FEEDBACK_INTENT
from staff_console.filters import Filters

c = t.conversations.c
INTENTS = (inbox.OUT_OF_SCOPE, inbox.SAFETY_INTENT)


def candidates(low_confidence: float) -> sa.sql.ColumnElement:
    """Conversations that may hold a message needing a look (from the summary)."""
    ci, e = t.conversation_intents.c, t.events.c
    # The feedback entity as Rasa serialises it (json.dumps: ", " and ": ").
    thumbs_down = sa.and_(
        sa.exists().where(ci.sender_id == c.sender_id, ci.intent == FEEDBACK_INTENT),
        sa.exists().where(e.sender_id == c.sender_id, e.intent_name == FEEDBACK_INTENT,
                          e.data.like('%"value": "down"%')))
    return sa.or_(
        c.fallback_turns > 0, c.min_confidence < low_confidence, c.triage_rank > 0,
        sa.exists().where(ci.sender_id == c.sender_id, ci.intent.in_(INTENTS)),
        thumbs_down)


@dataclass
class Entry:
    """One message needing a look, with its annotation and privacy findings."""

    message: inbox.Message
    annotation: annotation.Annotation | None
    privacy: list[str]

    @property
    def exportable_text(self) -> bool:
        """Whether its text may leave the console (no personal details, or edited)."""
        if self.annotation is not None and self.annotation.edited_text is not None:
            return True
        return not self.privacy


@dataclass
class InboxConversation:
    conversation: queries.ConversationRow
    entries: list[Entry]
    saved_test: bool = False
    #: The conversation's other visitor messages (a missed warning sign often has no
    #: reason to be flagged), oldest first.
    others: list[Entry] = field(default_factory=list)


@dataclass
class InboxPage:
    conversations: list[InboxConversation]
    total: int
    page: int
    page_size: int
    messages: int = 0
    annotated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def threshold(f: Filters, low_confidence: float) -> float:
    return f.confidence_below if f.confidence_below is not None else low_confidence


def list_inbox(conn: Connection, f: Filters, *, page_size: int = 50,
               low_confidence: float = 0.5) -> InboxPage:
    """One page of Inbox conversations matching the filter, and their total."""
    limit = threshold(f, low_confidence)
    walk = bool(f.q) and queries.text_is_common(conn, f.q)
    where = [*queries.conditions(f, limit, conn, walk_text=walk), candidates(limit)]
    total = conn.execute(sa.select(sa.func.count()).select_from(t.conversations)
                         .where(*where)).scalar_one()
    rows = conn.execute(
        queries._select_rows().where(*where).order_by(c.last_ts.desc(), c.sender_id.desc())
        .limit(page_size).offset((f.page - 1) * page_size)).all()
    convs = queries._to_rows(conn, rows)
    senders = [r.sender_id for r in convs]
    events = transcript.load_many(conn, senders)
    notes = annotation.for_senders(conn, senders)
    s = t.saved_tests.c
    saved = {r[0] for r in conn.execute(sa.select(s.sender_id).where(s.sender_id.in_(senders)))
             } if senders else set()
    page = InboxPage(conversations=[], total=total, page=f.page, page_size=page_size)
    for conv in convs:
        every = inbox.messages(conv.sender_id, events[conv.sender_id], limit)
        entries = [Entry(m, notes.get(m.event_id), privacy.findings(m.text))
                   for m in inbox.newest_first([m for m in every if m.reasons])]
        others = [Entry(m, notes.get(m.event_id), privacy.findings(m.text))
                  for m in every if not m.reasons]
        page.conversations.append(InboxConversation(conv, entries, conv.sender_id in saved,
                                                    others))
        page.messages += len(entries)
        page.annotated += sum(e.annotation is not None for e in entries)
    return page


def count_inbox(conn: Connection, low_confidence: float, first_day: int | None = None,
                last_day: int | None = None) -> tuple[int, int]:
    """Inbox conversations (started between the days, if given) and how many of
    them are not yet marked reviewed."""
    where = [candidates(low_confidence)]
    if first_day is not None and last_day is not None:
        where += [c.first_day >= first_day, c.first_day <= last_day]
    rv = t.reviews.c
    unreviewed = ~sa.exists().where(rv.sender_id == c.sender_id, rv.reviewed.is_(True))
    total, open_ = conn.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((unreviewed, 1), else_=0)), 0))
        .select_from(t.conversations).where(*where)).one()
    return int(total), int(open_)
