"""The settlement upload benchmark runs the upload job's own path and leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from ams.teams.models import Team

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_size_is_stored_read_and_removed(capsys: pytest.CaptureFixture[str]):
    teams = Team.objects.count()
    call_command("bench", "settlements", "--lines", "250", "--single")
    result = json.loads(capsys.readouterr().out)
    assert result["lines"] == 250
    assert result["rows_per_s"] > 0
    assert result["peak_rss_mb"] > 0
    assert Team.objects.count() == teams
