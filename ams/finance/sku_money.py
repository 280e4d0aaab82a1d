"""Per SKU and marketplace over any period: Amazon's fees and the refunds posted in it, each also
in the team's home currency at the ECB's rate of the posting day (``ams.core.exchange_rates``).

One statement aggregated in PostgreSQL over the transactions of the period (found by their
(team, posted_at) index; a charge carries its transaction's posting time) and their charges
(the transaction names the marketplace). Days are UTC days of ``posted_at``: a charge belongs to
a settlement's posting, not to a shopper's local day. The profit page (``ams.dashboard.profit``)
puts these beside the sales and cost of goods of ``ams.procurement.sku_profit``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection

from ams.core.exchange_rates import rate_joins
from ams.finance.models import Charge, Transaction
from ams.finance.selectors import FEE_KIND
from ams.teams.models import Team

REFUND_TYPE = "Refund"
SALES_CATEGORY = "Sales"


class SkuMoney(NamedTuple):
    marketplace_id: str
    sku: str
    currency: str
    # Positive amounts taken off the sales: Amazon's fees (net of those it gave back on refunds)
    # and what went back to buyers (the sales side of refund transactions).
    fees: Decimal
    refunds: Decimal
    refund_count: int  # refund transactions of the SKU
    fees_home: Decimal | None
    refunds_home: Decimal | None
    days_without_rate: int


_TO_HOME = (
    "CASE WHEN c.currency = %(home)s THEN 1::numeric "
    "ELSE home_rate.per_eur / charge_rate.per_eur END"
)
_DAY = "(t.posted_at AT TIME ZONE 'UTC')::date"
_SKU_MONEY = f"""
WITH charged AS (
    SELECT t.marketplace_id, c.sku, c.currency, c.transaction_id, t.transaction_type, c.category,
        c.kind, c.amount, {_TO_HOME} AS to_home
    FROM {Transaction._meta.db_table} t
    JOIN {Charge._meta.db_table} c ON c.team_id = t.team_id
        AND c.connection_id = t.connection_id AND c.transaction_id = t.transaction_id
    {rate_joins(alias="charge_rate", currency="c.currency", day=_DAY)}
    {rate_joins(alias="home_rate", currency="%(home)s", day=_DAY)}
    WHERE t.team_id = %(team)s AND t.posted_at >= %(start)s AND t.posted_at < %(end)s
      AND c.sku <> '' AND (c.kind = '{FEE_KIND}'
          OR (t.transaction_type = '{REFUND_TYPE}' AND c.category = '{SALES_CATEGORY}'))
      {{marketplace}}
)
SELECT marketplace_id, sku, currency,
    coalesce(-sum(amount) FILTER (WHERE kind = '{FEE_KIND}'), 0),
    coalesce(-sum(amount) FILTER (WHERE kind <> '{FEE_KIND}'), 0),
    count(DISTINCT transaction_id) FILTER (WHERE transaction_type = '{REFUND_TYPE}'),
    coalesce(-sum(amount * to_home) FILTER (WHERE kind = '{FEE_KIND}'), 0),
    coalesce(-sum(amount * to_home) FILTER (WHERE kind <> '{FEE_KIND}'), 0),
    count(*) FILTER (WHERE to_home IS NULL)
FROM charged
GROUP BY marketplace_id, sku, currency
"""  # noqa: S608 (fixed text: the models' tables and constants)


def sku_money(
    team: Team, *, first: date, last: date, home: str, marketplace: str = ""
) -> list[SkuMoney]:
    """Each SKU, marketplace and currency with fees or refunds posted from ``first`` to ``last``
    (UTC days)."""
    where = "AND t.marketplace_id = %(marketplace)s" if marketplace else ""
    params: dict[str, Any] = {
        "team": team.id,
        "start": datetime.combine(first, time.min, tzinfo=UTC),
        "end": datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
        "home": home,
        "marketplace": marketplace,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SKU_MONEY.format(marketplace=where), params)
        rows = [SkuMoney(*row) for row in cursor.fetchall()]
    # A home figure with a day without a rate is incomplete, not the sum of the days that had one.
    return [
        r if not r.days_without_rate else r._replace(fees_home=None, refunds_home=None)
        for r in rows
    ]
