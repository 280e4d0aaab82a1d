"""docs/privacy-promises.md against the privacy policy: every sentence a promise with its tests.

The policy is read as its reader reads it: paragraphs, cut into sentences. Each must be a row of
the promises page, each row must name tests that exist (``path::name``, looked up in the file's
syntax tree, a parametrised id allowed) or say plainly that it is not yet proven, and each such
row must be listed under "Pending" with what its proof must show. Nothing else passes.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from ams.legal import documents
from tests.factories import make_user

ROOT = Path(settings.BASE_DIR)
PROMISES = ROOT / "docs" / "privacy-promises.md"
MARKER = "**not yet proven**"
_NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def policy_sentences(body: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if not lines or lines[0].startswith("#"):
            continue
        sentences.extend(_SENTENCE_END.split(" ".join(lines)))
    return sentences


def promise_rows(page: str) -> dict[str, str]:
    table = page.split("## Pending", 1)[0]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| ") or line.startswith(("| Promise |", "| --- |")):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2:
            raise ValueError(f"a row has two cells: {line!r}")
        rows[cells[0]] = cells[1]
    return rows


@cache
def _tests_in(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


def problems(*, policy_body: str, page: str, root: Path) -> list[str]:
    sentences = policy_sentences(policy_body)
    rows = promise_rows(page)
    pending = page.split("## Pending", 1)[1] if "## Pending" in page else ""
    found = [f"not on the promises page: {s!r}" for s in sentences if s not in rows]
    for promise, proof in rows.items():
        if promise not in sentences:
            found.append(f"not a sentence of the policy: {promise!r}")
        if proof == MARKER:
            if f'"{promise}"' not in " ".join(pending.split()):
                found.append(f"marked not yet proven but not under Pending: {promise!r}")
            continue
        nodes = _NODE.findall(proof)
        if not nodes or _NODE.sub("", proof).strip(" ,"):
            found.append(f"names no test (or more than tests) and is not marked: {promise!r}")
        for file, name in nodes:
            path = root / file
            if not path.is_file() or name not in _tests_in(path):
                found.append(f"names a test that does not exist: {file}::{name}")
    return found


def _policy() -> documents.Version:
    latest = documents.latest("privacy")
    assert latest is not None
    return latest


def test_every_sentence_of_the_policy_is_a_promise_with_a_test_or_marked_pending():
    page = PROMISES.read_text(encoding="utf-8")
    assert problems(policy_body=_policy().body, page=page, root=ROOT) == []
    assert len(promise_rows(page)) == len(policy_sentences(_policy().body))


def test_the_check_fails_on_a_missing_promise_an_unknown_test_or_an_unmarked_row():
    body = "# Policy\n\nWe keep A. We keep B.\n\nWe keep C.\n"
    page = (
        "| Promise | Proven by |\n| --- | --- |\n"
        "| We keep A. | `tests/legal/test_privacy_promises.py::test_the_check_fails_on_a_missing_promise_an_unknown_test_or_an_unmarked_row[x]` |\n"
        "| We keep B. | `tests/legal/test_privacy_promises.py::test_that_was_never_written` |\n"
        "| We keep C. | trust us |\n"
        "| We keep D. | **not yet proven** |\n"
        "\n## Pending\n\n- nothing\n"
    )
    assert problems(policy_body=body, page=page, root=ROOT) == [
        "names a test that does not exist: tests/legal/test_privacy_promises.py::test_that_was_never_written",
        "names no test (or more than tests) and is not marked: 'We keep C.'",
        "not a sentence of the policy: 'We keep D.'",
        "marked not yet proven but not under Pending: 'We keep D.'",
    ]
    missing = page.replace("| We keep C. | trust us |\n", "")
    assert "not on the promises page: 'We keep C.'" in problems(
        policy_body=body, page=missing, root=ROOT
    )
    # A marker with anything after it is not the marker.
    hedged = page.replace("| trust us |", "| **not yet proven** mostly |")
    assert "names no test (or more than tests) and is not marked: 'We keep C.'" in problems(
        policy_body=body, page=hedged, root=ROOT
    )


@pytest.mark.django_db
def test_an_account_holds_a_name_an_address_and_a_password_hash_never_the_password():
    password = "correct horse battery staple 7"
    user = make_user(name="Ada Lovelace", email="ada@example.test", password=password)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.id])
        row = cursor.fetchone()
        columns = [c.name for c in cursor.description]
    assert set(columns) == {
        "id",
        "password",
        "last_login",
        "is_superuser",
        "email",
        "name",
        "is_active",
        "is_staff",
        "date_joined",
        "display_style",
    }
    stored = dict(zip(columns, row, strict=True))
    assert stored["password"].startswith("argon2$")
    assert all(password not in str(value) for value in row)
    assert user.check_password(password)
