"""The withdrawal tracker: `create_app` wires config, database, workflows, CLI and web."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from app.domain.loader import load_registry
from app.persistence.database import make_engine, make_session_factory
from app.persistence.migrate import require_current_schema
from app.services.context import Tracker
from app.services.document_store import DocumentStore
from config import INSTANCE_DIR, Config, refuse_unsafe


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; outside the `flask` command it refuses an un-migrated database."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder="web/templates")
    app.config.from_object(Config)
    app.config.from_mapping(overrides or {})
    _check_deployment(app)
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    engine = make_engine(app.config["DATABASE_URL"])
    registry_dir = Path(app.config["WORKFLOWS_DIR"])
    app.extensions["db_engine"] = engine
    app.extensions["tracker"] = Tracker(
        make_session_factory(engine),
        partial(load_registry, registry_dir),
        documents=DocumentStore(
            Path(app.config["DOCUMENTS_PATH"]),
            app.config["MAX_DOCUMENT_BYTES"],
            app.config["MAX_DOCUMENTS_PER_STEP"],
        ),
    )
    if app.config["CHECK_SCHEMA"] and click.get_current_context(silent=True) is None:
        require_current_schema(engine, app.config["MIGRATIONS_DIR"])
        _ = tracker_of(app).registry

    from app import cli, web

    cli.register(app)
    web.register(app)
    return app


def tracker_of(app: Flask | None = None) -> Tracker:
    """The service context of `app` (by default the current one)."""
    tracker: Tracker = (app or current_app).extensions["tracker"]
    return tracker


def check_schema(app: Flask) -> None:
    """Raise SchemaNotCurrent (naming the fix) unless the database is at the migrations' head."""
    if app.config["CHECK_SCHEMA"]:
        require_current_schema(app.extensions["db_engine"], app.config["MIGRATIONS_DIR"])


def is_development(app: Flask) -> bool:
    """Tests, TRACKER_ENV=development, or the `flask` command (demo, seed-demo, db upgrade,
    the development server): never a WSGI server importing create_app() in production."""
    return bool(
        app.config["TESTING"]
        or app.config["TRACKER_ENV"] == "development"
        or click.get_current_context(silent=True) is not None
    )


def _check_deployment(app: Flask) -> None:
    """Refuse to start a production server with DEBUG on or a missing or short SECRET_KEY;
    in development, a missing key is generated once and kept under instance/."""
    if not is_development(app):
        refuse_unsafe(app.config)
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    # In development without SECRET_KEY, a random key is kept under instance/ so that
    # sessions survive a restart of the demo; production must set SECRET_KEY.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
