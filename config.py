"""Configuration read from the environment. Imports nothing from app/."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"


def _hosts(value: str) -> list[str]:
    """A comma-separated list of host names (no ports: Flask ignores the port)."""
    return [host.strip() for host in value.split(",") if host.strip()]


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
    # Requests for any other Host are refused (400): a forged Host never reaches a link.
    TRUSTED_HOSTS: list[str] = _hosts(os.environ.get("TRUSTED_HOSTS", "localhost,127.0.0.1"))
    # The address staff reach the tracker at (scheme://host[:port]), for the links that must be
    # absolute (the calendar feed, the API docs' examples); unset: the trusted host requested.
    PUBLIC_URL: str = os.environ.get("PUBLIC_URL", "").rstrip("/")
    MAX_CONTENT_LENGTH: int = 1024 * 1024  # forms and JSON bodies are small; refuse more
    # The web and CLI refuse to work on a database whose schema is not at Alembic's head.
    CHECK_SCHEMA: bool = True
    TESTING: bool = False
