"""The time zone each marketplace's "day" is counted in.

Seller Central reports a marketplace's sales by its local calendar day, in the zone below (US
marketplace: Pacific time). Orders are stored in UTC; only the read models (day rollups, month to
date) turn them into local days, through this table.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

DEFAULT_ZONE = "UTC"

TIME_ZONES: dict[str, str] = {
    "ATVPDKIKX0DER": "America/Los_Angeles",  # US
    "A2EUQ1WTGCTBG2": "America/Toronto",  # CA
    "A1AM78C64UM0Y8": "America/Mexico_City",  # MX
    "A2Q3Y263D00KWC": "America/Sao_Paulo",  # BR
    "A1F83G8C2ARO7P": "Europe/London",  # UK
    "A1PA6795UKMFR9": "Europe/Berlin",  # DE
    "A13V1IB3VIYZZH": "Europe/Paris",  # FR
    "APJ6JRA9NG5V4": "Europe/Rome",  # IT
    "A1RKKUPIHCS9HS": "Europe/Madrid",  # ES
    "A1805IZSGTT6HS": "Europe/Amsterdam",  # NL
    "AMEN7PMS3EDWL": "Europe/Brussels",  # BE
    "A28R8C7NBKEWEA": "Europe/Dublin",  # IE
    "A2NODRKZP88ZB9": "Europe/Stockholm",  # SE
    "A1C3SOZRARQ6R3": "Europe/Warsaw",  # PL
    "A33AVAJ2PDY3EV": "Europe/Istanbul",  # TR
    "A2VIGQ35RCS4UG": "Asia/Dubai",  # AE
    "A17E79C6D8DWNP": "Asia/Riyadh",  # SA
    "ARBP9OOSHTCHU": "Africa/Cairo",  # EG
    "A21TJRUUN4KGV": "Asia/Kolkata",  # IN
    "AE08WJ6YKNBMC": "Africa/Johannesburg",  # ZA
    "A1VC38T7YXB528": "Asia/Tokyo",  # JP
    "A39IBJ37TRP1C6": "Australia/Sydney",  # AU
    "A19VAU5U5O7RUS": "Asia/Singapore",  # SG
}


def zone_name(marketplace_id: str) -> str:
    return TIME_ZONES.get(marketplace_id, DEFAULT_ZONE)


def zone(marketplace_id: str) -> ZoneInfo:
    return ZoneInfo(zone_name(marketplace_id))
