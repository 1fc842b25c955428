"""Server-side sign-in sessions (revoked on sign-out, password change, idle time),
and erasure tombstones (read by server.runtime.sqlite_store before Rasa saves).

Revision ID: 0003_sessions
Revises: 0002_search_index
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sessions"
down_revision = "0002_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_console_session"),
    )
    op.create_index("ix_console_session_user_id", "console_session", ["user_id"])
    op.create_table(
        "console_erasure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_erasure"),
    )
    op.create_index("ix_console_erasure_sender_hash", "console_erasure", ["sender_hash"])


def downgrade() -> None:
    op.drop_index("ix_console_erasure_sender_hash", table_name="console_erasure")
    op.drop_table("console_erasure")
    op.drop_index("ix_console_session_user_id", table_name="console_session")
    op.drop_table("console_session")
