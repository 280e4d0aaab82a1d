"""Settlement reconciliation, recomputed set-based after each money ingest.

* lines: the amounts of a settlement's lines add up to its total, to the cent;
* transactions: the financial transactions AMS holds for the settlement's period and currency add
  up to the same total. NULL while AMS holds none of a settlement with lines (finances not
  synced that far back yet).
* reserve: the part of the total Amazon held back or released (lines described as a reserve);
  and apart, what it held back this period ("Current Reserve Amount", a negative line) and what
  it released of the last ("Previous Reserve Amount Balance"). The V2 flat file names them in
  ``amount-description`` (transaction type "Transfer"), the V1 file in ``transaction-type``:
  both are looked at. The deposit itself, and what a negative total leaves owing, are columns
  computed from the total (``Settlement.deposit_amount``, ``carried_over``).
"""

from __future__ import annotations

from django.db import connection

from ams.core.tenancy import require_team_scope

_RECONCILE = """
UPDATE finance_settlement AS s SET
    line_count = l.n,
    lines_total = l.total,
    lines_reconciled = (l.total = s.total_amount),
    reserve_amount = l.reserve,
    reserve_held = -l.held,
    reserve_released = l.released,
    transactions_total = CASE WHEN t.total IS NULL AND l.n > 0 THEN NULL ELSE coalesce(t.total, 0) END,
    transactions_reconciled = CASE WHEN t.total IS NULL AND l.n > 0 THEN NULL ELSE coalesce(t.total, 0) = s.total_amount END
FROM finance_settlement AS s2
CROSS JOIN LATERAL (
    SELECT count(*) AS n, coalesce(sum(amount), 0) AS total,
           coalesce(sum(amount) FILTER (WHERE amount_description ILIKE '%%reserve%%'), 0) AS reserve,
           coalesce(sum(amount) FILTER (WHERE lower(trim(amount_description)) = 'current reserve amount'
               OR lower(trim(transaction_type)) = 'current reserve amount'), 0) AS held,
           coalesce(sum(amount) FILTER (WHERE lower(trim(amount_description)) = 'previous reserve amount balance'
               OR lower(trim(transaction_type)) = 'previous reserve amount balance'), 0) AS released
    FROM finance_settlementline
    WHERE team_id = s2.team_id AND connection_id = s2.connection_id AND settlement_id = s2.settlement_id
) AS l
CROSS JOIN LATERAL (
    SELECT sum(total_amount) AS total
    FROM finance_transaction
    WHERE team_id = s2.team_id AND connection_id = s2.connection_id AND currency = s2.currency
      AND posted_at >= s2.starts_at AND posted_at <= s2.ends_at
) AS t
WHERE s.id = s2.id AND s2.team_id = %(team)s AND s2.connection_id = %(connection)s
"""


def settlements_reconcile(*, connection_id: int) -> int:
    team_id = require_team_scope()
    with connection.cursor() as cursor:
        cursor.execute(_RECONCILE, {"team": team_id, "connection": connection_id})
        return int(cursor.rowcount)
