"""Alembic driven from code: the script location and URL come from config, not an ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

UPGRADE_HINT = "flask --app app db upgrade"


class SchemaNotCurrent(RuntimeError):
    """The database is not at the migrations' head."""


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, url), revision)


def downgrade(migrations_dir: Path, url: str, revision: str) -> None:
    command.downgrade(alembic_config(migrations_dir, url), revision)


def head_revision(migrations_dir: Path) -> str | None:
    return ScriptDirectory.from_config(alembic_config(migrations_dir, "")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current_schema(engine: Engine, migrations_dir: Path) -> None:
    """Refuse an un-migrated or older database, naming the command that fixes it."""
    current, head = current_revision(engine), head_revision(migrations_dir)
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    state = "is not migrated" if current is None else f"is at revision {current}, not {head}"
    raise SchemaNotCurrent(f"the database {where} {state}: run `{UPGRADE_HINT}`")
