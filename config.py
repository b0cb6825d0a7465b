"""Configuration read from the environment. Imports nothing from app/."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"


class Config:
    """Settings for a running tracker; every value can be overridden by an environment variable."""

    SECRET_KEY: str = os.environ.get("SECRET_KEY", "")
    DATABASE_URL: str = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite3'}"
    )
    WORKFLOWS_DIR: Path = Path(os.environ.get("WORKFLOWS_DIR", ROOT / "workflows"))
    MIGRATIONS_DIR: Path = ROOT / "migrations"
    # Behind HTTPS, set SESSION_COOKIE_SECURE=1 so the session cookie is never sent in clear.
    SESSION_COOKIE_SECURE: bool = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    MAX_CONTENT_LENGTH: int = 1024 * 1024  # forms and JSON bodies are small; refuse more
    # The import page takes larger uploads (a file of cases); the CLI import has no limit.
    IMPORT_MAX_BYTES: int = int(os.environ.get("IMPORT_MAX_BYTES", 64 * 1024 * 1024))
    # The web and CLI refuse to work on a database whose schema is not at Alembic's head.
    CHECK_SCHEMA: bool = True
    TESTING: bool = False
