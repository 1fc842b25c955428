"""Table definitions (SQLAlchemy Core).

`events` is Rasa's table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent),
declared here on its own MetaData so the console can query it without
importing Rasa; the console never creates, alters or updates it.
Everything in `metadata` is the console's own and managed by Alembic.
"""

from __future__ import annotations

import sqlalchemy as sa

# Rasa's table, read (and deleted from on erasure) only.
rasa_metadata = sa.MetaData()
events = sa.Table(
    "events",
    rasa_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = sa.Table(
    "console_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    # Bumped on password change / deactivation: invalidates existing sessions.
    sa.Column("session_version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)

login_failures = sa.Table(
    "console_login_failure",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, index=True),
    sa.Column("remote_addr", sa.String(64), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
)

audit_log = sa.Table(
    "console_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(255)),
    sa.Column("detail", sa.Text),
)

# Key/value state: the events.id watermark of the summary.
state = sa.Table(
    "console_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

# events.id values skipped by a refresh (PostgreSQL sequence values of
# transactions still in flight): re-read until they appear or expire.
pending_events = sa.Table(
    "console_pending_event",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)

# One row per conversation (Rasa sender_id), maintained incrementally.
conversations = sa.Table(
    "console_conversation",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("first_ts", sa.Float, nullable=False, index=True),
    sa.Column("last_ts", sa.Float, nullable=False, index=True),
    # Day (UTC, days since 1970-01-01) of the first event: for per-day charts.
    sa.Column("first_day", sa.Integer, nullable=False, index=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(64), index=True),
    sa.Column("turns", sa.Integer, nullable=False, default=0),
    sa.Column("bot_turns", sa.Integer, nullable=False, default=0),
    sa.Column("sessions", sa.Integer, nullable=False, default=0),
    sa.Column("triage_rank", sa.SmallInteger, nullable=False, default=0),
    sa.Column("red_flags", sa.String(1000), nullable=False, default=""),
    sa.Column("fallback_turns", sa.Integer, nullable=False, default=0),
    sa.Column("min_confidence", sa.Float),
    sa.Column("assessment_started", sa.Boolean, nullable=False, default=False),
    sa.Column("assessment_complete", sa.Boolean, nullable=False, default=False),
    sa.Column("preview", sa.String(200), nullable=False, default=""),
    sa.Index("ix_console_conversation_triage_rank_last_ts", "triage_rank", "last_ts"),
)

# Lower-cased visitor text per conversation, for free-text search.
search_text = sa.Table(
    "console_search_text",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("body", sa.Text, nullable=False, default=""),
)

conversation_intents = sa.Table(
    "console_conversation_intent",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("intent", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, default=0),
    sa.Index("ix_console_conversation_intent_intent", "intent"),
)

reviews = sa.Table(
    "console_review",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed", sa.Boolean, nullable=False, default=False),
    sa.Column("reviewed_by", sa.String(80)),
    sa.Column("reviewed_at", sa.Float),
)

tags = sa.Table(
    "console_tag",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
)

conversation_tags = sa.Table(
    "console_conversation_tag",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("tag_id", sa.Integer, sa.ForeignKey("console_tag.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Index("ix_console_conversation_tag_tag_id", "tag_id"),
)

notes = sa.Table(
    "console_note",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# One row per signed-in browser session; the cookie holds the token, this table
# its SHA-256. Deleting the row ends the session whatever the cookie says.
sessions = sa.Table(
    "console_session",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
)

# One row per erasure: a SHA-256 of the visitor id (never the id) and when. Rasa's
# side (server/runtime/sqlite_store.py) reads it before saving a turn, so a
# turn in flight during the erasure cannot write the erased events back.
erasures = sa.Table(
    "console_erasure",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
    sa.Column("erased_at", sa.Float, nullable=False),
)

# A reviewer's verdict on one visitor message (an `events` row, never changed):
# its intent confirmed or corrected, entities, a missed warning sign or a false
# escalation, "not useful", and an edited example text (what gets exported).
annotations = sa.Table(
    "console_annotation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    # The visitor's text as logged, and the intent Rasa gave it (at annotation time).
    sa.Column("original_text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("intent", sa.String(255)),
    sa.Column("entities", sa.Text),  # JSON list of {"entity", "value"}
    # "" | "emergency" | "urgent" (a missed sign) | "none" (a false escalation)
    sa.Column("triage", sa.String(16), nullable=False, default=""),
    sa.Column("not_useful", sa.Boolean, nullable=False, default=False),
    sa.Column("edited_text", sa.Text),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)

# Conversations a reviewer marked "save as test" (exported as Rasa test stories).
saved_tests = sa.Table(
    "console_saved_test",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("saved_by", sa.String(80), nullable=False),
    sa.Column("saved_at", sa.Float, nullable=False),
)
