"""A malformed report quarantines what is bad, ingests what is good, and says so."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders.models import Order
from ams.sync.models import Family, PendingReport, QuarantinedRow, SyncState, SyncStatus
from ams.sync.services import RetryableSyncError, sync_run
from ams.sync.syncers import reports
from spapi import reports as spapi_reports
from spapi_sim.world.buyers import ALL_VALUES
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

Mangle = Callable[[list[bytes]], bytes]


def _serve(monkeypatch: pytest.MonkeyPatch, mangle: Mangle, *, times: int = 1000) -> None:
    """Serve every order report's document through ``mangle`` (its lines as bytes → gzip bytes),
    declared as UTF-8, then through the real byte path: gunzip, blocks, decoding."""
    real = spapi_reports.DocumentBytes
    calls = {"n": 0}

    class Mangled(real):  # type: ignore[misc, valid-type]
        def __iter__(self) -> Iterator[bytes]:
            body = b"".join(super().__iter__())
            lines = body.split(b"\n")
            if lines and not lines[-1]:
                lines.pop()
            if not lines or b"amazon-order-id" not in lines[0] or calls["n"] >= times:
                yield body
                return
            calls["n"] += 1
            self.charset = "utf-8"
            mangled = mangle(lines)
            yield from spapi_reports.gunzip(
                mangled[i : i + 4096] for i in range(0, len(mangled), 4096)
            )

    monkeypatch.setattr(reports, "DocumentBytes", Mangled)


def _orders(connection: SellerConnection) -> int:
    with team_scope(connection.team_id):
        return Order.objects.filter(connection=connection).count()


def _state(connection: SellerConnection) -> SyncState:
    with team_scope(connection.team_id):
        return SyncState.objects.get(connection=connection, family=Family.ORDERS)


def _quarantine(connection: SellerConnection) -> list[str]:
    with team_scope(connection.team_id):
        return list(
            QuarantinedRow.objects.filter(connection=connection).values_list("reason", flat=True)
        )


def test_bad_rows_and_a_wrong_encoding_are_set_aside_and_the_rest_imported(
    connection: SellerConnection,
    seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    def mangle(lines: list[bytes]) -> bytes:
        header, first, *rest = lines
        cells = first.split(b"\t")
        bad_date = b"\t".join([b"999-0000000-0000001", cells[1], b"not a date", *cells[3:]])
        extra_cells = first + b"\tsurplus\tcells"
        latin1 = b"\t".join(
            [b"999-0000000-0000002", *cells[1:9], "Caf\u00e9".encode("latin-1"), *cells[10:]]
        )
        return gzip.compress(
            b"\n".join([header, first, bad_date, extra_cells, latin1, *rest]) + b"\n"
        )

    _serve(monkeypatch, mangle)
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    assert status == SyncStatus.PARTIAL
    assert _orders(connection) == seller.truth()["orders"]["count"]
    reasons = _quarantine(connection)
    assert any("'purchase-date' is not a date" in r for r in reasons)
    assert any("cells where the header has" in r for r in reasons)
    assert any("not valid utf-8" in r for r in reasons)
    # The lines kept to explain each refusal keep the order, never the buyer's address.
    with team_scope(connection.team_id):
        kept = list(
            QuarantinedRow.objects.filter(connection=connection).values_list("raw", flat=True)
        )
    assert any("999-0000000-0000001" in raw for raw in kept)
    assert not [raw for raw in kept for value in ALL_VALUES if value in raw]
    state = _state(connection)
    assert "set aside" in state.reason
    assert state.quarantined_last_run == len(reasons)


def test_a_report_without_a_needed_column_is_refused_whole_and_named(
    connection: SellerConnection, monkeypatch: pytest.MonkeyPatch, fast_sync: None
):
    def mangle(lines: list[bytes]) -> bytes:
        header = lines[0].replace(b"\tsku\t", b"\tseller-sku-renamed\t")
        return gzip.compress(b"\n".join([header, *lines[1:]]) + b"\n")

    _serve(monkeypatch, mangle)
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    assert status == SyncStatus.PARTIAL
    assert "the report has no column 'sku'" in _state(connection).reason
    # Refused whole: kept pending (never counted as read), not counted as rows set aside.
    with team_scope(connection.team_id):
        kept = list(PendingReport.objects.filter(connection=connection, family=Family.ORDERS))
    assert kept
    assert all("no column 'sku'" in p.reason for p in kept)
    assert _quarantine(connection) == []
    assert _state(connection).quarantined_last_run == 0


def test_a_truncated_download_keeps_the_rows_read_and_is_fetched_again(
    connection: SellerConnection,
    seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    def truncate(lines: list[bytes]) -> bytes:
        whole = gzip.compress(b"\n".join(lines) + b"\n")
        return whole[: len(whole) * 2 // 3]

    _serve(monkeypatch, truncate, times=1)
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    assert status == SyncStatus.DONE
    assert _orders(connection) == seller.truth()["orders"]["count"]
    assert any("document incomplete" in r for r in _quarantine(connection))


def test_a_download_that_always_breaks_fails_with_a_reason_and_keeps_what_was_read(
    connection: SellerConnection, monkeypatch: pytest.MonkeyPatch, fast_sync: None
):
    def truncate(lines: list[bytes]) -> bytes:
        whole = gzip.compress(b"\n".join(lines) + b"\n")
        return whole[: len(whole) // 2]

    _serve(monkeypatch, truncate)
    with pytest.raises(RetryableSyncError):
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    state = _state(connection)
    assert state.status == SyncStatus.FAILED
    assert "kept breaking off" in state.reason
    assert _orders(connection) > 0
    assert state.cursor.get("backfill_done") is not True
