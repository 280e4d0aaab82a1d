"""Finding what Amazon owes: the reimbursement cases in the reports AMS keeps.

It reads across the inventory (the ledger's adjustments, the customer returns), the money (the
reimbursements, the refunds) and the orders (what the customer paid), through each app's
selectors, and returns the cases it sees now. It writes nothing: ``services.claims_refresh``
keeps the cases and their statuses.

* **Lost or damaged in a fulfilment centre.** Per marketplace and FNSKU, the ledger's losses
  (reason M) and damages (E) in time order; a unit found again (F) settles the oldest lost unit
  still open before it, a ``Lost_Warehouse`` / ``Damaged_Warehouse`` reimbursement the oldest
  open unit of its kind (then of either kind). What is left of a loss once
  ``policy.WAREHOUSE_SETTLING_DAYS`` have passed is a case, one per ledger row. A unit is
  valued at what Amazon last paid for a lost unit of the SKU, else its average sale price, else
  its listing's price.
* **Refunded, never returned.** An FBA order line refunded before the claim window opened
  (``policy.RETURN_WINDOWS``) whose refunded units are neither in the customer returns report
  nor reimbursed for that order. Only refunds since the returns report has been read
  (``evidence_since``) are judged: for older ones AMS cannot know whether the unit came back.
* **Refund above the amount paid.** An FBA order line whose refunds (principal, tax, shipping,
  less promotions) add up to more than the customer paid for it.
* **FBA fee above the size tier.** Per marketplace and SKU, the FBA fulfilment fee per unit of
  each shipment (the charge over the order line's units) in time order: when the latest change
  is a rise after at least ``FEE_STEADY_SHIPMENTS`` shipments at one fee, and at least
  ``FEE_RAISED_SHIPMENTS`` have paid the new one, the difference on the units shipped in the
  last ``policy.FEE_CLAIM_DAYS`` is a case. AMS does not see the measurements Amazon used: the
  case asks the seller to check that the product did not change before filing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ams.catalog import selectors as catalog
from ams.claims import policy
from ams.claims.models import ClaimKind
from ams.core.marketplaces import currency as currency_of
from ams.finance import selectors as finance
from ams.finance.models import Reimbursement
from ams.inventory import selectors as inventory
from ams.inventory.models import InventoryAdjustment
from ams.orders import selectors as orders
from ams.teams.models import Team

CENT = Decimal("0.01")
# Reimbursement reasons of the reimbursements report for units lost or damaged in Amazon's care.
LOST_REASONS = frozenset({"Lost_Warehouse"})
DAMAGED_REASONS = frozenset({"Damaged_Warehouse"})
# Reasons whose amount per unit tells what Amazon pays for a lost unit of the SKU.
UNIT_VALUE_REASONS = LOST_REASONS | DAMAGED_REASONS | {"Lost_Inbound", "Damaged_Inbound"}
# Sales over this window price a lost unit when Amazon has never reimbursed one of the SKU.
PRICE_HISTORY_DAYS = 365
# A fee rise counts against a fee steady over this many shipments, and once it has held for
# this many; fees older than FEE_HISTORY_DAYS are not read.
FEE_STEADY_SHIPMENTS = 3
FEE_RAISED_SHIPMENTS = 2
FEE_HISTORY_DAYS = 365


def _pairs(fields: dict[str, Any]) -> list[list[Any]]:
    """An evidence row's fields as [name, value] pairs: in the order Amazon's report gives
    them (a JSON object stored in PostgreSQL would lose it)."""
    return [[name, value] for name, value in fields.items()]


@dataclass
class FoundClaim:
    kind: str
    key: str
    marketplace_id: str
    sku: str
    fnsku: str
    order_id: str
    reference_id: str
    quantity: int
    occurred_at: datetime
    currency: str
    estimate: Decimal
    estimate_basis: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


def detect(
    team: Team,
    *,
    connection_id: int,
    region: str,
    evidence_since: datetime | None,
    now: datetime,
) -> list[FoundClaim]:
    """The cases seen now. With no ``evidence_since`` (the ledger, returns and reimbursements
    not yet read whole) only the refunds above the amount paid can be judged."""
    paid = list(finance.reimbursements(team, connection_id=connection_id))
    found = (
        _warehouse(team, connection_id=connection_id, paid=paid, now=now)
        if evidence_since is not None
        else []
    )
    found.extend(_fee_rises(team, connection_id=connection_id, now=now))
    found.extend(
        _refunds(
            team,
            connection_id=connection_id,
            paid=paid,
            region=region,
            evidence_since=evidence_since,
            now=now,
        )
    )
    return found


# --- lost or damaged in a fulfilment centre ----------------------------------------------------


@dataclass
class _Loss:
    row: InventoryAdjustment
    kind: str
    open_units: int
    settled_by: list[dict[str, Any]] = field(default_factory=list)


def _ledger_evidence(row: InventoryAdjustment) -> dict[str, Any]:
    return {
        "source": "Inventory ledger (GET_LEDGER_DETAIL_VIEW_DATA)",
        "date": row.happened_at.isoformat(),
        "fields": _pairs(
            {
                "Date": row.happened_at.isoformat(),
                "FNSKU": row.fnsku,
                "MSKU": row.sku,
                "EventType": "Adjustments",
                "ReferenceID": row.reference_id,
                "Quantity": row.quantity,
                "FulfillmentCenter": row.fulfillment_center,
                "Disposition": row.disposition,
                "Reason": row.reason,
                "Country": row.country,
            }
        ),
    }


def _reimbursement_evidence(row: Reimbursement) -> dict[str, Any]:
    return {
        "source": "Reimbursements report (GET_FBA_REIMBURSEMENTS_DATA)",
        "date": row.approved_at.isoformat(),
        "fields": _pairs(
            {
                "approval-date": row.approved_at.isoformat(),
                "reimbursement-id": row.reimbursement_id,
                "amazon-order-id": row.order_id,
                "reason": row.reason,
                "sku": row.sku,
                "fnsku": row.fnsku,
                "currency-unit": row.currency,
                "amount-total": str(row.amount_total) if row.amount_total is not None else "",
                "quantity-reimbursed-total": row.quantity_total,
            }
        ),
    }


def _settle(losses: list[_Loss], units: int, kinds: tuple[str, ...], note: dict[str, Any]) -> int:
    """Settle ``units`` against the oldest open losses of ``kinds``; the units left over."""
    for loss in losses:
        if units <= 0:
            break
        if loss.kind not in kinds or loss.open_units <= 0:
            continue
        taken = min(units, loss.open_units)
        loss.open_units -= taken
        units -= taken
        loss.settled_by.append(note)
    return units


def _warehouse(
    team: Team, *, connection_id: int, paid: list[Reimbursement], now: datetime
) -> list[FoundClaim]:
    lost, damaged = ClaimKind.WAREHOUSE_LOST.value, ClaimKind.WAREHOUSE_DAMAGED.value
    # Per (marketplace, FNSKU): (instant, order within the instant, what happened).
    timeline: dict[tuple[str, str], list[tuple[datetime, int, Any]]] = defaultdict(list)
    skus: set[str] = set()
    for row in inventory.warehouse_adjustments(team, connection_id=connection_id):
        key = (row.marketplace_id, row.fnsku)
        if row.sku:
            skus.add(row.sku)
        if row.reason == inventory.LEDGER_LOST and row.quantity < 0:
            timeline[key].append((row.happened_at, 0, _Loss(row, lost, -row.quantity)))
        elif row.reason == inventory.LEDGER_DAMAGED and row.quantity < 0:
            timeline[key].append((row.happened_at, 0, _Loss(row, damaged, -row.quantity)))
        elif row.reason == inventory.LEDGER_FOUND and row.quantity > 0:
            timeline[key].append((row.happened_at, 1, row))
    for reimbursement in paid:
        if reimbursement.reason in LOST_REASONS | DAMAGED_REASONS and reimbursement.fnsku:
            timeline[(reimbursement.marketplace_id, reimbursement.fnsku)].append(
                (reimbursement.approved_at, 2, reimbursement)
            )
    unit_values = _unit_values(team, connection_id=connection_id, paid=paid, skus=skus, now=now)
    due = now - timedelta(days=policy.WAREHOUSE_SETTLING_DAYS)
    found: list[FoundClaim] = []
    for (marketplace_id, fnsku), events in timeline.items():
        losses: list[_Loss] = []
        for _at, _order, event in sorted(events, key=lambda e: (e[0], e[1])):
            if isinstance(event, _Loss):
                losses.append(event)
            elif isinstance(event, InventoryAdjustment):
                _settle(losses, event.quantity, (lost,), _ledger_evidence(event))
            else:
                kind = lost if event.reason in LOST_REASONS else damaged
                note = _reimbursement_evidence(event)
                left = _settle(losses, event.quantity_total, (kind,), note)
                _settle(losses, left, (lost, damaged), note)
        for loss in losses:
            if loss.open_units <= 0 or loss.row.happened_at > due:
                continue
            row = loss.row
            value = unit_values.get((marketplace_id, row.sku))
            currency, unit, basis = (
                value if value else (currency_of(marketplace_id), Decimal(0), "no price known yet")
            )
            found.append(
                FoundClaim(
                    kind=loss.kind,
                    key=f"{fnsku}|{row.reference_id}|{row.happened_at.isoformat()}",
                    marketplace_id=marketplace_id,
                    sku=row.sku,
                    fnsku=fnsku,
                    order_id="",
                    reference_id=row.reference_id,
                    quantity=loss.open_units,
                    occurred_at=row.happened_at,
                    currency=currency,
                    estimate=unit * loss.open_units,
                    estimate_basis=basis,
                    evidence=[_ledger_evidence(row), *loss.settled_by],
                )
            )
    return found


def _unit_values(
    team: Team, *, connection_id: int, paid: list[Reimbursement], skus: set[str], now: datetime
) -> dict[tuple[str, str], tuple[str, Decimal, str]]:
    """What a lost unit of each SKU is worth, per (marketplace, SKU): the amount per unit of
    Amazon's latest reimbursement of a lost or damaged unit of it, else its average sale price
    (Amazon pays the manufacturing cost, so that is an upper bound)."""
    values: dict[tuple[str, str], tuple[str, Decimal, str]] = {}
    for row in paid:  # oldest first: the latest wins
        if row.reason in UNIT_VALUE_REASONS and row.amount_per_unit and row.sku:
            values[(row.marketplace_id, row.sku)] = (
                row.currency,
                row.amount_per_unit,
                f"{row.amount_per_unit} {row.currency} a unit, as Amazon paid for this SKU on "
                f"{row.approved_at.date().isoformat()}",
            )
    prices = orders.average_unit_prices(
        team,
        connection_id=connection_id,
        skus=skus,
        since=now - timedelta(days=PRICE_HISTORY_DAYS),
    )
    for (marketplace_id, sku, currency), price in prices.items():
        values.setdefault(
            (marketplace_id, sku),
            (
                currency,
                price,
                f"{price} {currency} a unit, the average sale price (Amazon pays the "
                "manufacturing cost, usually less)",
            ),
        )
    listed = catalog.listing_prices(team, connection_id=connection_id, skus=skus)
    for (marketplace_id, sku), (currency, price) in listed.items():
        values.setdefault(
            (marketplace_id, sku),
            (
                currency,
                price,
                f"{price} {currency} a unit, the listing's price (Amazon pays the "
                "manufacturing cost, usually less)",
            ),
        )
    return values


# --- refunds ---------------------------------------------------------------------------------


def _refund_evidence(line: finance.RefundedLine) -> dict[str, Any]:
    return {
        "source": "Refund transactions (Finances API)",
        "date": line.first_refund_at.isoformat(),
        "fields": _pairs(
            {
                "order-id": line.order_id,
                "sku": line.sku,
                "refund-date": line.first_refund_at.isoformat(),
                "refunded-principal": str(line.principal),
                "refunded-total": str(line.sales),
                "currency": line.currency,
                "transaction-ids": ", ".join(line.transaction_ids),
            }
        ),
    }


def _order_evidence(line: Any, paid: Decimal) -> dict[str, Any]:
    return {
        "source": "Order",
        "date": line.purchased_at.isoformat(),
        "fields": _pairs(
            {
                "order-id": line.amazon_order_id,
                "sku": line.sku,
                "purchase-date": line.purchased_at.isoformat(),
                "quantity": line.quantity,
                "item-price": str(line.item_price),
                "shipping-price": str(line.shipping_price or 0),
                "tax": str(line.tax or 0),
                "promotion-discount": str(line.promotion_discount or 0),
                "paid": str(paid),
                "currency": line.currency,
            }
        ),
    }


def _refunds(
    team: Team,
    *,
    connection_id: int,
    paid: list[Reimbursement],
    region: str,
    evidence_since: datetime | None,
    now: datetime,
) -> list[FoundClaim]:
    refunded = finance.refunded_lines(team, connection_id=connection_id)
    order_ids = {line.order_id for line in refunded}
    order_lines = orders.lines_of_orders(team, connection_id=connection_id, order_ids=order_ids)
    returns = inventory.returned_units(team, connection_id=connection_id, order_ids=order_ids)
    reimbursed: dict[tuple[str, str], list[Reimbursement]] = defaultdict(list)
    for row in paid:
        if row.order_id:
            reimbursed[(row.order_id, row.sku)].append(row)
    known_fnskus = inventory.fnskus(team, connection_id=connection_id)
    opens_after = timedelta(days=policy.return_window(region).opens_after_days)
    found: list[FoundClaim] = []
    for refund in refunded:
        line = order_lines.get((refund.order_id, refund.sku))
        if line is None or line.fulfillment_channel != "AFN" or line.item_price is None:
            continue
        fnsku = known_fnskus.get((line.marketplace_id, refund.sku), "")
        price = line.item_price - (line.promotion_discount or 0)
        amount_paid = price + (line.shipping_price or 0) + (line.tax or 0)
        over = refund.sales - amount_paid
        # Without the order's tax AMS cannot tell a refund of the tax from one above the price.
        if over >= CENT and line.tax is not None:
            found.append(
                FoundClaim(
                    kind=ClaimKind.REFUND_OVER_PAID,
                    key=f"{refund.order_id}|{refund.sku}",
                    marketplace_id=line.marketplace_id,
                    sku=refund.sku,
                    fnsku=fnsku,
                    order_id=refund.order_id,
                    reference_id="",
                    quantity=line.quantity,
                    occurred_at=refund.first_refund_at,
                    currency=refund.currency,
                    estimate=over,
                    estimate_basis=f"refunded {refund.sales} {refund.currency}, paid {amount_paid}",
                    evidence=[_order_evidence(line, amount_paid), _refund_evidence(refund)],
                )
            )
        if (
            evidence_since is None
            or refund.first_refund_at < evidence_since
            or refund.first_refund_at + opens_after > now
            or price <= 0
            or line.quantity <= 0
        ):
            continue
        unit_price = price / line.quantity
        refunded_units = min(
            line.quantity, int((refund.principal / unit_price).to_integral_value(ROUND_HALF_UP))
        )
        back = returns.get((refund.order_id, refund.sku), [])
        paid_back = reimbursed.get((refund.order_id, refund.sku), [])
        missing = (
            refunded_units
            - sum(r.quantity for r in back)
            - sum(r.quantity_total for r in paid_back)
        )
        if missing <= 0:
            continue
        estimate = (refund.principal * missing / refunded_units).quantize(CENT, ROUND_HALF_UP)
        found.append(
            FoundClaim(
                kind=ClaimKind.RETURN_NOT_RECEIVED,
                key=f"{refund.order_id}|{refund.sku}",
                marketplace_id=line.marketplace_id,
                sku=refund.sku,
                fnsku=fnsku,
                order_id=refund.order_id,
                reference_id="",
                quantity=missing,
                occurred_at=refund.first_refund_at,
                currency=refund.currency,
                estimate=estimate,
                estimate_basis=f"the product price refunded for {missing} unit(s)",
                evidence=[
                    _order_evidence(line, amount_paid),
                    _refund_evidence(refund),
                    {
                        "source": "FBA customer returns (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA)",
                        "date": now.isoformat(),
                        "fields": _pairs(
                            {
                                "order-id": refund.order_id,
                                "sku": refund.sku,
                                "units-returned": sum(r.quantity for r in back),
                                "read-since": evidence_since.date().isoformat(),
                            }
                        ),
                    },
                    *(_reimbursement_evidence(r) for r in paid_back),
                ],
            )
        )
    return found


# --- FBA fee above the size tier ---------------------------------------------------------------


def _fee_evidence(label: str, fee: finance.FeeCharge, units: int, count: int) -> dict[str, Any]:
    return {
        "source": f"FBA fulfilment fee, {label} (Finances API)",
        "date": fee.posted_at.isoformat(),
        "fields": _pairs(
            {
                "order-id": fee.order_id,
                "sku": fee.sku,
                "posted-date": fee.posted_at.isoformat(),
                "fee-per-unit": str((fee.amount / units).quantize(CENT)),
                "currency": fee.currency,
                "shipments-at-this-fee": count,
            }
        ),
    }


def _fee_rises(team: Team, *, connection_id: int, now: datetime) -> list[FoundClaim]:
    fees = finance.fulfilment_fees(
        team, connection_id=connection_id, since=now - timedelta(days=FEE_HISTORY_DAYS)
    )
    units_of = orders.units_of_orders(
        team, connection_id=connection_id, order_ids={f.order_id for f in fees}
    )
    known_fnskus = inventory.fnskus(team, connection_id=connection_id)
    # Per (marketplace, SKU): (fee, units, fee per unit), oldest first.
    series: dict[tuple[str, str], list[tuple[finance.FeeCharge, int, Decimal]]] = defaultdict(list)
    for fee in fees:
        units = units_of.get((fee.order_id, fee.sku), 0)
        if units <= 0:
            continue
        per_unit = (fee.amount / units).quantize(CENT, ROUND_HALF_UP)
        series[(fee.marketplace_id, fee.sku)].append((fee, units, per_unit))
    claimable_from = now - timedelta(days=policy.FEE_CLAIM_DAYS)
    found: list[FoundClaim] = []
    for (marketplace_id, sku), shipments in series.items():
        change = next(
            (i for i in range(len(shipments) - 1, 0, -1) if shipments[i][2] != shipments[i - 1][2]),
            None,
        )
        if change is None:
            continue
        old, new = shipments[change - 1][2], shipments[change][2]
        steady = change
        while steady > 0 and shipments[steady - 1][2] == old:
            steady -= 1
        raised = shipments[change:]
        if (
            new <= old
            or change - steady < FEE_STEADY_SHIPMENTS
            or len(raised) < FEE_RAISED_SHIPMENTS
        ):
            continue
        claimable = [s for s in raised if s[0].posted_at >= claimable_from]
        if not claimable:
            continue
        units = sum(s[1] for s in claimable)
        first, last_old = raised[0][0], shipments[change - 1]
        found.append(
            FoundClaim(
                kind=ClaimKind.FEE_TIER_CHANGE,
                key=f"{sku}|{first.posted_at.isoformat()}",
                marketplace_id=marketplace_id,
                sku=sku,
                fnsku=known_fnskus.get((marketplace_id, sku), ""),
                order_id=first.order_id,
                reference_id="",
                quantity=units,
                occurred_at=claimable[0][0].posted_at,
                currency=first.currency,
                estimate=(new - old) * units,
                estimate_basis=(
                    f"{new - old} {first.currency} a unit ({old} before, {new} since "
                    f"{first.posted_at.date().isoformat()}) on {units} unit(s) shipped in the "
                    f"last {policy.FEE_CLAIM_DAYS} days"
                ),
                evidence=[
                    _fee_evidence("before the rise", last_old[0], last_old[1], change - steady),
                    _fee_evidence("first at the higher fee", first, raised[0][1], len(raised)),
                    {
                        "source": "Product measurements",
                        "date": now.isoformat(),
                        "fields": _pairs(
                            {
                                "note": (
                                    "AMS does not see the weight and dimensions Amazon used: check "
                                    "them against the product's before filing (Amazon asks for "
                                    "photos of the product on a scale and beside a ruler)."
                                ),
                            }
                        ),
                    },
                ],
            )
        )
    return found
