"""Which cost applies to a sold line: the one definition, as SQL applied to any table of lines.

A line is a SKU sold in a marketplace on a (marketplace-local) day. Among the team's cost records
of that SKU, it takes:

- the newest record for its own marketplace dated on or before the day;
- only when its marketplace has none, the newest record for every marketplace (``marketplace_id``
  NULL) dated on or before the day. A marketplace's own records win whatever their dates: a
  seller who enters a German cost means it for Germany;
- a record without a date (``effective_from`` NULL: a cost saved with no "valid from") holds
  from the beginning of history until the first dated record of its SKU and scope replaces it;
- no cost at all before the first dated record when there is no undated one: a missing cost is
  never a cost of zero.

A record so found in another currency than the sale's is converted at the ECB's rate of the
line's day (``ams.core.exchange_rates``) when the caller names the sale's currency
(``sale_currency``): a USD cost for every marketplace prices the CAD and MXN sales too. Without a
rate for that day it stays in its own currency, which the callers count as missing (never as 0).

Every page, export and read model that prices sold units builds its SQL from these two
functions: ``dated_costs`` (each record with the day the next one of its SKU and scope takes
over) and ``cost_on_day`` (the joins that pick the record valid on a line's day). See
docs/architecture.md, "Read models".
"""

from __future__ import annotations

from dataclasses import dataclass

from ams.core.exchange_rates import rate_joins


def dated_costs(*, skus: str = "") -> str:
    """A SELECT of the team's (``%(team)s``) cost records, each with ``until``: the day the next
    record of the same SKU and scope (its marketplace, or every marketplace) takes over, NULL for
    the newest. ``skus`` narrows the records by an SQL condition on ``sku``
    (``"sku = ANY(%(skus)s)"``); the rule needs every record of a SKU it prices.

    The window follows the order of the records' unique index (team, SKU, marketplace, day),
    so the records are read in that order rather than sorted.
    """
    narrowed = f"AND {skus}" if skus else ""
    # NULLS FIRST: the undated record comes before every dated one and ends at the first of them.
    return f"""
    SELECT id, sku, marketplace_id, currency, unit_cost, effective_from,
        lead(effective_from) OVER (
            PARTITION BY sku, marketplace_id ORDER BY effective_from NULLS FIRST
        ) AS until
    FROM procurement_productcost
    WHERE team_id = %(team)s {narrowed}"""  # noqa: S608 (fixed text)


@dataclass(frozen=True)
class AppliedCost:
    """The joins that find a line's cost, and the columns of the record they found."""

    joins: str
    own: str
    every: str
    # The sale's currency (an SQL expression) when the cost is converted into it.
    sale_currency: str | None = None

    def record(self, name: str) -> str:
        """A column of the record that applies, as entered: the marketplace's own when there is
        one, else the one for every marketplace."""
        return f"CASE WHEN {self.own}.id IS NOT NULL THEN {self.own}.{name} ELSE {self.every}.{name} END"

    def column(self, name: str) -> str:
        """A column (``unit_cost``, ``currency``, ``id``, ``effective_from``) of the record that
        applies. With a ``sale_currency``, ``unit_cost`` and ``currency`` are the cost converted
        into it at the day's rates; without a rate they stay the record's own."""
        if self.sale_currency is None or name not in ("unit_cost", "currency"):
            return self.record(name)
        currency, sale = self.record("currency"), self.sale_currency
        sale_rate, cost_rate = f"{self.own}_sale_rate", f"{self.own}_cost_rate"
        both = f"{sale_rate}.per_eur IS NOT NULL AND {cost_rate}.per_eur IS NOT NULL"
        if name == "currency":
            return f"CASE WHEN {both} THEN {sale} ELSE {currency} END"
        unit_cost = self.record("unit_cost")
        return (
            f"CASE WHEN {both} AND {currency} <> {sale} "
            f"THEN {unit_cost} * {sale_rate}.per_eur / {cost_rate}.per_eur ELSE {unit_cost} END"
        )


def cost_on_day(
    *,
    lines: str,
    day: str,
    costs: str,
    own: str = "own",
    every: str = "every",
    sale_currency: str | None = None,
) -> AppliedCost:
    """LEFT JOINs from ``lines`` (the alias of rows with ``sku`` and ``marketplace_id``) to
    ``costs`` (a relation of ``dated_costs`` rows) that find the record valid on ``day`` (an SQL
    expression: a column of the lines, or a parameter for one day). At most one record of each
    scope is valid on a day, so a line keeps one row. ``own`` and ``every`` name the joined
    records, for a query that applies the rule twice in one scope. ``sale_currency`` (an SQL
    expression, e.g. ``s.currency``) adds the day's rates of the sale's and the cost's
    currencies, so ``column`` converts the cost (ams.core.exchange_rates)."""

    def valid(alias: str) -> str:
        return (
            f"({alias}.effective_from IS NULL OR {alias}.effective_from <= {day})"
            f" AND ({alias}.until IS NULL OR {day} < {alias}.until)"
        )

    joins = f"""
    LEFT JOIN {costs} {own} ON {own}.sku = {lines}.sku AND {own}.marketplace_id = {lines}.marketplace_id
        AND {valid(own)}
    LEFT JOIN {costs} {every} ON {every}.sku = {lines}.sku AND {every}.marketplace_id IS NULL
        AND {valid(every)}"""
    applied = AppliedCost(joins, own, every, sale_currency)
    if sale_currency is not None:
        applied = AppliedCost(
            joins
            + "\n    "
            + rate_joins(alias=f"{own}_sale_rate", currency=sale_currency, day=day)
            + "\n    "
            + rate_joins(alias=f"{own}_cost_rate", currency=applied.record("currency"), day=day),
            own,
            every,
            sale_currency,
        )
    return applied
