"""Cost of goods sold: the one place that turns units sold into what they cost.

Today each unit costs what the cost rule (``ams.procurement.cost_rule``) says for its SKU,
marketplace and day, converted into the sale's currency at that day's rate. The profit read model
(``ams.profit.rollups``) stores the result per SKU and day, and the pages add it up; nothing else
prices units for it. This is the seam where cost of goods from first-in-first-out receipt batches
(``ams.purchasing``) replaces the dated manual costs: a replacement keeps the signature of
``priced`` (the same columns from the same rows of units) and ``ams.profit.rollups`` needs no
change. It must also be told when its inputs change (``ams.profit.receivers``: today a saved or
deleted cost reprices that SKU's days).
"""

from __future__ import annotations

from ams.procurement.cost_rule import cost_on_day, dated_costs


def costs_cte(*, sold: str) -> str:
    """The WITH item (``costs AS (…)``) that ``priced`` reads: the cost records of the SKUs of
    ``sold`` (a relation named earlier in the same WITH)."""
    narrowed = f"sku IN (SELECT sku FROM {sold})"  # noqa: S608 (a relation's name)
    return f"costs AS ({dated_costs(skus=narrowed)})"


def priced(*, lines: str, to_home: str) -> tuple[str, dict[str, str]]:
    """The joins from ``lines`` (an alias of rows with ``sku``, ``marketplace_id``, ``currency``,
    ``day`` and ``units``) and three columns of the cost of their units: ``cost`` (of the units
    with a cost, in the sale's currency), ``cost_home`` (the same times ``to_home``, an SQL factor
    into the home currency, NULL without a rate) and ``units_missing_cost`` (the units without a
    cost on their day, or with one in another currency that had no rate that day). A missing cost
    is counted, never priced at 0."""
    rule = cost_on_day(
        lines=lines, day=f"{lines}.day", costs="costs", sale_currency=f"{lines}.currency"
    )
    known = f"{rule.column('currency')} = {lines}.currency"
    unit_cost = rule.column("unit_cost")
    columns = {
        "cost": f"CASE WHEN {known} THEN {lines}.units * {unit_cost} ELSE 0 END",
        "cost_home": f"CASE WHEN {known} THEN coalesce({lines}.units * {unit_cost} * {to_home}, 0) ELSE 0 END",
        "units_missing_cost": f"CASE WHEN {known} THEN 0 ELSE {lines}.units END",
    }
    return rule.joins, columns
