"""The privacy policy and the terms: versioned Markdown documents kept in the repository.

Each version is a file ``legal/<document>/<YYYY-MM-DD>.md``, named for the day it takes effect,
with a short header::

    ---
    title: Privacy policy
    material: true
    summary: one line for the announcement email and the in-app notice
    ---

A version flagged ``material`` is announced to every user who joined before it took effect, by
email (``manage.py policy_announce``) and in the app until they acknowledge it. Files are read
once per process; a new version ships with a release. Rendering uses markdown-it in CommonMark
mode with raw HTML off, so a document can hold no script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

DOCUMENTS = {"privacy": "Privacy policy", "terms": "Terms of service"}
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEADER = re.compile(r"\A---\n(?P<header>.*?)\n---\n", re.DOTALL)


class DocumentError(ValueError):
    pass


@dataclass(frozen=True)
class Version:
    document: str
    version: str
    title: str
    material: bool
    summary: str
    body: str

    @property
    def effective(self) -> date:
        return date.fromisoformat(self.version)

    @property
    def effective_at(self) -> datetime:
        return datetime.combine(self.effective, datetime.min.time(), tzinfo=UTC)

    @property
    def url(self) -> str:
        return f"/legal/{self.document}/{self.version}/"

    def html(self) -> SafeString:
        rendered: str = _renderer().render(self.body)
        return mark_safe(rendered)  # noqa: S308  (raw HTML is off: the Markdown holds no markup)


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def parse(document: str, version: str, text: str) -> Version:
    if not _VERSION.match(version):
        raise DocumentError(f"{document}/{version}: a version is named YYYY-MM-DD")
    date.fromisoformat(version)
    match = _HEADER.match(text)
    if match is None:
        raise DocumentError(f"{document}/{version}: the file starts with a --- header")
    fields: dict[str, str] = {}
    for line in match.group("header").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise DocumentError(f"{document}/{version}: header line {line!r} is not key: value")
        fields[key.strip()] = value.strip()
    if fields.get("material") not in ("true", "false"):
        raise DocumentError(f"{document}/{version}: material is true or false")
    if not fields.get("title") or not fields.get("summary"):
        raise DocumentError(f"{document}/{version}: title and summary are required")
    return Version(
        document=document,
        version=version,
        title=fields["title"],
        material=fields["material"] == "true",
        summary=fields["summary"],
        body=text[match.end() :],
    )


def load(root: Path) -> dict[str, list[Version]]:
    """Every version of every document under ``root``, oldest first."""
    found: dict[str, list[Version]] = {}
    for document in DOCUMENTS:
        paths = sorted((root / document).glob("*.md"))
        found[document] = [
            parse(document, path.stem, path.read_text(encoding="utf-8")) for path in paths
        ]
    return found


@cache
def registry() -> dict[str, list[Version]]:
    return load(Path(settings.BASE_DIR) / "legal")


def versions(document: str) -> list[Version]:
    return registry().get(document, [])


def latest(document: str) -> Version | None:
    all_versions = versions(document)
    return all_versions[-1] if all_versions else None


def find(document: str, version: str) -> Version | None:
    return next((v for v in versions(document) if v.version == version), None)


def material_versions() -> list[Version]:
    """The latest material version of each document: what users must be told of."""
    found = []
    for document in DOCUMENTS:
        material = [v for v in versions(document) if v.material]
        if material:
            found.append(material[-1])
    return found
