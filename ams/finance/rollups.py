"""The money read model, refreshed incrementally after each finances ingest.

``ChargeDay`` sums the charges of the transactions posted on each marketplace-local day by
transaction type and Amazon's breakdown (category / kind), so the overview's refunds, fees and net
proceeds read a few hundred rows instead of every charge of the period (docs/architecture.md, "Read models").
A refresh rebuilds the days a batch touched, in the batch's transaction. The fee pages' per-SKU
monthly rollup is ``ams.finance.fee_rollups``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import connection
from psycopg import sql

from ams.core.marketplaces import zone, zone_name
from ams.core.planning import CONNECTION, TEAM
from ams.core.tenancy import require_team_scope

_DELETE = """
DELETE FROM finance_chargeday
WHERE team_id = %(team)s AND connection_id = %(connection)s AND marketplace_id = %(marketplace)s
  AND day BETWEEN %(first_day)s AND %(last_day)s
"""

_INSERT = (
    """
INSERT INTO finance_chargeday (team_id, connection_id, marketplace_id, day, currency, transaction_type, category,
    kind, charges, amount)
SELECT t.team_id, t.connection_id, t.marketplace_id, (t.posted_at AT TIME ZONE %(zone)s)::date, c.currency,
    t.transaction_type, c.category, c.kind, count(*), sum(c.amount)
FROM finance_transaction t
JOIN finance_charge c ON c.team_id = t.team_id AND c.connection_id = t.connection_id AND c.transaction_id = t.transaction_id
WHERE t.team_id = """
    + TEAM
    + " AND t.connection_id = "
    + CONNECTION
    + """ AND t.marketplace_id = %(marketplace)s
  AND t.posted_at >= %(start)s AND t.posted_at < %(end)s
GROUP BY t.team_id, t.connection_id, t.marketplace_id, 4, c.currency, t.transaction_type, c.category, c.kind
"""
)


def charge_days_refresh(
    *, connection_id: int, marketplace_id: str, first: datetime, last: datetime
) -> None:
    """Rebuild the local days of one marketplace ('' = none named) that contain ``first`` … ``last``."""
    team_id = require_team_scope()
    tz = zone(marketplace_id)
    first_day = first.astimezone(tz).date()
    last_day = last.astimezone(tz).date()
    params: dict[str, Any] = {
        "team": team_id,
        "connection": connection_id,
        "marketplace": marketplace_id,
        "first_day": first_day,
        "last_day": last_day,
        "start": datetime.combine(first_day, time.min, tzinfo=tz).astimezone(UTC),
        "end": datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC),
        "zone": zone_name(marketplace_id),
    }
    with connection.cursor() as cursor:
        cursor.execute(_DELETE, params)
        cursor.execute(_INSERT, params)


def charge_days_refresh_from_stage(*, connection_id: int, staged: str) -> None:
    """Rebuild the days of the transactions in a staging table (columns marketplace_id, posted_at)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT marketplace_id, min(posted_at), max(posted_at) FROM {} GROUP BY marketplace_id"
            )
            .format(sql.Identifier(staged))
            .as_string(cursor.cursor.connection)
        )
        ranges = cursor.fetchall()
    for marketplace_id, first, last in ranges:
        if first is not None:
            charge_days_refresh(
                connection_id=connection_id,
                marketplace_id=marketplace_id or "",
                first=first,
                last=last,
            )
