"""The next payout: what Amazon owes the seller in each open settlement period, before its report.

Amazon groups a marketplace's transactions in a financial event group, one per settlement period;
a transaction carries the settlement's id only once the period is closed. The open group of a
marketplace is the group of its newest transaction, while none of the group's transactions names a
settlement and no settlement of the connection in that currency ends after it (the finances sync
reads only a short overlap back, so a transaction read while its period was open keeps no
settlement id: the settlement report is what says the period closed). Released transactions add up
to the expected payout; deferred ones (Amazon's delivery-date reserve) are shown apart, since they
are paid in a later period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum

from ams.amazon.models import ConnectionMarketplace
from ams.finance.models import Settlement, Transaction
from ams.teams.models import Team

# A settlement period is 14 days, with up to 7 more for deferred transactions: an open group's
# transactions all lie within this of its newest one (bounding the read to the posted-date index).
GROUP_REACH = timedelta(days=45)


@dataclass(frozen=True)
class ExpectedPayout:
    marketplace_id: str
    currency: str
    amount: Decimal  # released transactions of the open period
    deferred: Decimal  # held back by Amazon, paid in a later period
    transactions: int
    since: datetime  # the first transaction of the period
    until: datetime  # the newest one


def expected_payouts(team: Team) -> list[ExpectedPayout]:
    """The open settlement period of each marketplace the team sells in, newest data first."""
    found = []
    markets = ConnectionMarketplace.objects.filter(team=team).values_list(
        "connection_id", "marketplace_id", "currency"
    )
    for connection_id, marketplace_id, currency in markets:
        payout = _open_period(team, connection_id, marketplace_id, currency)
        if payout is not None:
            found.append(payout)
    return sorted(found, key=lambda p: (p.currency, p.marketplace_id))


def _open_period(
    team: Team, connection_id: int, marketplace_id: str, currency: str
) -> ExpectedPayout | None:
    mine = Transaction.objects.filter(
        team=team, connection_id=connection_id, marketplace_id=marketplace_id, currency=currency
    )
    newest = (
        mine.exclude(event_group_id="")
        .order_by("-posted_at")
        .values("posted_at", "event_group_id")
        .first()
    )
    if newest is None:
        return None
    sums = mine.filter(
        posted_at__gte=newest["posted_at"] - GROUP_REACH, event_group_id=newest["event_group_id"]
    ).aggregate(
        released=Sum("total_amount", filter=~Q(status="DEFERRED")),
        deferred=Sum("total_amount", filter=Q(status="DEFERRED")),
        count=Count("id"),
        settled=Count("id", filter=~Q(settlement_id="")),
        since=Min("posted_at"),
        until=Max("posted_at"),
    )
    if sums["settled"]:
        return None
    closed = Settlement.objects.filter(
        team=team, connection_id=connection_id, currency=currency, ends_at__gt=sums["until"]
    ).exists()
    if closed:
        return None
    return ExpectedPayout(
        marketplace_id=marketplace_id,
        currency=currency,
        amount=sums["released"] or Decimal(0),
        deferred=sums["deferred"] or Decimal(0),
        transactions=sums["count"],
        since=sums["since"],
        until=sums["until"],
    )
