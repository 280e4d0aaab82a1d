from __future__ import annotations

from decimal import Decimal

from django import template

from ams.core.marketplaces import label as marketplace_label

register = template.Library()


@register.filter
def marketplace(marketplace_id: str | None) -> str:
    return marketplace_label(marketplace_id)


@register.filter
def unit_amount(value: Decimal | None) -> str:
    """A unit cost with the decimals it has, at least two: 4.5 → 4.50, 0.1234 → 0.1234."""
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"
