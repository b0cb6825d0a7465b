"""Alembic environment: targets the models' metadata; the URL comes from the caller's config."""

from __future__ import annotations

from alembic import context

from app.persistence.database import make_engine
from app.persistence.models import Base, UTCDateTime
from config import Config

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or Config.DATABASE_URL
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _render_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    # Migrations must not import app code: write the column type Alembic knows.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
