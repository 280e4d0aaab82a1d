"""The charges read model (``ChargeSkuMonth``), kept exact by deltas inside each ingest batch.

The fee breakdown reads this table, never the raw charges (docs/architecture.md, "Read models"). A batch of
transactions may change rows AMS already holds: another amount, another SKU, a posted date in
another month, another marketplace. So the refresh works by difference, in the batch's
transaction: before the merge, the charges the batch's transactions had are taken out of the
rollup (``charge_months_retract``); after it, the charges they now have are added back
(``charge_months_add``). Only the batch's transactions are read, whatever their dates, so a
backfill costs the same per batch as an incremental run, and a bucket that falls to zero
charges is deleted.

Months are marketplace-local (``ams.core.marketplaces``); a transaction without a marketplace
counts in UTC.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from psycopg import sql

from ams.core.marketplaces import DEFAULT_ZONE, TIME_ZONES
from ams.core.planning import CONNECTION, TEAM
from ams.core.tenancy import require_team_scope

# The charges of the selected transactions, grouped into the rollup's buckets, times a sign.
_BUCKETS = (
    """
SELECT c.team_id, c.connection_id, t.marketplace_id,
       date_trunc('month', c.posted_at AT TIME ZONE coalesce(z.name, %(default_zone)s))::date AS month,
       c.currency, c.category, c.kind, c.description, c.sku,
       {sign} * sum(c.amount) AS amount, {sign} * count(*) AS charges
FROM finance_charge c
JOIN finance_transaction t
  ON t.team_id = c.team_id AND t.connection_id = c.connection_id AND t.transaction_id = c.transaction_id
LEFT JOIN unnest(%(zone_ids)s::text[], %(zone_names)s::text[]) AS z(marketplace_id, name)
  ON z.marketplace_id = t.marketplace_id
WHERE c.team_id = """
    + TEAM
    + " AND c.connection_id = "
    + CONNECTION
    + """ {selected}
GROUP BY c.team_id, c.connection_id, t.marketplace_id, 4, c.currency, c.category, c.kind, c.description, c.sku
"""
)

_APPLY = """
INSERT INTO finance_chargeskumonth AS r (team_id, connection_id, marketplace_id, month, currency, category, kind,
    description, sku, amount, charges)
{buckets}
ON CONFLICT (team_id, connection_id, marketplace_id, month, currency, category, kind, description, sku)
DO UPDATE SET amount = r.amount + EXCLUDED.amount, charges = r.charges + EXCLUDED.charges
RETURNING marketplace_id, month
"""

# The buckets of the months a batch touched that fell to zero charges. The marketplaces are named
# too: the key's index then goes straight to each marketplace's month.
_DROP_EMPTY = (
    """
DELETE FROM finance_chargeskumonth
WHERE team_id = """
    + TEAM
    + " AND connection_id = "
    + CONNECTION
    + """
  AND marketplace_id = ANY(%(marketplaces)s) AND month = ANY(%(months)s) AND charges = 0
"""
)


def _params(connection_id: int) -> dict[str, Any]:
    return {
        "team": require_team_scope(),
        "connection": connection_id,
        "default_zone": DEFAULT_ZONE,
        # Read at call time: the table of zones is data, and tests point it at the simulator's.
        "zone_ids": list(TIME_ZONES),
        "zone_names": list(TIME_ZONES.values()),
    }


def _apply(connection_id: int, staged: str, sign: int) -> set[tuple[str, date]]:
    """Add the charges of the staged transactions to the rollup, times ``sign``; returns the
    (marketplace, month) buckets touched."""
    selected = sql.SQL("AND c.transaction_id IN (SELECT DISTINCT transaction_id FROM {})").format(
        sql.Identifier(staged)
    )
    buckets = sql.SQL(_BUCKETS).format(sign=sql.SQL(str(sign)), selected=selected)
    statement = sql.SQL(_APPLY).format(buckets=buckets)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(statement, _params(connection_id))
        return {(row[0], row[1]) for row in raw.fetchall()}


class ChargeMonthsRefresh:
    """The two halves of one batch's refresh: ``retract`` before the merge, ``add`` after it
    (the before_merge and after_merge of ``writers.transactions``), both in the batch's transaction."""

    def __init__(self, *, connection_id: int) -> None:
        self.connection_id = connection_id
        self._retracted: set[tuple[str, date]] = set()

    def retract(self, staged: str) -> None:
        self._retracted = _apply(self.connection_id, staged, -1)

    def add(self, staged: str) -> None:
        buckets = self._retracted | _apply(self.connection_id, staged, 1)
        self._retracted = set()
        if buckets:
            marketplaces = sorted({marketplace for marketplace, _ in buckets})
            months = sorted({month for _, month in buckets})
            with connection.cursor() as cursor:
                cursor.execute(
                    _DROP_EMPTY,
                    {**_params(self.connection_id), "marketplaces": marketplaces, "months": months},
                )


def charge_months_rebuild(*, connection_id: int) -> None:
    """Rebuild a connection's rollup from all its charges (first run, benchmarks, checks)."""
    params = _params(connection_id)
    buckets = sql.SQL(_BUCKETS).format(sign=sql.SQL("1"), selected=sql.SQL(""))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "DELETE FROM finance_chargeskumonth WHERE team_id = %(team)s AND connection_id = %(connection)s",
            params,
        )
        # Written month by month, as the batches of a running sync write them: the pages read
        # a month's rows together (in hash order, a month's rows lay two to a page).
        raw.execute(
            sql.SQL(
                "INSERT INTO finance_chargeskumonth (team_id, connection_id, marketplace_id, month, currency, category,"
                " kind, description, sku, amount, charges) {} ORDER BY month, marketplace_id, currency"
            ).format(buckets),
            params,
        )
