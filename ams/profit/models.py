"""The profit read model: per team, connection, marketplace, SKU, day (or month) and currency,
what the profit pages add up, so a period of any length reads a few thousand small rows instead of
the order lines, the charges and the cost records (docs/architecture.md, "The profit read model").

Two column families share a row, each counted on its own kind of day, as the pages count them:

- the sales (orders, units, sales) and their cost of goods, on the marketplace-local day the
  orders were placed (from ``orders.SkuDay``), priced by ``ams.profit.goods``;
- Amazon's fees (net of those given back on refunds) and refunds to buyers, on the UTC day
  Amazon posted them (from the charges of ``ams.finance``).

Each money figure is also kept in the team's home currency at the ECB's rate of its own day;
``*_unrated`` counts what had no rate, so a home figure over such a day reads incomplete, never 0.
``SkuProfitMonth`` holds the same sums per calendar month, so a year reads twelve rows per SKU,
and ``ProfitMonth`` per month without the SKU, so a year's statement reads a few rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from ams.core.retention import Aged
from ams.core.tenancy import TenantModel


def _money() -> models.DecimalField[Any, Decimal]:
    return models.DecimalField(max_digits=20, decimal_places=6, db_default=0)


class ProfitFigures(TenantModel):
    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)

    # By order date (marketplace-local day), cancelled lines left out, as in SkuDay.
    orders = models.IntegerField(db_default=0)
    units = models.IntegerField(db_default=0)
    sales = _money()
    sales_home = _money()
    # Days (one per day row) whose sales had no rate into the home currency.
    sales_unrated = models.IntegerField(db_default=0)
    # The units that had a cost (in the sale's currency) and the units that had none.
    cost = _money()
    cost_home = _money()
    units_missing_cost = models.IntegerField(db_default=0)

    # By posting date (UTC day). Positive amounts taken off the sales.
    fees = _money()
    refunds = _money()
    refund_count = models.IntegerField(db_default=0)  # refund transactions
    fees_home = _money()
    refunds_home = _money()
    # Charges behind fees and refunds, and those of them without a rate into the home currency.
    charges = models.IntegerField(db_default=0)
    money_unrated = models.IntegerField(db_default=0)

    class Meta:
        abstract = True


class SkuProfitDay(ProfitFigures):
    sku = models.CharField(max_length=64)
    day = models.DateField()

    retention = Aged("day")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "day", "currency"],
                name="sku_profit_day_key",
            )
        ]
        indexes = [models.Index(fields=["team", "day"], name="sku_profit_day_team_day")]


class SkuProfitMonth(ProfitFigures):
    sku = models.CharField(max_length=64)
    month = models.DateField()  # the first day of the calendar month

    retention = Aged("month")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "month", "currency"],
                name="sku_profit_month_key",
            )
        ]
        indexes = [
            models.Index(fields=["team", "month"], name="sku_profit_month_team_month"),
            # The SKUs sold without a cost in a period, counted from these rows only.
            models.Index(
                fields=["team", "month"],
                name="sku_profit_month_missing_cost",
                condition=models.Q(units_missing_cost__gt=0),
            ),
        ]


class ProfitMonth(ProfitFigures):
    """All SKUs of a marketplace, month and currency together: what a period's statement adds up
    (the profit and loss, the overview's cost of goods) without reading a row per SKU."""

    month = models.DateField()

    retention = Aged("month")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "month", "currency"],
                name="profit_month_key",
            )
        ]
