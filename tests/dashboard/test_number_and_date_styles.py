"""Numbers and dates in the reader's style: grouped thousands, every amount with its currency, one
date format, chosen on the profile or taken from the browser's language (docs/architecture.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from ams.core.display_styles import style_from_header
from ams.core.templatetags.amounts import money, number
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db

NARROW_SPACE = "\u202f"


@pytest.mark.parametrize(
    ("header", "style"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "en-de"),
        ("en-US,en;q=0.9", "en-us"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "en-fr"),
        ("ja-JP,ja;q=0.9,de;q=0.5", "en-de"),  # the first language that has a style
        ("ja", "en"),
        ("*", "en"),
        ("", "en"),
    ],
)
def test_the_browsers_language_picks_the_closest_style(header, style):
    assert style_from_header(header) == style


@pytest.mark.parametrize(
    ("style", "amount", "currency", "shown"),
    [
        ("en", Decimal("-1234.5"), "EUR", "-1,234.50 EUR"),
        ("en-us", Decimal("1234567.891"), "USD", "1,234,567.89 USD"),
        ("en-de", Decimal("-1234.5"), "EUR", "-1.234,50 EUR"),
        ("en-fr", Decimal("1234.5"), "EUR", f"1{NARROW_SPACE}234,50 EUR"),
        ("en", Decimal("1234.5"), "JPY", "1,235 JPY"),  # yen have no minor units; half up
        ("en", Decimal("0.005"), "USD", "0.01 USD"),  # rounded half up, not cut off
        ("en", Decimal("999"), "usd", "999.00 USD"),
    ],
)
def test_money_is_grouped_rounded_and_carries_its_currency(style, amount, currency, shown):
    with translation.override(style):
        assert money(amount, currency) == shown


def test_an_unknown_amount_stays_empty_never_zero():
    assert money(None, "USD") == ""
    assert number(None) == ""


def test_counts_and_percentages_are_grouped():
    with translation.override("en"):
        assert number(1234567) == "1,234,567"
        assert number(Decimal("1214.66"), 1) == "1,214.7"
    with translation.override("en-de"):
        assert number(Decimal("1214.66"), 1) == "1.214,7"


def _seed_big_settlement(p: Personas) -> None:
    connection = f.connected(p.team)
    f.settlement(
        p.team,
        connection,
        "S-BIG",
        deposit=datetime(2026, 3, 4, tzinfo=UTC),
        amounts=["12345.67", "-45.67"],
    )


def _settlements(p: Personas, user=None, **headers: str) -> str:
    client = Client(
        headers={k.removeprefix("HTTP_").replace("_", "-"): v for k, v in headers.items()}
    )
    client.force_login(user or p.viewer)
    response = client.get(f"/t/{p.team.slug}/settlements/")
    assert response.status_code == 200
    return response.content.decode()


def test_pages_write_numbers_and_dates_in_the_browsers_style(personas: Personas):
    _seed_big_settlement(personas)
    german = _settlements(personas, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert "12.300,00 USD" in german
    assert "04.03.2026" in german
    american = _settlements(personas, HTTP_ACCEPT_LANGUAGE="en-US")
    assert "12,300.00 USD" in american
    assert "Mar 4, 2026" in american
    international = _settlements(personas)
    assert "12,300.00 USD" in international
    assert "4 Mar 2026" in international
    assert (
        "2026-03-04" not in international
    )  # one date format, not ISO in one place and words in another


def test_the_style_chosen_on_the_profile_wins_over_the_browser(personas: Personas):
    _seed_big_settlement(personas)
    client = Client(HTTP_ACCEPT_LANGUAGE="de-DE")
    client.force_login(personas.viewer)
    response = client.post("/accounts/profile/", {"name": "Vera", "display_style": "en-fr"})
    assert response.status_code == 302
    html = client.get(f"/t/{personas.team.slug}/settlements/").content.decode()
    assert f"12{NARROW_SPACE}300,00 USD" in html
    assert "04/03/2026" in html
    # A style AMS does not have is refused on the profile and changes nothing.
    refused = client.post("/accounts/profile/", {"name": "Vera", "display_style": "xx"})
    assert refused.status_code == 200
    personas.viewer.refresh_from_db()
    assert personas.viewer.display_style == "en-fr"


def test_an_outsider_sees_none_of_the_team_in_any_style(personas: Personas):
    _seed_big_settlement(personas)
    client = Client(HTTP_ACCEPT_LANGUAGE="de-DE")
    client.force_login(personas.outsider)
    assert client.get(f"/t/{personas.team.slug}/settlements/").status_code == 404


def test_a_date_input_stays_iso_in_every_style(personas: Personas):
    """``<input type="date">`` needs ISO whatever the style, or the browser shows it empty."""
    f.seed(personas)
    client = Client(HTTP_ACCEPT_LANGUAGE="de-DE")
    client.force_login(personas.viewer)
    html = client.get(
        f"/t/{personas.team.slug}/orders/", {"date_from": date(2026, 2, 1).isoformat()}
    ).content.decode()
    assert 'value="2026-02-01"' in html


def test_a_unit_cost_keeps_its_decimals_in_the_readers_style():
    from ams.procurement.templatetags.procurement import unit_amount

    with translation.override("en"):
        assert [unit_amount(Decimal(v)) for v in ("4.5", "0.1234", "10", "1234.5")] == [
            "4.50",
            "0.1234",
            "10.00",
            "1,234.50",
        ]
    with translation.override("en-de"):
        assert unit_amount(Decimal("1234.5")) == "1.234,50"
