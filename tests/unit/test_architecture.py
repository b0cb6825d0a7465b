"""Dependencies point one way: web and cli -> services -> domain <- persistence."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, relative imports made absolute."""
    package = ".".join(path.relative_to(APP.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offending(folder: str, forbidden: tuple[str, ...], pattern: str = "*.py") -> list[str]:
    files = sorted((APP / folder).glob(pattern))
    assert files, f"no Python files under app/{folder}"
    return [
        f"{path.relative_to(APP.parent)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_scanner_sees_imports():
    # guards the guard: the scan finds what clock.py and engine.py really import
    assert "dateutil.relativedelta" in imported_modules(APP / "domain" / "clock.py")
    assert "transitions" in imported_modules(APP / "domain" / "engine.py")
    assert "app.domain.errors" in imported_modules(APP / "domain" / "clock.py")


def test_domain_imports_no_framework_and_no_outer_layer():
    forbidden = ("flask", "sqlalchemy", "alembic", "app.persistence", "app.services", "app.web")
    assert offending("domain", forbidden) == []


def test_services_import_no_flask():
    assert offending("services", ("flask", "flask_login", "flask_wtf", "app.web"), "**/*.py") == []


def test_persistence_imports_neither_services_nor_web():
    assert offending("persistence", ("app.services", "app.web", "flask"), "**/*.py") == []


@pytest.mark.parametrize("call", ["today", "now", "utcnow"])
def test_domain_never_reads_the_system_clock(call):
    # "today" is passed in: a domain function that read the clock would make dates untestable
    hits = [
        f"{path.name}:{node.lineno}"
        for path in sorted((APP / "domain").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == call
    ]
    assert hits == []
