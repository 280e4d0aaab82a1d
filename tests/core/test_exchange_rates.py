"""The ECB's reference rates (ams.core.exchange_rates): read from a local file, stored per calendar
day, converted at the rate of a figure's own day, and never a zero where a rate is missing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ams.core.exchange_rates import SHIPPED, convert, rates_load, rates_refresh
from ams.core.models import ExchangeRate
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Team
from ams.teams.services import team_update
from tests.conftest import ECB_CSV
from tests.factories import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def ecb_file(tmp_path: Path) -> Path:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_CSV)
    return path


def test_a_file_is_stored_for_every_calendar_day(ecb_file: Path) -> None:
    rows, last = rates_load(ecb_file, through=date(2026, 3, 10))
    assert last == date(2026, 3, 9)
    usd = {r.day: r for r in ExchangeRate.objects.filter(currency="USD")}
    assert sorted(usd) == [date(2026, 3, d) for d in range(5, 11)]
    # The weekend repeats Friday's rate and says it is Friday's.
    assert usd[date(2026, 3, 7)].per_eur == Decimal("1.1")
    assert usd[date(2026, 3, 8)].published_on == date(2026, 3, 6)
    # Past the last published day, up to the day asked for, the last rate holds.
    assert usd[date(2026, 3, 10)].published_on == date(2026, 3, 9)
    # Only currencies a marketplace sells in; a currency with no rate at all is not invented.
    assert not ExchangeRate.objects.filter(currency="RUB").exists()
    assert ExchangeRate.objects.filter(currency="EUR", day=date(2026, 3, 7), per_eur=1).exists()
    assert rows == ExchangeRate.objects.count()


def test_loading_again_replaces_the_rates(ecb_file: Path, tmp_path: Path) -> None:
    rates_load(ecb_file, through=date(2026, 3, 9))
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(ECB_CSV.replace("1.0800", "1.0810"))
    rates_load(corrected, through=date(2026, 3, 9))
    rate = ExchangeRate.objects.get(currency="USD", day=date(2026, 3, 9))
    assert rate.per_eur == Decimal("1.081")
    assert ExchangeRate.objects.filter(currency="USD").count() == 5


def test_convert_uses_the_rate_of_the_day_rounded_to_the_cent(ecb_file: Path) -> None:
    rates_load(ecb_file, through=date(2026, 3, 9))
    cad = convert(Decimal("10.00"), from_currency="USD", to_currency="CAD", day=date(2026, 3, 5))
    # 10 USD = 10 / 1.09 EUR = 10 * 1.48 / 1.09 CAD = 13.5779…
    assert cad.amount == Decimal("13.58")
    assert cad.rate == Decimal("1.48") / Decimal("1.09")
    assert cad.rate_day == date(2026, 3, 5)
    # A Sunday: Friday's rates, and the result says so.
    sunday = convert(Decimal(100), from_currency="EUR", to_currency="MXN", day=date(2026, 3, 8))
    assert (sunday.amount, sunday.rate_day) == (Decimal("1980.00"), date(2026, 3, 6))
    to_eur = convert(Decimal("8.60"), from_currency="GBP", to_currency="EUR", day=date(2026, 3, 6))
    assert to_eur.amount == Decimal("10.00")
    same = convert(Decimal("1.005"), from_currency="USD", to_currency="USD", day=date(2000, 1, 1))
    assert (same.amount, same.rate) == (Decimal("1.00"), Decimal(1))


def test_a_missing_rate_is_incomplete_never_zero(ecb_file: Path) -> None:
    rates_load(ecb_file, through=date(2026, 3, 9))
    # The ECB publishes no rate for the dirham, nor any before its first day in the file.
    for currency, day in (("AED", date(2026, 3, 6)), ("CAD", date(2026, 3, 4))):
        result = convert(Decimal(5), from_currency="USD", to_currency=currency, day=day)
        assert result.incomplete
        assert (result.amount, result.rate) == (None, None)
    later = convert(Decimal(5), from_currency="USD", to_currency="CAD", day=date(2026, 3, 10))
    assert later.incomplete, "a day past the last refresh has no rate yet"


def test_a_failed_download_falls_back_to_the_shipped_history() -> None:
    # Nothing listens on the discard port of this machine: the download fails at once, offline.
    result = rates_refresh(url="http://127.0.0.1:9/eurofxref-hist.zip")
    assert result.source == SHIPPED
    assert result.error
    assert result.last_published is not None
    assert result.last_published >= date(2024, 1, 1)
    usd = ExchangeRate.objects.get(currency="USD", day=date(2024, 1, 2))
    assert Decimal("1.0") < usd.per_eur < Decimal("1.2")


def test_the_command_loads_a_local_file(ecb_file: Path) -> None:
    out = StringIO()
    call_command("exchange_rates", file=str(ecb_file), stdout=out)
    assert "last published 2026-03-09" in out.getvalue()
    assert ExchangeRate.objects.filter(currency="JPY", day=date(2026, 3, 9)).exists()


def test_a_file_of_no_useful_currency_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Date,RUB,\n2026-03-09,90.0,\n")
    with pytest.raises(ValueError, match="no rate"):
        rates_load(path)
    assert not ExchangeRate.objects.exists()


# --- The team's home currency ---------------------------------------------------------------------


def test_the_home_currency_is_the_teams_choice_or_its_main_marketplaces(
    personas: Personas,
) -> None:
    from ams.orders.selectors import home_currency
    from tests.procurement.helpers import synced_skus

    team = personas.team
    with team_scope(team.id):
        assert home_currency(team) == "USD"  # nothing sold yet
    synced_skus(team, "A", "B", marketplace_id="A1PA6795UKMFR9", currency="EUR")
    with team_scope(team.id):
        assert home_currency(team) == "EUR"
    with team_scope(personas.outsider_team.id):
        assert home_currency(personas.outsider_team) == "USD", (
            "another team's sales count for nothing"
        )
    with team_scope(team.id):
        membership = Membership.objects.get(team=team, user=personas.owner)
    team_update(team=team, actor=membership, name=team.name, home_currency="GBP")
    with team_scope(team.id):
        assert home_currency(Team.objects.get(id=team.id)) == "GBP"
    with pytest.raises(ValueError, match="not a currency"):
        team_update(team=team, actor=membership, name=team.name, home_currency="XXX")


def test_admins_set_the_home_currency_and_viewers_read_it(client, personas: Personas) -> None:
    url = f"/t/{personas.team.slug}/settings/"
    client.force_login(personas.admin)
    response = client.post(url, {"name": personas.team.name, "home_currency": "CAD"})
    assert response.status_code == 302
    assert Team.objects.get(id=personas.team.id).home_currency == "CAD"
    client.force_login(personas.viewer)
    page = client.get(url)
    assert 'id="home-currency">CAD<' in page.content.decode()
    assert client.post(url, {"name": "x", "home_currency": "USD"}).status_code == 403
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404
    assert Team.objects.get(id=personas.team.id).home_currency == "CAD"
