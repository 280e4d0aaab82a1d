"""``manage.py bench pages`` can keep its seeded team, time it again, time only some pages, and
drop it; nothing of another team is touched."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Team
from tests.factories import make_personas


@pytest.mark.django_db(transaction=True)
def test_a_kept_team_is_timed_again_page_by_page_and_dropped(capsys):
    other = make_personas("other")
    call_command(
        "bench",
        "pages",
        "--orders",
        "300",
        "--skus",
        "20",
        "--runs",
        "1",
        "--keep",
        "--only",
        "overview, last 7 days",
    )
    seeded = json.loads(capsys.readouterr().out)
    assert list(seeded["pages"]) == ["overview, last 7 days"]
    assert "orders_csv_export" not in seeded
    kept = seeded["kept_team"]
    team = Team.objects.get(slug=kept["slug"])
    assert User.objects.filter(email=kept["login"]).exists()

    call_command(
        "bench",
        "pages",
        "--team",
        kept["slug"],
        "--runs",
        "1",
        "--only",
        "settlements",
        "--only",
        "orders export",
    )
    again = json.loads(capsys.readouterr().out)
    assert again["order_lines"] == seeded["order_lines"]
    assert list(again["pages"]) == ["settlements"]
    assert again["orders_csv_export"]["rows"] == seeded["order_lines"]
    assert Team.objects.filter(slug=kept["slug"]).exists()

    call_command("bench", "pages", "--drop", kept["slug"])
    assert not Team.objects.filter(id=team.id).exists()
    assert not User.objects.filter(email=kept["login"]).exists()
    with team_scope(other.team.id):
        assert Membership.objects.filter(team=other.team).count() == 4


@pytest.mark.django_db
def test_only_a_benchmark_team_can_be_dropped(personas):
    with pytest.raises(ValueError, match="not a benchmark team"):
        call_command("bench", "pages", "--drop", personas.team.slug)
    assert Team.objects.filter(id=personas.team.id).exists()
