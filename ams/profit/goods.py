"""Cost of goods sold: the one place that turns units sold into what they cost.

A unit bought in a cost batch (``ams.costing``: each receipt a batch, each sale consuming the
oldest batch of its stock pool, or the pool's average) costs what its batch says, valued in the
home currency at the receipt day's rate and converted into the sale's currency at the sale day's
rate. The units no batch covered cost what the cost rule (``ams.procurement.cost_rule``) says for
their SKU, marketplace and day, converted into the sale's currency at that day's rate: a team
without batches is priced by the rule alone. The profit read model (``ams.profit.rollups``) stores
the result per SKU and day, and the pages add it up; nothing else prices units for it. It is told
when its inputs change (``ams.profit.receivers``): a saved or deleted cost, and the batches a
receipt, a landed cost or a sync repriced.
"""

from __future__ import annotations

from ams.costing.relations import batch_cost_days
from ams.procurement.cost_rule import cost_on_day, dated_costs


def costs_cte(*, sold: str) -> str:
    """The WITH items (``costs AS (…), batches AS (…)``) that ``priced`` reads: the cost records
    of the SKUs of ``sold`` (a relation named earlier in the same WITH, with ``day``) and the
    batch costs of its days."""
    narrowed = f"sku IN (SELECT sku FROM {sold})"  # noqa: S608 (a relation's name)
    days = batch_cost_days(
        first=f"(SELECT min(day) FROM {sold})",  # noqa: S608 (a relation's name)
        last=f"(SELECT max(day) FROM {sold})",  # noqa: S608 (a relation's name)
    )
    return f"costs AS ({dated_costs(skus=narrowed)}), batches AS ({days})"


def priced(*, lines: str, to_home: str) -> tuple[str, dict[str, str]]:
    """The joins from ``lines`` (an alias of rows with ``connection_id``, ``sku``,
    ``marketplace_id``, ``currency``, ``day`` and ``units``) and three columns of the cost of their
    units: ``cost`` (of the units with a cost, in the sale's currency), ``cost_home`` (in the home
    currency; ``to_home`` is the SQL factor from the sale's currency, NULL without a rate) and
    ``units_missing_cost`` (the units without a cost on their day, or whose cost could not be
    converted for want of a rate). A missing cost is counted, never priced at 0."""
    rule = cost_on_day(
        lines=lines, day=f"{lines}.day", costs="costs", sale_currency=f"{lines}.currency"
    )
    joins = (
        rule.joins
        + f"""
    LEFT JOIN batches b ON b.connection_id = {lines}.connection_id
        AND b.marketplace_id = {lines}.marketplace_id AND b.sku = {lines}.sku
        AND b.currency = {lines}.currency AND b.day = {lines}.day"""
    )
    known = f"{rule.column('currency')} = {lines}.currency"
    unit_cost = rule.column("unit_cost")
    # The units no batch covered, priced by the rule.
    by_rule = f"greatest({lines}.units - coalesce(b.units, 0), 0)"
    rule_cost = f"CASE WHEN {known} THEN {by_rule} * {unit_cost} ELSE 0 END"
    rule_missing = f"CASE WHEN {known} THEN 0 ELSE {by_rule} END"
    # The batches' cost is in the home currency they were valued in; in another (the team's home
    # currency changed since) it cannot be used until they are valued again.
    batch_home = "CASE WHEN b.cost_currency = %(home)s THEN b.cost END"
    batch_sale = f"({batch_home} / nullif({to_home}, 0))"
    columns = {
        "cost": f"{rule_cost} + coalesce({batch_sale}, 0)",
        "cost_home": f"coalesce({rule_cost} * {to_home}, 0) + coalesce({batch_home}, 0)",
        "units_missing_cost": (
            f"{rule_missing} + CASE WHEN b.units > 0 AND {batch_sale} IS NULL "
            "THEN b.units ELSE 0 END"
        ),
    }
    return joins, columns
