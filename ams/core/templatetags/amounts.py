"""Numbers and money as the reader's style writes them (ams.core.display_styles).

Built into every template (settings ``TEMPLATES``), so a page writes ``{{ total|money:currency }}``
and ``{{ count|number }}``. Grouping is asked for here rather than turned on for the whole site:
``USE_THOUSAND_SEPARATOR`` would also group every id and year written into a link or an attribute.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

# Currencies Amazon pays in whole units.
_NO_MINOR_UNITS = frozenset({"JPY"})


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def minor_units(currency: str) -> int:
    return 0 if currency.upper() in _NO_MINOR_UNITS else 2


@register.filter
def number(value: object, places: int | str | None = None) -> str:
    """A count or quantity with the reader's grouping: 12345 → "12,345" ("12.345" in a dot style).

    With ``places``, rounded half up to that many decimals; without, the decimals it has.
    """
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    if places is not None and places != "":
        digits = int(places)
        amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        return number_format(amount, digits, force_grouping=True)
    return number_format(amount, force_grouping=True)


@register.filter
def money(value: object, currency: str | None = "") -> str:
    """An amount with its currency: Decimal("-1234.5"), "EUR" → "-1,234.50 EUR" (or "-1.234,50 EUR").

    Rounded half up to the currency's minor units (none for JPY); an empty value stays empty, so a
    figure not known yet is never written as 0.
    """
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    code = (currency or "").upper()
    digits = minor_units(code) if code else 2
    amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = number_format(amount, digits, force_grouping=True)
    return f"{text} {code}" if code else text
