"""The claims page in a real browser: a case from the list, its evidence and the text for
Seller Central, marked filed by a member; the layout holds at phone width."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ams.claims.services import claims_refresh
from ams.core.tenancy import team_scope
from tests.amazon.factories import make_connection
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.claims import evidence as ev
from tests.claims.test_detection import _now
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_opens_a_case_copies_its_text_and_marks_it_filed(live_server, watched):
    p = make_personas("Claims")
    conn = make_connection(p.team)
    now = _now()
    ev.adjustment(
        conn,
        at=now - timedelta(days=40),
        quantity=-1,
        reason="M",
        fnsku="X00BROWSER",
        reference="27182818284",
    )
    ev.reimbursement(
        conn,
        at=now - timedelta(days=200),
        quantity=1,
        reason="Lost_Inbound",
        per_unit=Decimal("6.60"),
        fnsku="X00OTHER01",
    )
    ev.order_line(
        conn, order_id="111-2222222-3333333", at=now - timedelta(days=80), price=Decimal("19.99")
    )
    ev.refund(
        conn,
        order_id="111-2222222-3333333",
        at=now - timedelta(days=70),
        principal=Decimal("19.99"),
    )
    with team_scope(p.team.id):
        claims_refresh(
            team=p.team, connection_id=conn.id, evidence_since=now - timedelta(days=150), now=now
        )
    page = watched
    _sign_in(page, live_server, p.member)
    page.goto(f"{live_server.url}/t/{p.team.slug}/claims/")
    rows = page.locator("#claims-table tr.claim")
    assert rows.count() == 2
    # Soonest deadline first: the lost unit (20 days left) before the refund (50).
    assert rows.nth(0).get_attribute("data-kind") == "warehouse_lost"
    screenshot(page, "claims-01-list")

    rows.nth(1).locator("a").click()
    page.wait_for_url("**/claims/*/")
    text = page.locator("#case-text").input_value()
    assert "Order ID: 111-2222222-3333333" in text
    assert "19.99 USD" in text
    page.fill("#id_case_id", "17555555555")
    page.select_option("#id_status", "filed")
    page.click("#claim-status-form button[type=submit]")
    page.wait_for_load_state()
    assert "Filed" in page.locator("#claim-status").inner_text()
    assert "17555555555" in page.locator("#claim-status").inner_text()
    screenshot(page, "claims-02-case")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/claims/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    screenshot(page, "claims-03-phone")
