"""A purchase order as a PDF the seller sends to the supplier, drawn with fpdf2 (pure Python).

The PDF uses the core Helvetica font, which holds Latin-1 only: a character outside it (a name in
Chinese script, say) is printed as "?". The PDF is what a supplier reads; the order in AMS keeps
every character.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ams.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ams.purchasing.selectors import OrderTotals

_MARGIN = 15
# Columns of the lines table: (heading, width in mm, alignment).
_COLUMNS = (
    ("Code", 30, "L"),
    ("Product", 70, "L"),
    ("Quantity", 22, "R"),
    ("Unit price", 28, "R"),
    ("Total", 30, "R"),
)


def _text(value: object) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def money(amount: Decimal) -> str:
    """2 decimals, or the 3 or 4 a unit price may have: 1.5 → 1.50, 0.125 → 0.125."""
    text = f"{amount.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _terms(order: PurchaseOrder) -> str:
    supplier = order.supplier
    parts = []
    if supplier.deposit_percent:
        parts.append(f"{money(supplier.deposit_percent)} % deposit")
    days = f", {supplier.balance_days} days" if supplier.balance_days else ""
    parts.append(f"balance {supplier.get_balance_due_display()}{days}")
    return "; ".join(parts)


def purchase_order_pdf(
    *,
    order: PurchaseOrder,
    lines: Sequence[PurchaseOrderLine],
    totals: OrderTotals,
    buyer: str,
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title(_text(f"Purchase order {order.number}"))
    pdf.set_creator("AMS")
    pdf.add_page()

    pdf.set_font("Helvetica", style="B", size=18)
    pdf.cell(0, 10, _text(f"Purchase order {order.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    when = (order.sent_at or order.created_at).date().isoformat()
    facts = [
        ("From", buyer),
        ("To", order.supplier.name),
        ("Date", when),
        ("Currency", order.currency),
        ("Payment terms", _terms(order)),
    ]
    if order.supplier.incoterm:
        facts.append(("Incoterm", order.supplier.incoterm))
    if order.expected_ship_date:
        facts.append(("Ship by", order.expected_ship_date.isoformat()))
    if order.expected_arrival_date:
        facts.append(("Expected arrival", order.expected_arrival_date.isoformat()))
    for label, value in facts:
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.cell(40, 6, _text(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 6, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if order.supplier.address:
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, _text(order.supplier.address), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    pdf.set_font("Helvetica", style="B", size=10)
    for heading, width, align in _COLUMNS:
        pdf.cell(width, 7, heading, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        cells = (
            line.product.code,
            line.product.name[:45],
            str(line.quantity),
            money(line.unit_price),
            money(line.quantity * line.unit_price),
        )
        for value, (_, width, align) in zip(cells, _COLUMNS, strict=True):
            pdf.cell(width, 6, _text(value), align=align)
        pdf.ln()
    pdf.set_font("Helvetica", style="B", size=10)
    label_width = sum(width for _, width, _ in _COLUMNS[:-1])
    pdf.cell(label_width, 8, _text(f"Total ({totals.currency})"), border="T", align="R")
    pdf.cell(_COLUMNS[-1][1], 8, money(totals.total), border="T", align="R")
    pdf.ln()
    if order.note:
        pdf.ln(4)
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, _text(order.note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
