"""A settlement's deposit, from V2 flat files built from Amazon's sample and served by the
simulator in place of its own: what was paid out, the reserve held and released, and a
negative total carried over rather than paid."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.models import Settlement
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from ams.sync.syncers import reports
from spapi import reports as spapi_reports

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "spapi_sim/tests/amazon/samples/synthetic-by-others/settlement_v2_flat_file_sample_xieyi138.txt"
)


def _sample() -> tuple[str, list[list[str]], list[list[str]]]:
    header, summary, *lines = SAMPLE.read_text().splitlines()
    return header, [summary.split("\t")], [line.split("\t") for line in lines]


def _file(settlement_id: str, deposit: str, lines: list[list[str]]) -> bytes:
    """A V2 flat file of the sample's columns: its summary's total is the sum of ``lines``."""
    header, (summary,), _ = _sample()
    total = sum((Decimal(line[14]) for line in lines), Decimal(0))
    head = [settlement_id, summary[1], summary[2], deposit, str(total), *summary[5:]]
    rows = [head, *([settlement_id, *line[1:]] for line in lines)]
    return ("\n".join([header, *("\t".join(row) for row in rows)]) + "\n").encode()


def _positive() -> bytes:
    """The sample itself: 582.89 USD paid out, 420.00 held back, 820.44 of the last reserve released."""
    _, _, lines = _sample()
    return _file("28471003921", "2026-07-02 00:00:00 UTC", lines)


def _negative() -> bytes:
    """The sample's fees, refund and reserve lines without its sales: a negative total."""
    _, _, lines = _sample()
    kept = [
        line
        for line in lines
        if line[6] in ("Refund", "ServiceFee", "Shipment") or line[13] == "Current Reserve Amount"
    ]
    return _file("28471003922", "2026-07-16 00:00:00 UTC", kept)


def _serve(monkeypatch: pytest.MonkeyPatch, files: list[bytes]) -> None:
    """The simulator's first settlement documents replaced by ``files``, through the real byte path."""
    real = spapi_reports.DocumentBytes
    left = list(files)

    class Replaced(real):  # type: ignore[misc, valid-type]
        def __iter__(self) -> Iterator[bytes]:
            body = b"".join(super().__iter__())
            if not body.startswith(b"settlement-id") or not left:
                yield body
                return
            self.charset = "utf-8"
            yield left.pop(0)

    # The settlement path reads lines (ams.sync.parsers.flatfile), the others blocks.
    monkeypatch.setattr(spapi_reports, "DocumentBytes", Replaced)
    monkeypatch.setattr(reports, "DocumentBytes", Replaced)


def test_deposits_reserves_and_a_negative_total_carried_over(
    connection: SellerConnection, monkeypatch: pytest.MonkeyPatch, fast_sync: None
):
    _serve(monkeypatch, [_positive(), _negative()])
    status = sync_run(
        team_id=connection.team_id, connection_id=connection.id, family=Family.SETTLEMENTS
    )
    assert status == SyncStatus.DONE

    with team_scope(connection.team_id):
        paid = Settlement.objects.get(connection=connection, settlement_id="28471003921")
        owed = Settlement.objects.get(connection=connection, settlement_id="28471003922")
    assert paid.lines_reconciled
    assert owed.lines_reconciled
    assert paid.deposit_at is not None
    assert (paid.deposit_at.isoformat(), paid.currency) == ("2026-07-02T00:00:00+00:00", "USD")
    assert paid.total_amount == Decimal("582.89")
    assert paid.deposit_amount == Decimal("582.89")
    assert paid.carried_over == Decimal("0.00")
    assert paid.reserve_held == Decimal("420.00")
    assert paid.reserve_released == Decimal("820.44")
    assert paid.reserve_amount == Decimal("400.44")  # the net, as before

    # -129.99 - 5.00 + 19.50 - 64.28 - 39.99 - 12.60 - 2.50 - 420.00
    assert owed.total_amount == Decimal("-654.86")
    assert owed.deposit_amount == Decimal("0.00")
    assert owed.carried_over == Decimal("654.86")
    assert owed.reserve_held == Decimal("420.00")
    assert owed.reserve_released == Decimal("0.00")
