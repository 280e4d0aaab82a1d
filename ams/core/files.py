"""Files kept for a team's jobs: uploads waiting to be parsed, exports waiting to be downloaded.

A file is written and read one chunk at a time, so neither side ever holds it whole: an upload of
a few hundred megabytes goes from Django's temporary upload file to the database, and from there
to the worker that parses it, with the memory of one chunk. Every call needs the team's scope
(the chunks are tenant rows); a download re-enters it while it streams, as ``ams.core.exports``
explains.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import IO

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import get_valid_filename

from ams.core.models import StoredFile, StoredFileChunk
from ams.core.tenancy import team_scope

CHUNK_BYTES = 1024 * 1024
# A seekable copy (for zip archives) stays in memory up to this size, then spills to disk.
_SPOOL_BYTES = 8 * 1024 * 1024


class FileTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than {limit // (1024 * 1024)} MB.")
        self.limit = limit


def _safe_name(name: str) -> str:
    """The file's own name, without a path, fit for a Content-Disposition header."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return get_valid_filename(base).lstrip(".")[:255] or "file"


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


@transaction.atomic
def file_store(
    *,
    team_id: int,
    kind: str,
    name: str,
    content_type: str,
    chunks: Iterable[bytes],
    lifetime: timedelta | None,
    created_by_id: int | None = None,
    max_bytes: int | None = None,
) -> StoredFile:
    """Store ``chunks`` as one file, kept for ``lifetime`` (None: until it is deleted); raises
    FileTooLarge (and stores nothing) past ``max_bytes``."""
    stored = StoredFile.objects.create(
        team_id=team_id,
        kind=kind,
        name=_safe_name(name),
        content_type=content_type[:120],
        created_by_id=created_by_id,
        expires_at=None if lifetime is None else timezone.now() + lifetime,
    )
    digest = hashlib.sha256()
    size = 0
    for number, chunk in enumerate(_rechunk(chunks, CHUNK_BYTES)):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileTooLarge(max_bytes)
        digest.update(chunk)
        StoredFileChunk.objects.create(team_id=team_id, file=stored, number=number, data=chunk)
    stored.size = size
    stored.sha256 = digest.hexdigest()
    stored.save(update_fields=["size", "sha256"])
    return stored


def file_chunks(stored: StoredFile, *, team_id: int | None = None) -> Iterator[bytes]:
    """The file's bytes, one stored chunk per query; with ``team_id``, each query in the team's
    scope of its own (for a reader that commits other work between chunks)."""
    number = 0
    while True:
        with team_scope(team_id) if team_id is not None else contextlib.nullcontext():
            data = (
                StoredFileChunk.objects.filter(file_id=stored.pk, number=number)
                .values_list("data", flat=True)
                .first()
            )
        if data is None:
            return
        yield bytes(data)
        number += 1


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def file_open(
    stored: StoredFile,
    *,
    team_id: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> IO[bytes]:
    """A forward-only binary file over the stored chunks (for gzip, csv and line readers);
    ``team_id`` as for :func:`file_chunks`; ``on_chunk`` is told the size of each chunk read
    (a job's progress)."""
    chunks = file_chunks(stored, team_id=team_id)
    if on_chunk is not None:
        chunks = _told(chunks, on_chunk)
    return io.BufferedReader(_ChunkReader(chunks), buffer_size=CHUNK_BYTES)


def _told(chunks: Iterator[bytes], on_chunk: Callable[[int], None]) -> Iterator[bytes]:
    for chunk in chunks:
        on_chunk(len(chunk))
        yield chunk


def file_spool(stored: StoredFile) -> IO[bytes]:
    """A seekable copy, for readers that need to seek (zip archives); the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (returned open)
    for chunk in file_chunks(stored):
        spool.write(chunk)
    spool.seek(0)
    return spool


def file_response(stored: StoredFile, *, team_id: int) -> StreamingHttpResponse:
    """The file as a download, streamed chunk by chunk inside the team's scope."""

    def body() -> Iterator[bytes]:
        with team_scope(team_id):
            yield from file_chunks(stored)

    response = StreamingHttpResponse(body(), content_type=stored.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stored.name}"'
    response["Content-Length"] = str(stored.size)
    return response


def file_delete(stored: StoredFile) -> None:
    """Delete a file and its chunks now (a job done with it), in the team's scope."""
    StoredFileChunk.objects.filter(file_id=stored.pk).delete()
    stored.delete()


def files_prune_expired(*, team_ids: Iterable[int]) -> int:
    """Delete expired files, team by team (row-level security allows no other way)."""
    deleted = 0
    now = timezone.now()
    for team_id in team_ids:
        with team_scope(team_id):
            expired = StoredFile.objects.filter(team_id=team_id, expires_at__lte=now)
            deleted += expired.count()
            StoredFileChunk.objects.filter(team_id=team_id, file__in=expired).delete()
            expired.delete()
    return deleted
