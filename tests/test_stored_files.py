"""Files kept for jobs: stored in chunks, read back whole, private to their team, gone when expired."""

from __future__ import annotations

import hashlib
import os
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ams.core.files import (
    CHUNK_BYTES,
    FileTooLarge,
    file_chunks,
    file_open,
    file_response,
    file_spool,
    file_store,
    files_prune_expired,
)
from ams.core.models import StoredFile, StoredFileChunk
from ams.core.tenancy import team_scope
from tests.factories import Personas

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)


def _store(team_id: int, data: bytes, **kwargs: object) -> StoredFile:
    # Pieces of odd sizes, as an upload handler hands them over.
    pieces = [data[i : i + 300_001] for i in range(0, len(data), 300_001)]
    options = {
        "kind": "upload",
        "name": "report.txt",
        "content_type": "text/plain",
        "lifetime": DAY,
    }
    options.update(kwargs)
    with team_scope(team_id):
        return file_store(team_id=team_id, chunks=pieces, **options)  # type: ignore[arg-type]


def test_a_file_is_stored_in_bounded_chunks_and_read_back_byte_for_byte(personas: Personas):
    data = os.urandom(CHUNK_BYTES * 2 + 12_345)
    stored = _store(personas.team.id, data)

    with team_scope(personas.team.id):
        sizes = [
            len(bytes(c))
            for c in StoredFileChunk.objects.filter(file=stored)
            .order_by("number")
            .values_list("data", flat=True)
        ]
        assert sizes == [CHUNK_BYTES, CHUNK_BYTES, 12_345]
        assert b"".join(file_chunks(stored)) == data
        assert file_open(stored).read() == data
        stored.refresh_from_db()
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_a_file_past_the_limit_is_refused_and_nothing_is_left(personas: Personas):
    with pytest.raises(FileTooLarge, match="larger than 1 MB"):
        _store(personas.team.id, b"x" * (CHUNK_BYTES * 3), max_bytes=CHUNK_BYTES)
    with team_scope(personas.team.id):
        assert not StoredFile.objects.exists()
        assert not StoredFileChunk.objects.exists()


def test_an_archive_can_be_opened_from_its_seekable_copy(personas: Personas, tmp_path):
    archive = tmp_path / "files.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("settlement.txt", "settlement-id\ttotal-amount\n1\t2.00\n")
    stored = _store(personas.team.id, archive.read_bytes(), name="files.zip")
    with team_scope(personas.team.id), file_spool(stored) as spool:
        assert zipfile.ZipFile(spool).read("settlement.txt").startswith(b"settlement-id")


def test_a_download_streams_the_file_inside_the_team_scope(personas: Personas):
    data = b"a,b\n" * 400_000
    stored = _store(personas.team.id, data, name="../../etc/orders export.csv")
    # Streaming happens after the view's transaction (and scope) ended.
    response = file_response(stored, team_id=personas.team.id)
    assert b"".join(response.streaming_content) == data  # type: ignore[arg-type]
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == 'attachment; filename="orders_export.csv"'


def test_another_team_sees_no_file_and_reads_no_byte(personas: Personas):
    stored = _store(personas.team.id, b"secret rows")
    with team_scope(personas.outsider_team.id):
        assert not StoredFile.objects.filter(pk=stored.pk).exists()
        assert b"".join(file_chunks(stored)) == b""
    response = file_response(stored, team_id=personas.outsider_team.id)
    assert b"".join(response.streaming_content) == b""  # type: ignore[arg-type]


def test_expired_files_are_pruned_and_live_ones_kept(personas: Personas):
    old = _store(personas.team.id, b"old", lifetime=timedelta(hours=1))
    kept = _store(personas.team.id, b"kept", lifetime=timedelta(days=2))
    theirs = _store(personas.outsider_team.id, b"theirs", lifetime=timedelta(hours=1))

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        deleted = files_prune_expired(team_ids=[personas.team.id, personas.outsider_team.id])

    assert deleted == 2
    with team_scope(personas.team.id):
        assert list(StoredFile.objects.values_list("pk", flat=True)) == [kept.pk]
        assert not StoredFileChunk.objects.filter(file_id=old.pk).exists()
    with team_scope(personas.outsider_team.id):
        assert not StoredFile.objects.filter(pk=theirs.pk).exists()
