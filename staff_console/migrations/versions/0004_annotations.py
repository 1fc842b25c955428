"""Inbox annotations of visitor messages and conversations saved as tests (issue 15).

Revision ID: 0004_annotations
Revises: 0003_sessions
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_annotations"
down_revision = "0003_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_annotation",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("original_text", sa.Text, nullable=False),
        sa.Column("predicted_intent", sa.String(255)),
        sa.Column("intent", sa.String(255)),
        sa.Column("entities", sa.Text),
        sa.Column("triage", sa.String(16), nullable=False),
        sa.Column("not_useful", sa.Boolean, nullable=False),
        sa.Column("edited_text", sa.Text),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_annotation"),
        sa.UniqueConstraint("event_id", name="uq_console_annotation_event_id"),
    )
    op.create_index("ix_console_annotation_sender_id", "console_annotation", ["sender_id"])
    op.create_index("ix_console_annotation_updated_at", "console_annotation", ["updated_at"])
    op.create_table(
        "console_saved_test",
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("saved_by", sa.String(80), nullable=False),
        sa.Column("saved_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name="pk_console_saved_test"),
    )


def downgrade() -> None:
    op.drop_table("console_saved_test")
    op.drop_index("ix_console_annotation_updated_at", table_name="console_annotation")
    op.drop_index("ix_console_annotation_sender_id", table_name="console_annotation")
    op.drop_table("console_annotation")
