"""Absolute links, for the places that need them (a calendar program, a curl example): built
from PUBLIC_URL, or else from the request's host, which TRUSTED_HOSTS has checked."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for


def public_base() -> str:
    """scheme://host[:port] of the tracker, without a trailing slash."""
    configured: str = current_app.config.get("PUBLIC_URL") or ""
    return configured.rstrip("/") or request.host_url.rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """`url_for(endpoint, ...)` on the tracker's public address."""
    return public_base() + url_for(endpoint, **values)
