"""Cost of goods from what was bought: a cost batch per product received, and what each sale took.

A ``CostBatch`` is one product of one receipt line: its units and their value in the team's home
currency (the goods at the order line's price and the landed charges allocated to them, each
converted at the rate of its own day, to the cent). ``Consumption`` is the read model the profit
pages read: per order item and product, the units each batch gave (or the units no batch covered),
at what cost, and the units that came back to a batch with a return. See docs/architecture.md,
"Cost of goods from receipts".
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from ams.core.retention import Aged
from ams.core.tenancy import TenantModel


class Method(models.TextChoices):
    FIFO = "fifo", "First in, first out"
    AVERAGE = "average", "Weighted average"


class Source(models.TextChoices):
    BATCH = "batch", "Cost batch"
    # No batch held the unit: the seller's dated cost (ams.procurement's cost rule) prices it,
    # else it has none. Which of the two is read with the rule, never stored.
    UNCOVERED = "uncovered", "No batch"


class CostingSettings(TenantModel):
    """The team's choice of method, and the currency its batches were last valued in."""

    method = models.CharField(max_length=8, choices=Method.choices, default=Method.FIFO)
    # The home currency the batches and consumption are in; a change of home rebuilds them.
    currency = models.CharField(max_length=3, blank=True)
    # The order lines synced up to this instant are priced (the next refresh reads those after).
    lines_through = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team"], name="costing_settings_team_key")]


class CostBatch(TenantModel):
    receipt_line = models.ForeignKey(
        "purchasing.ReceiptLine", on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    stock_pool = models.CharField(max_length=8)
    received_on = models.DateField()
    quantity = models.PositiveIntegerField()
    # The receipt's goods and landed charges in ``currency`` (the home currency), to the cent.
    goods_value = models.DecimalField(max_digits=16, decimal_places=2)
    landed_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    # As bought: the order's price and currency, and the rate the goods were converted at
    # (home units per unit of the order's currency, on the receipt's day).
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    price_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "receipt_line"], name="cost_batch_line_key"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cost_batch_quantity"),
        ]
        indexes = [
            models.Index(
                fields=["team", "product", "stock_pool", "received_on"], name="cost_batch_pool"
            )
        ]

    @property
    def value(self) -> Decimal:
        return self.goods_value + self.landed_value

    @property
    def unit_cost(self) -> Decimal:
        return (self.value / self.quantity).quantize(Decimal("0.0001"))


class Consumption(TenantModel):
    """Read model: what one order item took from (or, with ``kind`` return, gave back to) one batch
    of one product; ``batch`` NULL for the units no batch covered. Rebuilt by
    ``ams.costing.refresh`` from a day on, per product and stock pool.

    Its keys have no database constraints, as the order lines' (``orders.OrderLine``): a rebuild
    writes a row per order item, and a checked key costs each row a lookup at commit. The rows go
    with their team, product and batch through the refresh and the purge."""

    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    connection = models.ForeignKey(
        "amazon.SellerConnection",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    marketplace_id = models.CharField(max_length=20)
    amazon_order_id = models.CharField(max_length=40)
    sku = models.CharField(max_length=64)
    # The sale's currency and its marketplace-local day, where the profit pages count the cost.
    currency = models.CharField(max_length=3)
    order_day = models.DateField()
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    stock_pool = models.CharField(max_length=8)
    batch = models.ForeignKey(
        CostBatch,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    is_return = models.BooleanField(default=False)
    # The local day of the sale or return, the point from which a refresh rebuilds.
    day = models.DateField()
    # Units of the product per unit of the SKU (a bundle's quantity of it; 1 for a simple product).
    per_sku = models.PositiveIntegerField()
    # Units taken (negative: given back); cost in ``cost_currency`` (the home currency).
    units = models.IntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    cost_currency = models.CharField(max_length=3)
    source = models.CharField(max_length=10, choices=Source.choices)

    retention = Aged("order_day")

    class Meta:
        indexes = [
            models.Index(
                fields=["team", "product", "stock_pool", "day"], name="consumption_pool_day"
            ),
            models.Index(fields=["team", "order_day"], name="consumption_order_day"),
        ]
