"""The cash view: money committed to open purchase orders and when it falls due, in the home currency.

An open order (sent, confirmed, partly or fully received, not closed or cancelled) commits its
ordered value less what was paid. The supplier's terms say when: the deposit (its share of the
order) on the day the order was sent, the balance a number of days after the order, the shipment
(the expected ship date) or the arrival (the first receipt, else the expected arrival date). What
was paid settles the deposit first, then the balance. A balance whose day is not known yet (no
ship or arrival date) is listed as such, never dated at random.

Amounts stay in the order's currency and are converted into the home currency at the newest ECB
rate on or before today (``ams.core.exchange_rates``); a currency without a rate is shown
unconverted and the home total says it is incomplete.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Min, Sum

from ams.core.exchange_rates import CENT
from ams.core.models import ExchangeRate
from ams.purchasing.models import BalanceDue, Payment, POStatus, PurchaseOrder, PurchaseOrderLine
from ams.teams.models import Team

OPEN = (POStatus.SENT, POStatus.CONFIRMED, POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Due:
    order: PurchaseOrder
    what: str  # "deposit" or "balance"
    day: date | None  # None: the shipment or arrival is not dated yet
    amount: Decimal  # in the order's currency
    currency: str
    home: Decimal | None  # None without a rate

    def overdue(self, today: date) -> bool:
        return self.day is not None and self.day < today


@dataclass
class CashView:
    home: str
    today: date
    rate_day: date | None
    dues: list[Due] = field(default_factory=list)

    def _total(self, dues: list[Due]) -> Decimal | None:
        if any(d.home is None for d in dues):
            return None
        return sum((d.home or ZERO for d in dues), ZERO)

    @property
    def committed(self) -> Decimal | None:
        return self._total(self.dues)

    @property
    def buckets(self) -> list[tuple[str, Decimal | None, int]]:
        """(label, home total, count): overdue, the next 30 days, later, not dated yet."""
        soon = self.today + timedelta(days=30)
        groups: dict[str, list[Due]] = {
            "Overdue": [],
            "Due in the next 30 days": [],
            "Due later": [],
            "Date not known yet": [],
        }
        for d in self.dues:
            if d.day is None:
                groups["Date not known yet"].append(d)
            elif d.day < self.today:
                groups["Overdue"].append(d)
            elif d.day <= soon:
                groups["Due in the next 30 days"].append(d)
            else:
                groups["Due later"].append(d)
        return [(label, self._total(dues), len(dues)) for label, dues in groups.items()]


def _rates(currencies: set[str], today: date) -> tuple[dict[str, Decimal], date | None]:
    """Units per euro of each currency on the newest day on or before ``today`` that has them."""
    wanted = currencies - {"EUR"}
    day = (
        ExchangeRate.objects.filter(day__lte=today, currency__in=wanted)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
        if wanted
        else today
    )
    found = {"EUR": Decimal(1)}
    if day is not None:
        found.update(
            ExchangeRate.objects.filter(day=day, currency__in=wanted).values_list(
                "currency", "per_eur"
            )
        )
    return found, day


def _balance_day(order: PurchaseOrder, first_receipt: date | None) -> date | None:
    supplier = order.supplier
    if supplier.balance_due == BalanceDue.ORDER:
        start = order.sent_at.date() if order.sent_at else None
    elif supplier.balance_due == BalanceDue.SHIPMENT:
        start = order.expected_ship_date
    else:
        start = first_receipt or order.expected_arrival_date
    return None if start is None else start + timedelta(days=supplier.balance_days)


def cash_view(team: Team, *, home: str, today: date) -> CashView:
    """Every open order's deposit and balance still to pay, by the supplier's terms."""
    orders = list(
        PurchaseOrder.objects.filter(team=team, status__in=OPEN)
        .select_related("supplier")
        .order_by("pk")
    )
    ids = [o.pk for o in orders]
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in PurchaseOrderLine.objects.filter(team=team, order_id__in=ids).values(
        "order_id", "quantity", "unit_price"
    ):
        totals[line["order_id"]] += line["quantity"] * line["unit_price"]
    paid = dict(
        Payment.objects.filter(team=team, order_id__in=ids)
        .values("order_id")
        .annotate(paid=Sum("amount"))
        .values_list("order_id", "paid")
    )
    first_receipts = dict(
        PurchaseOrder.objects.filter(team=team, pk__in=ids, receipts__isnull=False)
        .values("pk")
        .annotate(first=Min("receipts__received_on"))
        .values_list("pk", "first")
    )
    rates, rate_day = _rates({o.currency for o in orders} | {home}, today)
    view = CashView(home=home, today=today, rate_day=rate_day)
    for order in orders:
        total = totals[order.pk].quantize(CENT, ROUND_HALF_EVEN)
        left = paid.get(order.pk) or ZERO
        deposit = (total * order.supplier.deposit_percent / 100).quantize(CENT, ROUND_HALF_EVEN)
        parts = (
            ("deposit", deposit, order.sent_at.date() if order.sent_at else None),
            ("balance", total - deposit, _balance_day(order, first_receipts.get(order.pk))),
        )
        for what, amount, day in parts:
            settled = min(left, amount)
            left -= settled
            owed = amount - settled
            if owed <= 0:
                continue
            home_amount = None
            if order.currency in rates and home in rates:
                home_amount = (owed * rates[home] / rates[order.currency]).quantize(
                    CENT, ROUND_HALF_EVEN
                )
            view.dues.append(Due(order, what, day, owed, order.currency, home_amount))
    view.dues.sort(key=lambda d: (d.day is None, d.day or date.max, d.order.pk))
    return view
