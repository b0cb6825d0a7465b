"""The sign-in throttle under parallel guesses, on SQLite and PostgreSQL: exactly the allowed
number of passwords is checked, and a guesser elsewhere never locks the real user out."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from app.services import auth, users
from app.services.auth import ACCOUNT_FAILURES, ADDRESS_FAILURES, SignInRefused, sign_in
from app.services.context import Tracker
from tests.conftest import PASSWORD
from tests.integration.test_concurrency import race


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check made (thread-safe: list.append)."""
    made: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
            made.append(str(password))
            return bool(super().verify(hash, password))

    monkeypatch.setattr(users, "_hasher", CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    return made


def test_parallel_wrong_guesses_get_exactly_the_allowed_checks(
    tracker: Tracker, checks: list[str]
) -> None:
    n = ACCOUNT_FAILURES + 10
    results = race(n, lambda i: sign_in(tracker, "clerk", f"guess {i}", "198.51.100.1"))
    assert all(isinstance(r, SignInRefused) for r in results), results
    assert len(checks) == ACCOUNT_FAILURES
    locked = [r for r in results if "too many failed sign-ins" in r.message]
    assert len(locked) == n - ACCOUNT_FAILURES
    # The right password from that address is refused too, without a check.
    with pytest.raises(SignInRefused, match="too many failed sign-ins for this account"):
        sign_in(tracker, "clerk", PASSWORD, "198.51.100.1")
    assert len(checks) == ACCOUNT_FAILURES


def test_a_guesser_elsewhere_does_not_lock_the_real_user_out(
    tracker: Tracker, checks: list[str]
) -> None:
    for i in range(ACCOUNT_FAILURES + 2):
        with pytest.raises(SignInRefused):
            sign_in(tracker, "clerk", f"guess {i}", "203.0.113.66")
    assert sign_in(tracker, "clerk", PASSWORD, "192.0.2.10").name == "clerk"


def test_parallel_guesses_across_accounts_stop_at_the_address_limit(
    tracker: Tracker, checks: list[str]
) -> None:
    names = ["viewer", "clerk", "admin", "nobody", "ghost", "root"]
    n = ADDRESS_FAILURES + 10
    results = race(n, lambda i: sign_in(tracker, names[i % 6], "guess", "198.51.100.2"))
    assert all(isinstance(r, SignInRefused) for r in results)
    assert len(checks) == ADDRESS_FAILURES
    assert sign_in(tracker, "viewer", PASSWORD, "198.51.100.3").name == "viewer"


def test_a_right_password_resets_the_accounts_count_from_that_address(
    tracker: Tracker, checks: list[str]
) -> None:
    for _ in range(2):
        for i in range(ACCOUNT_FAILURES - 1):
            with pytest.raises(SignInRefused, match="wrong password"):
                sign_in(tracker, "clerk", f"guess {i}", "198.51.100.4")
        sign_in(tracker, "clerk", PASSWORD, "198.51.100.4")


def test_every_sign_in_makes_a_new_session_token(tracker: Tracker) -> None:
    tokens = {sign_in(tracker, "clerk", PASSWORD, "192.0.2.1").token for _ in range(3)}
    assert len(tokens) == 3
    newest = sign_in(tracker, "clerk", PASSWORD, "192.0.2.1")
    assert auth.session_user(tracker, newest.session_id) == newest
    assert all(auth.session_user(tracker, f"{newest.id}:{token}") is None for token in tokens)


def test_a_password_changed_during_the_check_is_refused(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash checked is the one that must still be stored when the session starts."""
    checked = threading.Event()
    original = auth._password_matches

    def then_change(stored: str | None, password: str) -> bool:
        result = original(stored, password)
        if not checked.is_set():
            checked.set()
            users.set_password(tracker, "clerk", "a brand new password")
        return result

    monkeypatch.setattr(auth, "_password_matches", then_change)
    with pytest.raises(SignInRefused, match="wrong password"):
        sign_in(tracker, "clerk", PASSWORD, "192.0.2.1")
