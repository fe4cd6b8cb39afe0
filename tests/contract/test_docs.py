"""Docs that are tested (issue 15, item 8), in the manner of Datasette's documentation tests.

Every CLI command (walking the Typer app), every finding code (the catalogue) and every
permission (``domain/access.PERMISSIONS``, and every permission a service declares) must
appear in the docs. The reference pages are generated (``tests/contract/docs.py``) and must
be current; the coverage checks below read the pages as text, so they hold even if the
generator were changed to leave something out.
"""

from __future__ import annotations

import re

import pytest

from onesheet.domain.access import PERMISSIONS
from onesheet.domain.findings import catalogue
from tests.contract.docs import DOCS, PAGES, cli_commands, declared_services

REGENERATE = "run .venv/bin/python -m tests.contract.docs --write"


def _all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_page_is_current(page: str) -> None:
    path = DOCS / page
    assert path.exists(), f"docs/{page} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == PAGES[page](), f"docs/{page} is stale: {REGENERATE}"


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    headed = set(re.findall(r"^## `(onesheet[^`]*)`$", text, re.M))
    commands = {path for path, _ in cli_commands()}
    assert len(commands) > 50
    assert not commands - headed, f"commands without a section in docs/cli.md: {commands - headed}"
    assert not headed - commands, (
        f"docs/cli.md documents commands that are gone: {headed - commands}"
    )


def test_every_cli_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `(onesheet[^`]*)`$\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    for path, command in cli_commands():
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert f"`{opt}`" in sections[path], f"{path}: {opt} not in docs/cli.md"


def test_every_finding_code_is_documented() -> None:
    text = (DOCS / "findings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", text, re.M))
    assert set(catalogue()) <= documented, set(catalogue()) - documented


def test_every_permission_is_documented() -> None:
    text = _all_docs()
    declared = set(declared_services())
    unknown = declared - set(PERMISSIONS)
    assert not unknown, f"services declare permissions no role holds: {unknown}"
    for permission in set(PERMISSIONS) | declared:
        assert f"`{permission}`" in text, f"permission {permission} is in no page under docs/"
