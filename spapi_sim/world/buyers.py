"""The buyers behind the simulated orders: a name, an address, an email and a phone per order.

Amazon hands some of this to a seller's application (the all-orders report carries the city,
state and postal code; the Orders API the same, and names, addresses, emails and phones to an
application granted them). The simulator serves it wherever Amazon may, so a client can prove
it keeps none of it. Every value is drawn from the small fixed lists below, keyed by the order
id, so a test can look for every one of them (``ALL_VALUES``) in whatever the client stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_GIVEN = (
    "Aurelia",
    "Bartholomew",
    "Cosima",
    "Desmond",
    "Eulalie",
    "Florian",
    "Griselda",
    "Horatio",
)
_FAMILY = ("Quillfeather", "Ravensworth", "Stonebridge", "Thistlewood", "Underhill", "Vexley")
# Place names that occur nowhere else in an order, so finding one means an address was kept.
_CITIES = (
    ("Brambleford", "WA", "98361"),
    ("Cindermoor", "OR", "97847"),
    ("Duskwater", "TX", "79734"),
    ("Emberlyn", "NY", "13863"),
    ("Foxhollow", "CA", "96137"),
    ("Glimmerdale", "IL", "62958"),
)
_STREETS = ("Larkspur Lane", "Mossgate Row", "Nettlecombe Way", "Orchard Hythe")


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    phone: str
    address_line: str
    city: str
    state: str
    postal_code: str


def buyer(order_id: str) -> Buyer:
    digest = hashlib.sha256(order_id.encode()).digest()
    given, family = _GIVEN[digest[0] % len(_GIVEN)], _FAMILY[digest[1] % len(_FAMILY)]
    city, state, postal_code = _CITIES[digest[2] % len(_CITIES)]
    number = 100 + digest[3] * 7 % 900
    return Buyer(
        name=f"{given} {family}",
        # The form Amazon gives: an anonymised relay address at marketplace.amazon.com.
        email=f"{digest[4:10].hex()}@marketplace.amazon.com",
        phone=f"+1 555 01{digest[10] % 100:02d}",
        address_line=f"{number} {_STREETS[digest[11] % len(_STREETS)]}",
        city=city,
        state=state,
        postal_code=postal_code,
    )


# What a client must never hold: names, streets, cities and postal codes (emails and phones are
# unique per order; a test looks for the "@marketplace.amazon.com" and "+1 555 01" forms).
ALL_VALUES: tuple[str, ...] = (
    *_FAMILY,
    *_STREETS,
    *(city for city, _state, _postal in _CITIES),
    *(postal for _city, _state, postal in _CITIES),
    "@marketplace.amazon.com",
    "+1 555 01",
)
