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

from django.db import connection
from django.utils import timezone

from ams.teams.models import Team

# A marketplace whose newest transaction is older than this has no period still open.
OPEN_WITHIN = timedelta(days=90)


@dataclass(frozen=True)
class ExpectedPayout:
    marketplace_id: str
    currency: str
    amount: Decimal  # released transactions of the open period
    deferred: Decimal  # held back by Amazon, paid in a later period
    transactions: int
    since: datetime  # the first transaction of the period
    until: datetime  # the newest one


# One query whatever the number of marketplaces: the newest transaction of each marketplace the
# team sells in (through the posted-date index, no further back than OPEN_WITHIN: a marketplace
# with nothing posted for that long has no open period), then its group's transactions (through the
# team, connection and group index). MATERIALIZED: computed once per marketplace, never again for each transaction joined.
_OPEN_PERIODS = """
WITH newest AS MATERIALIZED (
    SELECT cm.connection_id, cm.marketplace_id, cm.currency, n.event_group_id, n.posted_at
    FROM amazon_connectionmarketplace cm
    CROSS JOIN LATERAL (
        SELECT t.event_group_id, t.posted_at FROM finance_transaction t
        WHERE t.team_id = cm.team_id AND t.connection_id = cm.connection_id
            AND t.marketplace_id = cm.marketplace_id AND t.currency = cm.currency
            AND t.event_group_id <> '' AND t.posted_at >= %(since)s
        ORDER BY t.posted_at DESC LIMIT 1
    ) n
    WHERE cm.team_id = %(team)s
), grouped AS (
    SELECT n.connection_id, n.marketplace_id, n.currency,
        sum(t.total_amount) FILTER (WHERE t.status <> 'DEFERRED') AS released,
        sum(t.total_amount) FILTER (WHERE t.status = 'DEFERRED') AS deferred,
        count(*) AS transactions,
        count(*) FILTER (WHERE t.settlement_id <> '') AS settled,
        min(t.posted_at) AS since, max(t.posted_at) AS until
    FROM newest n JOIN finance_transaction t
        ON t.team_id = %(team)s AND t.connection_id = n.connection_id
        AND t.marketplace_id = n.marketplace_id AND t.currency = n.currency
        AND t.event_group_id = n.event_group_id
    GROUP BY n.connection_id, n.marketplace_id, n.currency
)
SELECT g.marketplace_id, g.currency, coalesce(g.released, 0), coalesce(g.deferred, 0),
    g.transactions, g.since, g.until
FROM grouped g
WHERE g.settled = 0 AND NOT EXISTS (
    SELECT 1 FROM finance_settlement s
    WHERE s.team_id = %(team)s AND s.connection_id = g.connection_id
        AND s.currency = g.currency AND s.ends_at > g.until
)
ORDER BY g.currency, g.marketplace_id
"""


def expected_payouts(team: Team) -> list[ExpectedPayout]:
    """The open settlement period of each marketplace the team sells in (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _OPEN_PERIODS,
            {"team": team.id, "since": timezone.now() - OPEN_WITHIN},
        )
        return [ExpectedPayout(*row) for row in cursor.fetchall()]
