"""Report polling: soon after the request, then less often, until Amazon has built the report."""

from __future__ import annotations

from datetime import datetime

from ams.sync.context import SyncContext
from ams.sync.models import Family
from ams.sync.parsers import inventory as inventory_parser
from ams.sync.syncers import reports
from tests.sync.harness import SimSeller, small_config

US = "ATVPDKIKX0DER"


def test_a_report_is_polled_after_a_second_then_less_often_up_to_the_configured_interval(settings):
    settings.SYNC_REPORT_POLL_SECONDS = 10.0
    # A frozen clock that only moves when the sync sleeps: the polls meet a report that Amazon
    # builds in 60 simulated seconds, whoever polls it.
    seller = SimSeller.start(small_config(report_polls=0, report_seconds=60))
    try:
        client = seller.client()
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            seller.control("/_sim/clock", {"advance_seconds": seconds})

        client.sleep = sleep
        ctx = SyncContext(
            team_id=0,
            connection_id=0,
            selling_partner_id=seller.spid,
            family=Family.INVENTORY,
            client=client,
            marketplaces=[],
            run_id=0,
        )
        report_id = client.create_report(inventory_parser.LISTINGS_REPORT, marketplace_ids=[US])[
            "reportId"
        ]
        report = reports.wait(ctx, report_id)
    finally:
        seller.stop()

    assert report["processingStatus"] == "DONE"
    assert slept[:3] == [1.0, 1.5, 2.25]
    assert max(slept) == 10.0
    built = (
        datetime.fromisoformat(report["processingEndTime"])
        - datetime.fromisoformat(report["createdTime"])
    ).total_seconds()
    # Seen DONE at the first poll after it was built: never a whole long interval late.
    assert sum(slept[:-1]) < built <= sum(slept)
