"""Purchase orders: creation (with the supplier's prices), the steps of an order's life, receipts
(partial, and above the order only when confirmed), payments, the PDF, the email, lead times."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from ams.core.tenancy import team_scope
from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import (
    Payment,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
)
from ams.purchasing.selectors import lead_time, order_lines, order_totals
from ams.purchasing.services import (
    LineInput,
    create_purchase_order,
    payment_record,
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_confirm,
    purchase_order_line_remove,
    purchase_order_line_set,
    purchase_order_send,
    receipt_record,
)
from ams.teams.models import Team
from tests.factories import Personas
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        yield


def snapshot(team: Team) -> tuple[list[Any], ...]:
    with team_scope(team.id):
        return (
            sorted(PurchaseOrder.objects.values_list("id", "number", "status", "sent_at")),
            sorted(
                PurchaseOrderLine.objects.values_list(
                    "id", "quantity", "unit_price", "received_quantity"
                )
            ),
            sorted(Receipt.objects.values_list("id", "received_on")),
            sorted(ReceiptLine.objects.values_list("id", "quantity")),
            sorted(Payment.objects.values_list("id", "amount")),
        )


@pytest.fixture
def shop(personas: Personas) -> dict[str, Any]:
    team = personas.team
    supplier = add_supplier(
        team,
        "Ningbo Mugs",
        email="sales@ningbo.example",
        deposit_percent=Decimal(30),
        incoterm="FOB",
    )
    mug = add_product(team, "MUG", name="Blue mug")
    lamp = add_product(team, "LAMP", name="Desk lamp")
    add_price(team, supplier, mug, "2.00")
    add_price(team, supplier, mug, "1.80", min_quantity=500)
    return {"team": team, "supplier": supplier, "mug": mug, "lamp": lamp, "p": personas}


def create(shop: dict[str, Any], *lines: LineInput) -> PurchaseOrder:
    team = shop["team"]
    with team_scope(team.id):
        return create_purchase_order(
            team=team,
            actor=shop["p"].member,
            supplier_id=shop["supplier"].pk,
            lines=lines
            or (
                LineInput(shop["mug"].pk, 500),
                LineInput(shop["lamp"].pk, 10, unit_price=Decimal("12.50")),
            ),
        )


def send(shop: dict[str, Any], order: PurchaseOrder, *, email: bool = False) -> PurchaseOrder:
    with team_scope(shop["team"].id):
        return purchase_order_send(
            team=shop["team"], actor=shop["p"].admin, order_id=order.pk, email=email
        )


def lines_of(shop: dict[str, Any], order: PurchaseOrder) -> dict[str, PurchaseOrderLine]:
    with team_scope(shop["team"].id):
        return {line.product.code: line for line in order_lines(shop["team"], order)}


def receive(shop, order, quantities: dict[str, int], *, on: date = TODAY, confirm_over=False):
    ids = {code: line.pk for code, line in lines_of(shop, order).items()}
    with team_scope(shop["team"].id):
        return receipt_record(
            team=shop["team"],
            actor=shop["p"].member,
            order_id=order.pk,
            received_on=on,
            quantities={ids[code]: n for code, n in quantities.items()},
            confirm_over=confirm_over,
        )


def status(shop, order) -> str:
    with team_scope(shop["team"].id):
        return PurchaseOrder.objects.get(pk=order.pk).status


def test_an_order_takes_the_suppliers_price_for_the_quantity_and_a_number(shop):
    first = create(shop)
    second = create(shop, LineInput(shop["mug"].pk, 100))
    assert (first.number, second.number) == ("PO-00001", "PO-00002")
    assert first.status == POStatus.DRAFT
    assert first.currency == "USD"
    lines = lines_of(shop, first)
    assert lines["MUG"].unit_price == Decimal("1.80")  # the 500-unit break
    assert lines["LAMP"].unit_price == Decimal("12.50")
    assert lines_of(shop, second)["MUG"].unit_price == Decimal("2.00")
    with team_scope(shop["team"].id):
        totals = order_totals(shop["team"], first)
    assert (totals.total, totals.deposit_due) == (Decimal("1025.00"), Decimal("307.50"))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (lambda s: [LineInput(s["mug"].pk, 0)], "must be more than zero"),
        (lambda s: [LineInput(s["mug"].pk, -5)], "must be more than zero"),
        (lambda s: [LineInput(s["lamp"].pk, 5)], "has no price for 5 x LAMP"),
        (lambda s: [LineInput(s["mug"].pk, 5, unit_price=Decimal("-1"))], "cannot be negative"),
        (lambda s: [LineInput(s["mug"].pk, 5), LineInput(s["mug"].pk, 6)], "twice"),
        (lambda s: [LineInput(999_999, 5)], "a product you do not have"),
    ],
)
def test_bad_lines_are_refused_and_no_order_is_made(shop, lines, message):
    before = snapshot(shop["team"])
    with pytest.raises(PurchasingError, match=message):
        create(shop, *lines(shop))
    assert snapshot(shop["team"]) == before


def test_the_life_of_an_order_with_a_partial_receipt(shop):
    order = create(shop)
    send(shop, order)
    with team_scope(shop["team"].id):
        purchase_order_confirm(team=shop["team"], order_id=order.pk)
    receive(shop, order, {"MUG": 200})
    assert status(shop, order) == POStatus.PARTIALLY_RECEIVED
    receipt = receive(shop, order, {"MUG": 300, "LAMP": 10})
    assert status(shop, order) == POStatus.RECEIVED
    with team_scope(shop["team"].id):
        purchase_order_close(team=shop["team"], order_id=order.pk)
        # What a cost batch is made of: the day, the units, their cost and its currency.
        batch = sorted(
            ReceiptLine.objects.filter(receipt=receipt).values_list(
                "product__code", "quantity", "unit_cost", "currency", "receipt__received_on"
            )
        )
    assert status(shop, order) == POStatus.CLOSED
    assert batch == [
        ("LAMP", 10, Decimal("12.5000"), "USD", TODAY),
        ("MUG", 300, Decimal("1.8000"), "USD", TODAY),
    ]
    assert lines_of(shop, order)["MUG"].received_quantity == 500


def test_a_partly_received_order_closes_short(shop):
    order = create(shop)
    send(shop, order)
    receive(shop, order, {"MUG": 100})
    with team_scope(shop["team"].id):
        purchase_order_close(team=shop["team"], order_id=order.pk)
    assert status(shop, order) == POStatus.CLOSED


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ([], "confirm", "is draft: it cannot become confirmed"),
        ([], "close", "is draft: it cannot become closed"),
        (["send"], "send", "is sent: it cannot become sent"),
        (["send", "cancel"], "confirm", "is cancelled: it cannot become confirmed"),
        (["send", "receive"], "cancel", "is partially received: it cannot become cancelled"),
        (["send", "confirm"], "close", "is confirmed: it cannot become closed"),
        ([], "receive", "is draft: it cannot receive goods"),
        (["cancel"], "pay", "is cancelled: it takes no payment"),
        (["send", "receive"], "line", "only a draft's lines can change"),
    ],
)
def test_invalid_steps_are_refused_and_change_nothing(shop, steps, action, message):
    order = create(shop)
    team = shop["team"]

    def run(name: str) -> None:
        with team_scope(team.id):
            if name == "send":
                purchase_order_send(
                    team=team, actor=shop["p"].admin, order_id=order.pk, email=False
                )
            elif name == "confirm":
                purchase_order_confirm(team=team, order_id=order.pk)
            elif name == "cancel":
                purchase_order_cancel(team=team, order_id=order.pk)
            elif name == "close":
                purchase_order_close(team=team, order_id=order.pk)
            elif name == "pay":
                payment_record(
                    team=team,
                    actor=None,
                    order_id=order.pk,
                    kind="deposit",
                    amount=Decimal(1),
                    paid_on=TODAY,
                )
            elif name == "line":
                purchase_order_line_set(
                    team=team, order_id=order.pk, line=LineInput(shop["mug"].pk, 9)
                )
        if name == "receive":
            receive(shop, order, {"MUG": 1})

    for step in steps:
        run(step)
    before = snapshot(team)
    with pytest.raises(PurchasingError, match=message):
        run(action)
    assert snapshot(team) == before


@pytest.mark.parametrize(
    ("quantities", "on", "message"),
    [
        ({"MUG": -1}, TODAY, "cannot be negative"),
        ({"MUG": 0}, TODAY, "has no units"),
        ({"MUG": 501}, TODAY, r"More than ordered: MUG \(501 of 500\)"),
        ({"MUG": 1}, TODAY + timedelta(days=1), "a day still to come"),
        ({"MUG": 1}, TODAY - timedelta(days=1), "goods came later"),
    ],
)
def test_bad_receipts_are_refused_and_change_nothing(shop, quantities, on, message):
    order = create(shop)
    send(shop, order)
    before = snapshot(shop["team"])
    with pytest.raises(PurchasingError, match=message):
        receive(shop, order, quantities, on=on)
    assert snapshot(shop["team"]) == before


def test_more_than_ordered_is_received_once_confirmed(shop):
    order = create(shop)
    send(shop, order)
    receive(shop, order, {"MUG": 520, "LAMP": 10}, confirm_over=True)
    assert lines_of(shop, order)["MUG"].received_quantity == 520
    assert status(shop, order) == POStatus.RECEIVED
    with pytest.raises(PurchasingError, match="More than ordered"):
        receive(shop, order, {"LAMP": 1})


def test_payments_are_recorded_in_the_orders_currency(shop):
    order = create(shop)
    send(shop, order)
    team = shop["team"]
    with team_scope(team.id):
        payment_record(
            team=team,
            actor=None,
            order_id=order.pk,
            kind="deposit",
            amount=Decimal("307.50"),
            paid_on=TODAY,
        )
        with pytest.raises(PurchasingError, match="more than zero"):
            payment_record(
                team=team,
                actor=None,
                order_id=order.pk,
                kind="balance",
                amount=Decimal(0),
                paid_on=TODAY,
            )
        totals = order_totals(team, order)
    assert (totals.paid, totals.balance, totals.currency) == (
        Decimal("307.50"),
        Decimal("717.50"),
        "USD",
    )


def test_lines_of_a_draft_are_changed_and_removed(shop):
    order = create(shop, LineInput(shop["mug"].pk, 100))
    team = shop["team"]
    with team_scope(team.id):
        purchase_order_line_set(team=team, order_id=order.pk, line=LineInput(shop["mug"].pk, 600))
        line = purchase_order_line_set(
            team=team, order_id=order.pk, line=LineInput(shop["lamp"].pk, 4, unit_price=Decimal(9))
        )
    assert lines_of(shop, order)["MUG"].unit_price == Decimal("1.80")
    with team_scope(team.id):
        purchase_order_line_remove(team=team, order_id=order.pk, line_id=line.pk)
    assert set(lines_of(shop, order)) == {"MUG"}


def test_sending_mails_the_pdf_to_the_supplier(shop, django_capture_on_commit_callbacks):
    order = create(shop)
    with django_capture_on_commit_callbacks(execute=True):
        send(shop, order, email=True)
    assert status(shop, order) == POStatus.SENT
    (message,) = mail.outbox
    assert message.to == ["sales@ningbo.example"]
    assert message.reply_to == [shop["p"].admin.email]
    assert "PO-00001" in message.subject
    ((name, content, kind),) = message.attachments
    assert (name, kind) == ("PO-00001.pdf", "application/pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Purchase order PO-00001" in text
    assert "Ningbo Mugs" in text
    for expected in ("MUG", "Blue mug", "500", "1.80", "LAMP", "125.00", "Total (USD)", "1025.00"):
        assert expected in text
    assert "30.00 % deposit" in text


def test_an_order_is_not_sent_by_email_without_an_address_nor_without_lines(shop):
    team = shop["team"]
    bare = add_supplier(team, "No mail")
    with team_scope(team.id):
        order = create_purchase_order(
            team=team,
            actor=None,
            supplier_id=bare.pk,
            lines=[LineInput(shop["mug"].pk, 1, unit_price=Decimal(1))],
        )
        empty = create_purchase_order(team=team, actor=None, supplier_id=shop["supplier"].pk)
    before = snapshot(team)
    with pytest.raises(PurchasingError, match="has no email address"):
        send(shop, order, email=True)
    with pytest.raises(PurchasingError, match="has no lines"):
        send(shop, empty, email=True)
    assert snapshot(team) == before
    assert mail.outbox == []


def test_another_teams_order_supplier_and_product_cannot_be_used(shop):
    p = shop["p"]
    theirs_supplier = add_supplier(p.outsider_team, "Their supplier", email="x@example.test")
    theirs_product = add_product(p.outsider_team, "SECRET")
    with team_scope(p.outsider_team.id):
        theirs = create_purchase_order(
            team=p.outsider_team,
            actor=None,
            supplier_id=theirs_supplier.pk,
            lines=[LineInput(theirs_product.pk, 3, unit_price=Decimal(1))],
        )
    outsider_before = snapshot(p.outsider_team)
    team = shop["team"]
    with team_scope(team.id):
        with pytest.raises(Supplier.DoesNotExist):
            create_purchase_order(team=team, actor=None, supplier_id=theirs_supplier.pk)
        with pytest.raises(PurchasingError, match="a product you do not have"):
            create_purchase_order(
                team=team,
                actor=None,
                supplier_id=shop["supplier"].pk,
                lines=[LineInput(theirs_product.pk, 1, unit_price=Decimal(1))],
            )
        for call in (
            lambda: purchase_order_send(team=team, actor=p.owner, order_id=theirs.pk, email=False),
            lambda: purchase_order_cancel(team=team, order_id=theirs.pk),
            lambda: receipt_record(
                team=team, actor=None, order_id=theirs.pk, received_on=TODAY, quantities={}
            ),
            lambda: payment_record(
                team=team,
                actor=None,
                order_id=theirs.pk,
                kind="deposit",
                amount=Decimal(1),
                paid_on=TODAY,
            ),
        ):
            with pytest.raises(PurchaseOrder.DoesNotExist):
                call()
    assert snapshot(p.outsider_team) == outsider_before


def test_lead_time_is_measured_from_sending_to_the_first_receipt(shop):
    supplier = shop["supplier"]
    with team_scope(shop["team"].id):
        supplier.stated_lead_time_days = 30
        supplier.save(update_fields=["stated_lead_time_days"])
    # Three orders sent on 1 January, arriving after 20, 30 and 40 days (a later top-up of the
    # first does not count: the lead time is until goods first arrive).
    for days in (20, 30, 40):
        with time_machine.travel(datetime(2026, 1, 1, 8, tzinfo=UTC), tick=False):
            order = create(shop)
            send(shop, order)
        receive(shop, order, {"MUG": 100}, on=date(2026, 1, 1) + timedelta(days=days))
        if days == 20:
            receive(shop, order, {"MUG": 100}, on=date(2026, 2, 25))
    # A draft and a sent order with nothing received yet do not count.
    create(shop)
    send(shop, create(shop))
    with team_scope(shop["team"].id):
        measured = lead_time(shop["team"], supplier)
    assert measured.stated_days == 30
    assert measured.samples == 3
    assert measured.mean_days == Decimal("30.0")
    assert measured.spread_days == Decimal("10.0")
