"""Money is Decimal, quantized to the currency's minor unit, and written as a plain string."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from spapi_sim.marketplaces import ZERO_DECIMAL_CURRENCIES

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def q(amount: Decimal, currency: str = "USD") -> Decimal:
    """Round half up to the currency's minor unit, as Amazon's statements do."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def s(amount: Decimal) -> str:
    """A Decimal as a plain string (never exponent notation); "-0.00" becomes "0.00"."""
    if amount == 0:
        amount = abs(amount)
    return format(amount, "f")


def charm_price(amount: Decimal, currency: str) -> Decimal:
    """A shelf price: x.99 for cent currencies, whole units for the others."""
    if currency in ZERO_DECIMAL_CURRENCIES or currency == "MXN":
        # Whole pesos/yen on the shelf, still written with the currency's minor unit.
        return q(max(Decimal("1"), amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP)), currency)
    whole = amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return max(Decimal("0.99"), whole - Decimal("0.01"))
