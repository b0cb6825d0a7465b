"""The build step pyproject.toml cannot say: workflows/ and migrations/ stay at the top of the
checkout (the fixed layout) and travel inside the package, as app/_data/, in a wheel or a
plain `pip install .`; config.py finds them in either place."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("workflows", "migrations")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        for name in SHIPPED:
            shutil.copytree(
                here / name,
                Path(self.build_lib) / "app" / "_data" / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithData})
