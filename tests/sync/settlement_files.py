"""Settlement files as sellers have them, built from Amazon's samples and the simulator's reports.

A file is kept as its header and rows of cells, transformed the ways real files differ (the
other layout, decimal commas, local dates, empty currencies, trailing spaces, new fee types,
encodings, archives) and written out as bytes. The expected total and line sum are computed here
from the cells, independently of the reader under test.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from spapi.reports import DocumentBytes
from tests.sync.harness import SimSeller

SAMPLES = Path(__file__).resolve().parents[2] / "spapi_sim" / "tests" / "amazon" / "samples"
V1_SAMPLES = sorted(
    (SAMPLES / "peddler-mws-era-report-bodies").glob("settlement_flat_file_v1_*.txt")
)
V2_SAMPLE = SAMPLES / "synthetic-by-others" / "settlement_v2_flat_file_sample_xieyi138.txt"
SETTLEMENT_V2 = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

# The V1 header of Amazon's real files (the peddler samples), with the promotion columns the
# longer variant of the same report adds.
V1_HEADER = [
    *("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date"),
    *("total-amount", "currency", "transaction-type", "order-id", "merchant-order-id"),
    *("adjustment-id", "shipment-id", "marketplace-name", "shipment-fee-type"),
    *("shipment-fee-amount", "order-fee-type", "order-fee-amount", "fulfillment-id"),
    *("posted-date", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id"),
    *("sku", "quantity-purchased", "price-type", "price-amount", "item-related-fee-type"),
    *("item-related-fee-amount", "misc-fee-amount", "other-fee-amount"),
    *("other-fee-reason-description", "promotion-id", "promotion-type", "promotion-amount"),
    *("direct-payment-type", "direct-payment-amount", "other-amount"),
]
# V2 amount-type → the V1 columns holding such an amount (type cell, amount cell).
V1_COLUMNS = {
    "ItemPrice": ("price-type", "price-amount"),
    "ItemFees": ("item-related-fee-type", "item-related-fee-amount"),
    "Promotion": ("promotion-type", "promotion-amount"),
    "Shipment-Fees": ("shipment-fee-type", "shipment-fee-amount"),
    "ShipmentFees": ("shipment-fee-type", "shipment-fee-amount"),
    "Order-Fees": ("order-fee-type", "order-fee-amount"),
    "DirectPayment": ("direct-payment-type", "direct-payment-amount"),
}
DATE_COLUMNS = (
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "posted-date",
    "posted-date-time",
)


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[list[str]]
    newline: str = "\n"

    @classmethod
    def parse(cls, text: str) -> Sheet:
        lines = [line for line in text.splitlines() if line.strip()]
        header = lines[0].split("\t")
        rows = [(line.split("\t") + [""] * len(header))[: len(header)] for line in lines[1:]]
        return cls(header, rows)

    def cell(self, row: list[str], name: str) -> str:
        return row[self.header.index(name)]

    @property
    def summary(self) -> list[str]:
        return self.rows[0]

    @property
    def total(self) -> Decimal:
        return _amount(self.cell(self.summary, "total-amount"))

    @property
    def settlement_id(self) -> str:
        return self.cell(self.summary, "settlement-id").strip()

    def amounts(self) -> list[Decimal]:
        """Every amount of the rows after the summary, read here from the cells."""
        columns = [i for i, name in enumerate(self.header) if _is_amount_column(name)]
        return [_amount(row[i]) for row in self.rows[1:] for i in columns if row[i].strip() != ""]

    def text(self) -> str:
        lines = ["\t".join(self.header), *("\t".join(row) for row in self.rows)]
        return self.newline.join(lines) + self.newline

    def map(
        self, names: tuple[str, ...], change: Callable[[str], str], *, summary: bool = True
    ) -> Sheet:
        positions = [self.header.index(n) for n in names if n in self.header]
        rows = []
        for number, row in enumerate(self.rows):
            row = list(row)
            if summary or number:
                for i in positions:
                    if row[i].strip():
                        row[i] = change(row[i])
            rows.append(row)
        return replace(self, rows=rows)


def _is_amount_column(name: str) -> bool:
    return name == "amount" or (name.endswith("-amount") and name != "total-amount")


def _amount(cell: str) -> Decimal:
    raw = cell.strip()
    if "." not in raw and re.fullmatch(r"-?\d{1,3}(,\d{3})+", raw):  # yen: "12,999"
        raw = raw.replace(",", "")
    elif "," in raw and raw.rfind(",") > raw.rfind("."):
        raw = raw.replace(".", "").replace(",", ".")
    return Decimal(raw)


# --- the sources -----------------------------------------------------------------------------------


def v1_samples() -> list[Sheet]:
    return [Sheet.parse(path.read_text()) for path in V1_SAMPLES]


def v2_sample() -> Sheet:
    return Sheet.parse(V2_SAMPLE.read_text())


def simulator_documents(seller: SimSeller) -> list[Sheet]:
    """Every settlement report the simulated seller's Amazon lists, as downloaded."""
    client = seller.client()
    reports = client.get_reports(report_types=[SETTLEMENT_V2], processing_statuses=["DONE"])
    documents = []
    for report in reports.get("reports") or []:
        data = b"".join(DocumentBytes(client, report["reportDocumentId"]))
        documents.append(Sheet.parse(data.decode("utf-8")))
    assert documents, "the simulator lists settlement reports"
    return documents


# --- the ways files differ -------------------------------------------------------------------------


