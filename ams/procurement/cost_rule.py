"""Which cost applies to a sold line: the one definition, as SQL applied to any table of lines.

A line is a SKU sold in a marketplace on a (marketplace-local) day. Among the team's dated cost
records of that SKU, it takes:

- the newest record for its own marketplace dated on or before the day;
- only when its marketplace has none, the newest record for every marketplace (``marketplace_id``
  NULL) dated on or before the day. A marketplace's own records win whatever their dates: a
  seller who enters a German cost means it for Germany;
- no cost at all before the first dated record: a missing cost is never a cost of zero.

A record so found in another currency than the sale's counts as missing too (AMS has no exchange
rates); the callers compare the currencies, as they also say why a cost is missing.

Every page, export and read model that prices sold units builds its SQL from these two
functions: ``dated_costs`` (each record with the day the next one of its SKU and scope takes
over) and ``cost_on_day`` (the joins that pick the record valid on a line's day). See
docs/architecture.md, "Read models".
"""

from __future__ import annotations

from dataclasses import dataclass


def dated_costs(*, skus: str = "") -> str:
    """A SELECT of the team's (``%(team)s``) cost records, each with ``until``: the day the next
    record of the same SKU and scope (its marketplace, or every marketplace) takes over, NULL for
    the newest. ``skus`` narrows the records by an SQL condition on ``sku``
    (``"sku = ANY(%(skus)s)"``); the rule needs every record of a SKU it prices.

    The window follows the order of the records' unique index (team, SKU, marketplace, day),
    so the records are read in that order rather than sorted.
    """
    narrowed = f"AND {skus}" if skus else ""
    return f"""
    SELECT id, sku, marketplace_id, currency, unit_cost, effective_from,
        lead(effective_from) OVER (PARTITION BY sku, marketplace_id ORDER BY effective_from) AS until
    FROM procurement_productcost
    WHERE team_id = %(team)s {narrowed}"""  # noqa: S608 (fixed text)


@dataclass(frozen=True)
class AppliedCost:
    """The joins that find a line's cost, and the columns of the record they found."""

    joins: str
    own: str
    every: str

    def column(self, name: str) -> str:
        """A column (``unit_cost``, ``currency``, ``id``, ``effective_from``) of the record that
        applies: the marketplace's own when there is one, else the one for every marketplace."""
        return f"CASE WHEN {self.own}.id IS NOT NULL THEN {self.own}.{name} ELSE {self.every}.{name} END"


def cost_on_day(
    *, lines: str, day: str, costs: str, own: str = "own", every: str = "every"
) -> AppliedCost:
    """LEFT JOINs from ``lines`` (the alias of rows with ``sku`` and ``marketplace_id``) to
    ``costs`` (a relation of ``dated_costs`` rows) that find the record valid on ``day`` (an SQL
    expression: a column of the lines, or a parameter for one day). At most one record of each
    scope is valid on a day, so a line keeps one row. ``own`` and ``every`` name the joined
    records, for a query that applies the rule twice in one scope."""

    def valid(alias: str) -> str:
        return (
            f"{alias}.effective_from <= {day} AND ({alias}.until IS NULL OR {day} < {alias}.until)"
        )

    joins = f"""
    LEFT JOIN {costs} {own} ON {own}.sku = {lines}.sku AND {own}.marketplace_id = {lines}.marketplace_id
        AND {valid(own)}
    LEFT JOIN {costs} {every} ON {every}.sku = {lines}.sku AND {every}.marketplace_id IS NULL
        AND {valid(every)}"""
    return AppliedCost(joins, own, every)
