"""Card data never touches AMS: no column could hold one, and none is found after the whole flow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ams.billing.models import StripeEvent, Subscription
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from tests.billing.conftest import as_user, deliver

CARD_COLUMN = re.compile(
    r"(^|_)(pan|cc|card|cardnumber|card_number|cvc|cvv|cvv2|expiry|exp_month|exp_year|iban|track\d?)($|_)",
    re.IGNORECASE,
)
DIGIT_RUNS = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_numbers_in(text: str) -> list[str]:
    return [m.group(0) for m in DIGIT_RUNS.finditer(text) if luhn_ok(m.group(0))]


def test_the_luhn_scan_finds_a_test_card():
    assert card_numbers_in('{"number": "4242 4242 4242 4242"}') == ["4242 4242 4242 4242"]
    assert card_numbers_in("ts 1795777194 id 123") == []


@pytest.mark.django_db
def test_no_column_anywhere_is_named_for_card_data():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        columns = cursor.fetchall()
    assert columns, "the catalog returned no columns"
    suspicious = [f"{t}.{c}" for t, c in columns if CARD_COLUMN.search(c)]
    assert suspicious == []


@pytest.mark.django_db(transaction=True)
def test_no_card_number_is_stored_after_the_whole_flow(personas, fake):
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(
            trial_end=timezone.now() + timedelta(hours=1)
        )
    owner = as_user(personas.owner)
    response = owner.post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}
    )
    events = fake.complete_checkout(response["Location"].rsplit("/", 1)[1])
    subscription_id = events[1]["data"]["object"]["id"]
    deliver(
        Client(),
        fake,
        events + fake.renew(subscription_id, paid=False) + fake.cancel(subscription_id),
    )

    found, scanned = card_numbers_in_database()
    with team_scope(personas.team.id):
        assert Subscription.objects.get(team=personas.team).stripe_customer_id.startswith("cus_")
    assert StripeEvent.objects.count() == 6
    assert scanned > 100
    assert found == []


@pytest.mark.django_db
def test_the_database_scan_would_find_a_planted_card_number(personas):
    StripeEvent.objects.create(
        id="evt_planted",
        type="x",
        created=timezone.now(),
        payload={"card": {"number": "4000056655665556"}},
    )
    found, _ = card_numbers_in_database()
    assert found == ["billing_stripeevent.payload: 4000056655665556"]


def card_numbers_in_database() -> tuple[list[str], int]:
    """Every Luhn-valid digit run in every text and JSON value of every table, in each team's
    scope in turn (row-level security shows a tenant table's rows only to its team)."""
    found: set[str] = set()
    scanned = 0
    for team in Team.objects.all():
        with team_scope(team.id), connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
            )
            for table, column in cursor.fetchall():
                cursor.execute(
                    f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'  # noqa: S608
                )
                for (value,) in cursor.fetchall():
                    scanned += 1
                    found.update(f"{table}.{column}: {n}" for n in card_numbers_in(value))
    return sorted(found), scanned