def as_v1(sheet: Sheet) -> Sheet:
    """A V2 file in the old layout: each amount in the column of its family, a currency on the
    summary row only; an amount of a family V1 has no column for goes to other-amount (with
    its description as the transaction type) or other-fee-amount."""
    rows = []
    for number, v2 in enumerate(sheet.rows):
        row = dict.fromkeys(V1_HEADER, "")
        for name in (
            "settlement-id",
            "transaction-type",
            "order-id",
            "adjustment-id",
            "shipment-id",
            "marketplace-name",
            "fulfillment-id",
            "order-item-code",
            "sku",
            "quantity-purchased",
            "promotion-id",
        ):
            if name in sheet.header:
                row[name] = sheet.cell(v2, name)
        if number == 0:
            for name in (
                "settlement-start-date",
                "settlement-end-date",
                "deposit-date",
                "total-amount",
                "currency",
            ):
                row[name] = sheet.cell(v2, name)
        else:
            row["posted-date"] = sheet.cell(v2, "posted-date-time") or sheet.cell(v2, "posted-date")
            kind = sheet.cell(v2, "amount-type")
            description = sheet.cell(v2, "amount-description")
            amount = sheet.cell(v2, "amount")
            if kind in V1_COLUMNS:
                type_column, amount_column = V1_COLUMNS[kind]
                row[type_column], row[amount_column] = description, amount
            elif kind == "other-transaction":
                row["transaction-type"], row["other-amount"] = description, amount
            else:
                row["other-fee-reason-description"], row["other-fee-amount"] = description, amount
        rows.append([row[name] for name in V1_HEADER])
    return Sheet(list(V1_HEADER), rows, sheet.newline)


def with_zero_tax_rows(sheet: Sheet) -> Sheet:
    """A V1 file as older ones were written, with a zero tax amount beside each price: more
    lines than the V2 report of the same settlement, numbered differently."""
    price = sheet.header.index("price-type")
    rows = [sheet.rows[0]]
    for row in sheet.rows[1:]:
        rows.append(row)
        if row[price] == "Principal":
            tax = list(row)
            tax[price], tax[price + 1] = "Tax", "0.00"
            rows.append(tax)
    return replace(sheet, rows=rows)


def decimal_commas(sheet: Sheet) -> Sheet:
    """Amounts as EU files write them: "1.234,56", "-12,30"."""

    def eu(cell: str) -> str:
        value = _amount(cell)
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    names = tuple(n for n in sheet.header if _is_amount_column(n) or n == "total-amount")
    return sheet.map(names, eu)


def yen(sheet: Sheet) -> Sheet:
    """The settlement in yen as JP files write it: whole amounts, thousands grouped ("12,999")."""

    def whole(cell: str) -> str:
        return f"{int(_amount(cell) * 100):,}"

    names = tuple(n for n in sheet.header if _is_amount_column(n) or n == "total-amount")
    return sheet.map(names, whole).map(("currency",), lambda _cell: "JPY")


def dotted_dates(sheet: Sheet, *, with_time: bool = True) -> Sheet:
    """Dates as DE files write them: "13.08.2019 11:28:19 UTC" (or the day alone)."""

    def dotted(cell: str) -> str:
        moment = datetime.fromisoformat(cell.strip().replace(" UTC", "+00:00"))
        return moment.strftime("%d.%m.%Y %H:%M:%S UTC" if with_time else "%d.%m.%Y")

    return sheet.map(DATE_COLUMNS, dotted)


def slashed_dates(sheet: Sheet) -> Sheet:
    def slashed(cell: str) -> str:
        moment = datetime.fromisoformat(cell.strip().replace(" UTC", "+00:00"))
        return moment.strftime("%d/%m/%Y %H:%M:%S UTC")

    return sheet.map(DATE_COLUMNS, slashed)


def short_posted_dates(sheet: Sheet) -> Sheet:
    """posted-date as the V2 report documents it (MM/DD/YY), and no posted-date-time."""

    def short(cell: str) -> str:
        moment = datetime.fromisoformat(cell.strip().replace(" UTC", "+00:00"))
        return moment.strftime("%m/%d/%y")

    shortened = sheet.map(("posted-date",), short)
    return shortened.map(("posted-date-time",), lambda _cell: "")


def trailing_spaces(sheet: Sheet) -> Sheet:
    names = tuple(n for n in sheet.header if _is_amount_column(n) or n in ("currency", "sku"))
    return sheet.map(names, lambda cell: cell + "    ")


def empty_line_currencies(sheet: Sheet) -> Sheet:
    return sheet.map(("currency",), lambda _cell: "", summary=False)


def new_fee_types(sheet: Sheet) -> Sheet:
    """Fee types AMS has never seen: every description renamed, and new amount families."""
    renamed = sheet.map(
        (
            "amount-description",
            "item-related-fee-type",
            "price-type",
            "other-fee-reason-description",
        ),
        lambda cell: f"FutureFee{len(cell)}Type",
    )
    return renamed.map(("amount-type",), lambda cell: "Quantum" + cell.replace("-", ""))


def crlf(sheet: Sheet) -> Sheet:
    return replace(sheet, newline="\r\n")


def with_cell(sheet: Sheet, name: str, value: str) -> Sheet:
    """Every non-summary row's cell of ``name`` set to ``value`` (a SKU in a local script)."""
    position = sheet.header.index(name)
    rows = [sheet.rows[0], *([*r[:position], value, *r[position + 1 :]] for r in sheet.rows[1:])]
    return replace(sheet, rows=rows)


# --- bytes -----------------------------------------------------------------------------------------


def encoded(sheet: Sheet, encoding: str = "utf-8", *, bom: bool = False) -> bytes:
    data = sheet.text().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
