"""Settings read from the environment, and what a production server refuses to start with."""

from __future__ import annotations

import pytest

from config import UnsafeConfig, host_names, refuse_unsafe


def test_trusted_hosts_are_a_comma_separated_list() -> None:
    assert host_names(" tracker.example.org, .mfa.example ,") == [
        "tracker.example.org",
        ".mfa.example",
    ]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "k" * 31}, "SECRET_KEY has 31 bytes"),
        ({"SECRET_KEY": b"k" * 16}, "SECRET_KEY has 16 bytes"),
        ({"SECRET_KEY": "k" * 32, "DEBUG": True}, "DEBUG is on"),
    ],
)
def test_unsafe_settings_are_refused_naming_the_variable(
    settings: dict[str, object], named: str
) -> None:
    with pytest.raises(UnsafeConfig, match=named):
        refuse_unsafe(settings)


def test_a_32_byte_key_without_debug_is_accepted() -> None:
    refuse_unsafe({"SECRET_KEY": "k" * 32, "DEBUG": False})
