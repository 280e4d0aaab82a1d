"""Today, yesterday and this month at a glance, and the payout Amazon is building up.

Each marketplace counts in its own local day (docs/architecture.md, Money, time, marketplaces): at
09:00 in Tokyo, Japan's "today" is a day ahead of the United States'. The tiles add the days of
each marketplace's own today, yesterday and month, per currency, from the orders' day rollup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from ams.core.marketplaces import zone
from ams.finance.payouts import ExpectedPayout, expected_payouts
from ams.orders import selectors as orders
from ams.teams.models import Team

TILES = (("today", "Today"), ("yesterday", "Yesterday"), ("month", "Month to date"))


@dataclass
class Totals:
    currency: str
    orders: int = 0
    units: int = 0
    sales: Decimal = Decimal(0)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    totals: list[Totals] = field(default_factory=list)


@dataclass(frozen=True)
class Pulse:
    tiles: list[Tile]
    payouts: list[ExpectedPayout]


def local_today(marketplace_id: str, moment: datetime) -> date:
    return moment.astimezone(zone(marketplace_id)).date()


def _bucket_keys(day: date, today: date) -> list[str]:
    keys = []
    if day == today:
        keys.append("today")
    if day == today - timedelta(days=1):
        keys.append("yesterday")
    if (day.year, day.month) == (today.year, today.month) and day <= today:
        keys.append("month")
    return keys


def pulse(team: Team, markets: list[tuple[str, str]], *, moment: datetime | None = None) -> Pulse:
    """The tiles of the marketplaces given ((id, currency) pairs) and their open payouts."""
    now = moment or timezone.now()
    todays = {m: local_today(m, now) for m, _currency in markets}
    # Yesterday may lie in the month before: read from whichever comes first.
    first_days = {
        m: min(today.replace(day=1), today - timedelta(days=1)) for m, today in todays.items()
    }
    sums: dict[str, dict[str, Totals]] = defaultdict(dict)
    for row in orders.recent_local_days(team, first_days):
        for key in _bucket_keys(row.day, todays[row.marketplace_id]):
            totals = sums[key].setdefault(row.currency, Totals(row.currency))
            totals.orders += row.orders
            totals.units += row.units
            totals.sales += row.sales
    tiles = [
        Tile(key, label, sorted(sums[key].values(), key=lambda t: t.currency))
        for key, label in TILES
    ]
    chosen = set(todays)
    payouts = [p for p in expected_payouts(team) if p.marketplace_id in chosen]
    return Pulse(tiles, payouts)
