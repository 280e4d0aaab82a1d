from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.formats import number_format

from ams.core.marketplaces import label as marketplace_label

register = template.Library()


@register.filter
def marketplace(marketplace_id: str | None) -> str:
    return marketplace_label(marketplace_id)


@register.filter
def unit_amount(value: Decimal | None) -> str:
    """A unit cost with the decimals it has, at least two, in the reader's style: 4.5 → 4.50,
    0.1234 → 0.1234, 1234.5 → 1,234.50 (1.234,50 in a dot style)."""
    if value is None:
        return ""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return number_format(value, places, force_grouping=True)


@register.inclusion_tag("procurement/_cost_usage.html")
def cost_usage(usage: dict[int, Any], record: Any, orders_url: str) -> dict[str, Any]:
    """How many orders a cost record priced, linked to them on the orders page."""
    found = usage.get(record.id)
    query = ""
    if found is not None:
        params = {
            "sku": record.sku,
            "marketplace": record.marketplace_id or "",
            "date_from": found.first_day.isoformat(),
            "date_to": found.last_day.isoformat(),
        }
        query = urlencode({k: v for k, v in params.items() if v})
    return {"usage": found, "url": f"{orders_url}?{query}" if found else "", "record": record}
