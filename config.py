"""Configuration read from the environment. Imports nothing from app/."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# A checkout keeps workflows/ and migrations/ at its top; an installed package (a wheel, a
# plain `pip install .`) carries them as app/_data/ (setup.py), next to this file.
CHECKOUT = (ROOT / "pyproject.toml").is_file()


def shipped(name: str) -> Path:
    """Where the shipped folder `name` (workflows, migrations) is, in either layout."""
    return ROOT / name if CHECKOUT else ROOT / "app" / "_data" / name


# Installed, the instance folder (a development database and keys) is the working
# directory's instance/, never a folder inside site-packages.
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance" if CHECKOUT else "instance"))
INSTANCE_DIR = INSTANCE_DIR.resolve()
MIN_SECRET_BYTES = 32


def host_names(value: str) -> list[str]:
    """A comma-separated list of host names (no ports: Flask ignores the port)."""
    return [host.strip() for host in value.split(",") if host.strip()]


class Config:
    """Settings for a running tracker; every value can be overridden by an environment variable."""

    SECRET_KEY: str = os.environ.get("SECRET_KEY", "")
    # "development" lets a WSGI server start with DEBUG on or without SECRET_KEY (a key is then
    # kept under instance/); the `flask` command and tests count as development too.
    TRACKER_ENV: str = os.environ.get("TRACKER_ENV", "production")
    DATABASE_URL: str = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite3'}"
    )
    WORKFLOWS_DIR: Path = Path(os.environ.get("WORKFLOWS_DIR", shipped("workflows")))
    MIGRATIONS_DIR: Path = shipped("migrations")
    # Behind HTTPS, set SESSION_COOKIE_SECURE=1 so the session cookie is never sent in clear.
    SESSION_COOKIE_SECURE: bool = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    SESSION_COOKIE_HTTPONLY: bool = True
    # OWASP ASVS 3.3: a session ends after this long without a request, and this long after
    # sign-in whatever happens; both are checked on the server at every request.
    SESSION_IDLE_MINUTES: int = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS: int = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME: timedelta = timedelta(hours=SESSION_MAX_HOURS)
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # Requests for any other Host are refused (400): a forged Host never reaches a link.
    TRUSTED_HOSTS: list[str] = host_names(os.environ.get("TRUSTED_HOSTS", "localhost,127.0.0.1"))
    # The address staff reach the tracker at (scheme://host[:port]), for the links that must be
    # absolute (the calendar feed, the API docs' examples); unset: the trusted host requested.
    PUBLIC_URL: str = os.environ.get("PUBLIC_URL", "").rstrip("/")
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto in front of the
    # server (1 for one nginx). The sign-in throttle then counts the client's address, not the
    # proxy's (with 0 behind a proxy, every client shares one address and one limit).
    PROXY_HOPS: int = int(os.environ.get("PROXY_HOPS", "0"))
    MAX_CONTENT_LENGTH: int = 1024 * 1024  # forms and JSON bodies are small; refuse more
    # The import page takes larger uploads (a file of cases); the CLI import has no limit.
    IMPORT_MAX_BYTES: int = int(os.environ.get("IMPORT_MAX_BYTES", 64 * 1024 * 1024))
    # Audit checkpoints (`audit checkpoint`): the Ed25519 key that signs them and the local
    # append-only log that chains each to the one before. Both live outside the database and
    # its backups: back the key up separately (see README, "Checkpoints").
    CHECKPOINT_KEY_FILE: Path = Path(
        os.environ.get("CHECKPOINT_KEY_FILE", INSTANCE_DIR / "checkpoint_key")
    )
    CHECKPOINT_LOG_FILE: Path = Path(
        os.environ.get("CHECKPOINT_LOG_FILE", INSTANCE_DIR / "checkpoints.jsonl")
    )
    # Documents attached to events: stored under DOCUMENTS_PATH, each file named by its SHA-256
    # (outside the database and its backups: copy the folder with them); a file larger than
    # MAX_DOCUMENT_BYTES, or more than MAX_DOCUMENTS_PER_STEP files on one step, are refused.
    DOCUMENTS_PATH: Path = Path(os.environ.get("DOCUMENTS_PATH", INSTANCE_DIR / "documents"))
    MAX_DOCUMENT_BYTES: int = int(os.environ.get("MAX_DOCUMENT_BYTES", 10_000_000))
    MAX_DOCUMENTS_PER_STEP: int = int(os.environ.get("MAX_DOCUMENTS_PER_STEP", 5))
    # The web and CLI refuse to work on a database whose schema is not at Alembic's head.
    CHECK_SCHEMA: bool = True
    TESTING: bool = False


class UnsafeConfig(RuntimeError):
    """A setting that must not reach a server others can reach; the message names it."""


def refuse_unsafe(config: Mapping[str, object]) -> None:
    """Raise UnsafeConfig for the first setting a production server must not start with."""
    key = config.get("SECRET_KEY") or ""
    length = len(key if isinstance(key, bytes) else str(key).encode("utf-8"))
    make_one = "python -c 'import secrets; print(secrets.token_hex(32))'"
    if config.get("DEBUG"):
        raise UnsafeConfig(
            "DEBUG is on (FLASK_DEBUG): its debugger runs code for whoever sees an error page; "
            "unset FLASK_DEBUG, or set TRACKER_ENV=development on your own machine"
        )
    if not key:
        raise UnsafeConfig(
            f"SECRET_KEY is not set: set it to at least {MIN_SECRET_BYTES} "
            f"random bytes, e.g. the output of {make_one}"
        )
    if length < MIN_SECRET_BYTES:
        raise UnsafeConfig(
            f"SECRET_KEY has {length} bytes: it needs at least "
            f"{MIN_SECRET_BYTES}, e.g. the output of {make_one}"
        )
