"""The header in a real browser: a long team name is cut short with the whole name on hover and
pushes nothing off screen; at phone width the team's pages are a menu (no script), not four rows
of links."""

from __future__ import annotations

import re

import pytest

from ams.teams.models import Team
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Handelsgesellschaft " * 6  # 120 characters


def _right_edge(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["x"] + box["width"])


def test_a_long_team_name_is_cut_short_with_the_whole_name_on_hover(live_server, watched):
    p = make_personas("Layout")
    Team.objects.filter(id=p.team.id).update(name=LONG_NAME.strip())
    page = watched
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, live_server, p.owner)
    page.goto(f"{live_server.url}/t/{p.team.slug}/orders/")
    summary = page.locator(".team-switcher summary")
    assert summary.get_attribute("title") == LONG_NAME.strip()
    screenshot(page, "layout-01-long-team-name")
    box = summary.bounding_box()
    assert box is not None
    assert box["width"] < 300  # not a 500 px column
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # The user menu stays on screen.
    assert _right_edge(page, "nav .user-menu > summary") <= 1280
    screenshot(page, "layout-01-long-team-name")


def test_at_phone_width_the_navigation_is_a_menu(live_server, watched):
    p = make_personas("Phone")
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "layout-02-phone-closed")
    header = page.locator("header nav").bounding_box()
    assert header is not None
    assert header["height"] < 160  # one or two rows (about 72 px each), not four
    assert not page.locator("nav .team-pages a", has_text=re.compile(r"^Orders$")).is_visible()
    menu = page.locator("nav .nav-menu summary")
    assert menu.is_visible()
    menu.click()
    orders = page.locator("nav .nav-menu a", has_text=re.compile(r"^Orders$"))
    assert orders.is_visible()
    assert _right_edge(page, "nav .nav-menu ul") <= 390
    menu_box = page.locator("nav .nav-menu ul").bounding_box()
    assert menu_box is not None
    assert menu_box["x"] >= 0  # the whole menu on screen
    screenshot(page, "layout-03-phone-menu")
    orders.click()
    page.wait_for_url(re.compile(r".*/orders/$"))
    # A viewer's menu has no owner pages.
    page.locator("nav .nav-menu summary").click()
    assert page.locator("nav .nav-menu a", has_text="Billing").count() == 0
    # On a wide screen the same pages are a row, and the menu is gone.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("nav .team-pages a", has_text=re.compile(r"^Orders$")).is_visible()
    # The other pages wait in three menus, so the row stays one line.
    assert page.locator("nav .team-pages .nav-group summary").all_inner_texts() == [
        "Money",
        "Buying",
        "Team",
    ]
    boxes = [li.bounding_box() for li in page.locator("nav .team-pages > li").all()]
    middles = [box["y"] + box["height"] / 2 for box in boxes if box]
    assert max(middles) - min(middles) < 20
    screenshot(page, "layout-04-desktop-nav")
    assert not page.locator("nav .nav-menu summary").is_visible()
