"""Writing a tenant's ids into SQL so that the planner estimates them well.

A new seller's team and connection are values the table statistics have not met: written as
plain constants (``team_id = %(team)s``), the planner estimates them at about one row, and every
index that starts with the team then looks as good as the one that fits the query. During a
first backfill, long before autovacuum analyzes the tables again, it chose the single-column
team index and read all the seller's charges for each transaction of a batch: a batch cost
grew with the seller's history, and a two-year backfill went quadratic.

Written as a sub-select, the value is an InitPlan parameter: the planner estimates it as an
average value of the column and picks the index that matches the rest of the query. The value
itself is the same, and row-level security still applies.
"""

# ``team_id = TEAM`` with the parameter ``team``; ``connection_id = CONNECTION`` with ``connection``.
TEAM = "(SELECT %(team)s::bigint)"
CONNECTION = "(SELECT %(connection)s::bigint)"
