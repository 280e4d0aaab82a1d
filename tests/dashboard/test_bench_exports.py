"""``manage.py bench exports`` writes the orders export three ways and prints what each cost;
its seeded team is removed afterwards."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from ams.teams.models import Team


@pytest.mark.django_db(transaction=True)
def test_the_exports_bench_prints_rows_per_second_and_memory_and_leaves_nothing(capsys):
    call_command("bench", "exports", "--lines", "400")
    result = json.loads(capsys.readouterr().out)

    assert result["order_lines"] == 400
    for way in ("csv", "xlsx", "xlsx_openpyxl_before"):
        measured = result[way]
        assert measured["rows"] == 400
        assert measured["bytes"] > 0
        assert measured["rows_per_second"] > 0
        assert measured["peak_rss_mb"] >= measured["rss_added_mb"] >= 0
    assert not Team.objects.filter(slug__startswith="bench-pages-").exists()
