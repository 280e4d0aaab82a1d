"""Today, yesterday and this month at a glance, and the payout Amazon is building up.

Each marketplace counts in its own local day (docs/architecture.md, Money, time, marketplaces): at
09:00 in Tokyo, Japan's "today" is a day ahead of the United States'. The tiles add the days of
each marketplace's own today, yesterday and month, per currency, from the orders' day rollup, and
all of them in the team's home currency at the ECB's rate of each day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import timezone

from ams.core.exchange_rates import CENT, rate_to, rates_between
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
    home: str = ""
    # Every currency's sales in ``home`` at the ECB's rate of each day; None where a day had none.
    sales_home: Decimal | None = Decimal(0)


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
    """The tiles of the marketplaces given ((id, currency) pairs) and their open payouts, each
    tile's sales also in the team's home currency."""
    now = moment or timezone.now()
    todays = {m: local_today(m, now) for m, _currency in markets}
    # Yesterday may lie in the month before: read from whichever comes first.
    first_days = {
        m: min(today.replace(day=1), today - timedelta(days=1)) for m, today in todays.items()
    }
    sums: dict[str, dict[str, Totals]] = defaultdict(dict)
    home = orders.home_currency(team)
    rows = orders.recent_local_days(team, first_days)
    days = [row.day for row in rows]
    rates = (
        rates_between(min(days), max(days), {home} | {row.currency for row in rows}) if days else {}
    )
    in_home: dict[str, Decimal | None] = defaultdict(Decimal)
    for row in rows:
        factor = rate_to(rates, from_currency=row.currency, to_currency=home, day=row.day)
        for key in _bucket_keys(row.day, todays[row.marketplace_id]):
            totals = sums[key].setdefault(row.currency, Totals(row.currency))
            totals.orders += row.orders
            totals.units += row.units
            totals.sales += row.sales
            so_far = in_home[key]
            # A day without a rate leaves the tile's home figure unknown, never short.
            in_home[key] = None if so_far is None or factor is None else so_far + row.sales * factor
    tiles = [
        Tile(
            key,
            label,
            sorted(sums[key].values(), key=lambda t: t.currency),
            home,
            None
            if in_home[key] is None
            else Decimal(in_home[key] or 0).quantize(CENT, ROUND_HALF_EVEN),
        )
        for key, label in TILES
    ]
    chosen = set(todays)
    payouts = [p for p in expected_payouts(team) if p.marketplace_id in chosen]
    return Pulse(tiles, payouts)
