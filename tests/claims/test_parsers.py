"""The three reports behind the claims, read from Amazon-shaped files: the ledger sample of
Amazon's own sandbox, and files written with the columns Amazon's report pages list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ams.inventory.writers import AdjustmentRow, ReturnRow
from ams.sync.parsers import finance, ledger
from ams.sync.parsers.flatfile import MissingColumns, Parsed, Rejected, parse, split_lines

AMAZON = Path(__file__).resolve().parents[2] / "spapi_sim" / "tests" / "amazon"
US = "ATVPDKIKX0DER"


def _documented(report_type: str) -> list[str]:
    columns: list[str] = json.loads((AMAZON / "documented_columns.json").read_text())[report_type]
    return columns


def _file(header: list[str], *rows: dict[str, str]) -> bytes:
    lines = ["\t".join(header)] + ["\t".join(row.get(c, "") for c in header) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_the_ledger_sample_of_amazons_sandbox_keeps_its_adjustments_only():
    sample = (
        AMAZON / "samples" / "amzn-samples-local-ai-sandbox" / "GET_LEDGER_DETAIL_VIEW_DATA.tsv"
    ).read_bytes()
    items = list(
        parse(
            split_lines([sample]),
            required=ledger.LEDGER_REQUIRED,
            convert=ledger.adjustment_converter(US),
        )
    )
    assert items == [
        Parsed(
            9,
            AdjustmentRow(
                US,
                datetime(2024, 12, 11, 15, 0, tzinfo=UTC),
                "X0003IJ3KL",
                "B0B8K4L7ST",
                "SKU-BOTTLE-150",
                "ADJ-20241211-001",
                -1,
                "ONT8",
                "UNSELLABLE",
                "DAMAGED",
                "US",
                0,
                1,
            ),
        )
    ]


def test_ledger_dates_as_seller_central_writes_them_and_a_bad_quantity_set_aside():
    header = list(
        (AMAZON / "samples" / "amzn-samples-local-ai-sandbox" / "GET_LEDGER_DETAIL_VIEW_DATA.tsv")
        .read_text()
        .splitlines()[0]
        .split("\t")
    )
    data = _file(
        header,
        {
            "Date": "03/15/2026",
            "FNSKU": "X00A",
            "EventType": "Adjustments",
            "Quantity": "-2",
            "Reason": "M",
        },
        {
            "Date": "03/16/2026",
            "FNSKU": "X00A",
            "EventType": "Adjustments",
            "Quantity": "two",
            "Reason": "F",
        },
        {"Date": "03/16/2026", "FNSKU": "X00A", "EventType": "Shipments", "Quantity": "-1"},
    )
    items = list(
        parse(
            split_lines([data]),
            required=ledger.LEDGER_REQUIRED,
            convert=ledger.adjustment_converter(US),
        )
    )
    assert [type(i) for i in items] == [Parsed, Rejected]
    first = items[0]
    assert isinstance(first, Parsed)
    assert first.value.happened_at == datetime(2026, 3, 15, tzinfo=UTC)
    assert (first.value.quantity, first.value.reason) == (-2, "M")
    assert "'Quantity' is not a number" in items[1].reason  # type: ignore[union-attr]


def test_customer_returns_leave_the_customers_comments_out():
    header = _documented(ledger.RETURNS_REPORT)
    data = _file(
        header,
        {
            "return-date": "2026-03-01T10:00:00+00:00",
            "order-id": "111-1234567-1234567",
            "sku": "SKU-1",
            "asin": "B0TEST0001",
            "fnsku": "X00TEST001",
            "product-name": "Garden Kneeler",
            "quantity": "1",
            "fulfillment-center-id": "PHX7",
            "detailed-disposition": "CUSTOMER_DAMAGED",
            "reason": "DEFECTIVE",
            "status": "Unit returned to inventory",
            "license-plate-number": "LPNRR123456789",
            "customer-comments": "Arrived broken, call me at 555-0100",
        },
    )
    items = list(
        parse(
            split_lines([data]),
            required=ledger.RETURNS_REQUIRED,
            convert=ledger.return_converter(US),
        )
    )
    assert items == [
        Parsed(
            2,
            ReturnRow(
                US,
                datetime(2026, 3, 1, 10, tzinfo=UTC),
                "111-1234567-1234567",
                "SKU-1",
                "B0TEST0001",
                "X00TEST001",
                1,
                "PHX7",
                "CUSTOMER_DAMAGED",
                "DEFECTIVE",
                "Unit returned to inventory",
                "LPNRR123456789",
            ),
        )
    ]
    assert "555-0100" not in repr(items)


def test_reimbursements_read_decimal_commas_and_refuse_a_file_without_their_ids():
    header = _documented(finance.REIMBURSEMENTS_REPORT)
    data = _file(
        header,
        {
            "approval-date": "2026-03-02T08:00:00+00:00",
            "reimbursement-id": "2598123456",
            "reason": "Lost_Warehouse",
            "sku": "SKU-1",
            "fnsku": "X00TEST001",
            "currency-unit": "EUR",
            "amount-per-unit": "12,50",
            "amount-total": "25,00",
            "quantity-reimbursed-cash": "2",
            "quantity-reimbursed-inventory": "0",
            "quantity-reimbursed-total": "2",
        },
        {
            "approval-date": "2026-03-02T08:00:00+00:00",
            "reimbursement-id": "2598123457",
            "reason": "CustomerReturn",
            "quantity-reimbursed-total": "?",
        },
    )
    items = list(
        parse(
            split_lines([data]),
            required=finance.REIMBURSEMENTS_REQUIRED,
            convert=finance.reimbursement_converter("A1PA6795UKMFR9"),
        )
    )
    assert [type(i) for i in items] == [Parsed, Rejected]
    row = items[0].value  # type: ignore[union-attr]
    assert (row.amount_per_unit, row.amount_total, row.quantity_total) == (
        Decimal("12.50"),
        Decimal("25.00"),
        2,
    )
    assert (row.reason, row.currency, row.case_id, row.order_id) == (
        "Lost_Warehouse",
        "EUR",
        "",
        "",
    )

    without_ids = _file(
        [c for c in header if c != "reimbursement-id"], {"reason": "Lost_Warehouse"}
    )
    with pytest.raises(MissingColumns, match="reimbursement-id"):
        list(
            parse(
                split_lines([without_ids]),
                required=finance.REIMBURSEMENTS_REQUIRED,
                convert=finance.reimbursement_converter(US),
            )
        )
