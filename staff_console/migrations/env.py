"""Alembic environment for the console's own tables (console_*).

Rasa's `events` table is not in this metadata and is never touched by a
migration. The version table is `console_alembic_version`.
"""

from __future__ import annotations

from alembic import context

from staff_console.tables import metadata

VERSION_TABLE = "console_alembic_version"


def _include(obj: object, name: str | None, type_: str, reflected: bool,
             compare_to: object) -> bool:
    return not (type_ == "table" and name is not None and not name.startswith("console_"))


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from staff_console.db import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=_include,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
