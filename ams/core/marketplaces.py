"""The marketplace registry: every app asks here for a marketplace's country, currency, zone and label.

The facts themselves are Amazon's list in ``spapi.regions`` (id, country, currency, region, time
zone, name); this module is how the product reads them, so that an id Amazon's list does not have
(a new marketplace, a typo in a cost sheet) is handled the same way everywhere: it is labelled by
its id, counted in UTC days and has no default currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from spapi.regions import MARKETPLACES, Marketplace

__all__ = [
    "DEFAULT_ZONE",
    "SALE_CURRENCIES",
    "TIME_ZONES",
    "Marketplace",
    "choices",
    "currency",
    "find",
    "label",
    "labelled",
    "region",
    "zone",
    "zone_name",
]

# Days of a marketplace Amazon's list does not have are counted in UTC.
DEFAULT_ZONE = "UTC"

# Marketplace id → IANA zone, for SQL that turns timestamps into local days in one statement.
TIME_ZONES: dict[str, str] = {m.id: m.time_zone for m in MARKETPLACES.values()}

# The currencies costs and the home currency may be in: those some marketplace sells in.
SALE_CURRENCIES = frozenset(m.currency for m in MARKETPLACES.values())

_BY_COUNTRY = {m.country_code: m for m in MARKETPLACES.values()}
_BY_COUNTRY["UK"] = _BY_COUNTRY["GB"]  # what sellers (and amazon.co.uk) call it


def find(text: str) -> Marketplace | None:
    """The marketplace for an id (``ATVPDKIKX0DER``) or a country code (``US``, ``de``, ``UK``)."""
    value = text.strip()
    return MARKETPLACES.get(value) or _BY_COUNTRY.get(value.upper())


def label(marketplace_id: str | None) -> str:
    """The short label pages show: the country code, or the id itself when Amazon's list lacks it."""
    if not marketplace_id:
        return "All"
    known = MARKETPLACES.get(marketplace_id)
    return known.country_code if known else marketplace_id


def labelled(ids: Iterable[str]) -> list[tuple[str, str]]:
    """(id, label) pairs sorted by label, for filters."""
    return sorted(((m, label(m)) for m in set(ids)), key=lambda pair: pair[1])


def choices() -> list[tuple[str, str]]:
    """Every known marketplace as (id, "US (USD)"), for forms that are not limited to a team's."""
    return sorted(
        ((m.id, f"{m.country_code} ({m.currency})") for m in MARKETPLACES.values()),
        key=lambda c: c[1],
    )


def currency(marketplace_id: str) -> str:
    """The marketplace's default currency, or "" when Amazon's list lacks it."""
    known = MARKETPLACES.get(marketplace_id)
    return known.currency if known else ""


def region(marketplace_id: str) -> str | None:
    """NA, EU or FE; None for ids Amazon's list does not have."""
    known = MARKETPLACES.get(marketplace_id)
    return str(known.region) if known else None


def zone_name(marketplace_id: str) -> str:
    return TIME_ZONES.get(marketplace_id, DEFAULT_ZONE)


def zone(marketplace_id: str) -> ZoneInfo:
    return ZoneInfo(zone_name(marketplace_id))
