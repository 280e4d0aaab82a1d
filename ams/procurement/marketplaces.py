"""Marketplaces as a seller writes them in a cost sheet: an Amazon id or a country code."""

from __future__ import annotations

from spapi.regions import MARKETPLACES, Marketplace

_BY_COUNTRY = {m.country_code: m for m in MARKETPLACES.values()}
_BY_COUNTRY["UK"] = _BY_COUNTRY["GB"]  # what sellers (and amazon.co.uk) call it

# No exchange rates yet: a cost is only usable in a currency some marketplace sells in.
SALE_CURRENCIES = frozenset(m.currency for m in MARKETPLACES.values())


def find_marketplace(text: str) -> Marketplace | None:
    """The marketplace for an id (``ATVPDKIKX0DER``) or a country code (``US``, ``de``)."""
    value = text.strip()
    return MARKETPLACES.get(value) or _BY_COUNTRY.get(value.upper())


def marketplace_label(marketplace_id: str | None) -> str:
    if not marketplace_id:
        return "All"
    known = MARKETPLACES.get(marketplace_id)
    return known.country_code if known else marketplace_id


def marketplace_choices() -> list[tuple[str, str]]:
    return sorted(((m.id, f"{m.country_code} ({m.currency})") for m in MARKETPLACES.values()), key=lambda c: c[1])
