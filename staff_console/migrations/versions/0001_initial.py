"""Console tables: staff, audit, summary, review, tags, notes.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("session_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_login_at", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_console_user"),
        sa.UniqueConstraint("username", name="uq_console_user_username"),
    )
    op.create_table(
        "console_login_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_login_failure"),
    )
    op.create_index("ix_console_login_failure_username", "console_login_failure", ["username"])
    op.create_index("ix_console_login_failure_remote_addr", "console_login_failure",
                    ["remote_addr"])
    op.create_index("ix_console_login_failure_ts", "console_login_failure", ["ts"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(255)),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_console_audit"),
    )
    op.create_index("ix_console_audit_ts", "console_audit", ["ts"])
    op.create_table(
        "console_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_console_state"),
    )
    op.create_table(
        "console_pending_event",
        sa.Column("event_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_console_pending_event"),
    )
    op.create_table(
        "console_conversation",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("first_ts", sa.Float, nullable=False),
        sa.Column("last_ts", sa.Float, nullable=False),
        sa.Column("first_day", sa.Integer, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(64)),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("bot_turns", sa.Integer, nullable=False),
        sa.Column("sessions", sa.Integer, nullable=False),
        sa.Column("triage_rank", sa.SmallInteger, nullable=False),
        sa.Column("red_flags", sa.String(1000), nullable=False),
        sa.Column("fallback_turns", sa.Integer, nullable=False),
        sa.Column("min_confidence", sa.Float),
        sa.Column("assessment_started", sa.Boolean, nullable=False),
        sa.Column("assessment_complete", sa.Boolean, nullable=False),
        sa.Column("preview", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name="pk_console_conversation"),
    )
    for cols in (["first_ts"], ["last_ts"], ["first_day"], ["channel"]):
        op.create_index(f"ix_console_conversation_{cols[0]}", "console_conversation", cols)
    op.create_index("ix_console_conversation_triage_rank_last_ts", "console_conversation",
                    ["triage_rank", "last_ts"])
    op.create_table(
        "console_search_text",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name="pk_console_search_text"),
    )
    op.create_table(
        "console_conversation_intent",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("intent", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("sender_id", "intent", name="pk_console_conversation_intent"),
    )
    op.create_index("ix_console_conversation_intent_intent", "console_conversation_intent",
                    ["intent"])
    op.create_table(
        "console_review",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("reviewed", sa.Boolean, nullable=False),
        sa.Column("reviewed_by", sa.String(80)),
        sa.Column("reviewed_at", sa.Float),
        sa.PrimaryKeyConstraint("sender_id", name="pk_console_review"),
    )
    op.create_table(
        "console_tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_tag"),
        sa.UniqueConstraint("name", name="uq_console_tag_name"),
    )
    op.create_table(
        "console_conversation_tag",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("tag_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["console_tag.id"], ondelete="CASCADE",
                                name="fk_console_conversation_tag_tag_id_console_tag"),
        sa.PrimaryKeyConstraint("sender_id", "tag_id", name="pk_console_conversation_tag"),
    )
    op.create_index("ix_console_conversation_tag_tag_id", "console_conversation_tag",
                    ["tag_id"])
    op.create_table(
        "console_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_note"),
    )
    op.create_index("ix_console_note_sender_id", "console_note", ["sender_id"])


def downgrade() -> None:
    for table in ("console_note", "console_conversation_tag", "console_tag", "console_review",
                  "console_conversation_intent", "console_search_text", "console_conversation",
                  "console_pending_event", "console_state", "console_audit",
                  "console_login_failure", "console_user"):
        op.drop_table(table)
