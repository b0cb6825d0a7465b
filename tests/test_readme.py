"""The README's two commands are the ones CI and a new user run."""

from __future__ import annotations

import re

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readmes_test_command_word_for_word() -> None:
    test_command = _sh_blocks()[1].strip()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in test_command
    assert test_command in ci.splitlines()


def test_readme_demo_command_installs_and_runs_the_demo() -> None:
    demo_command = _sh_blocks()[0].strip()
    assert "pip install -e ." in demo_command
    assert demo_command.endswith("flask --app app demo")
