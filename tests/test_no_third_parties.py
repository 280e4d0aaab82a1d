"""Every page loads its scripts, styles and images from AMS itself: no CDN, no tracker."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import Personas
from tests.test_route_probe import OWN_ROUTES, TEAM_ROUTES

ASSET = re.compile(
    rb"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE
)


def _assets(html: bytes) -> list[str]:
    return [m.decode() for m in ASSET.findall(html)]


@pytest.mark.django_db
def test_pages_load_nothing_from_another_origin(personas: Personas):
    client = Client()
    client.force_login(personas.owner)
    pages = [
        reverse(r.name, kwargs={"team_slug": personas.team.slug})
        for r in TEAM_ROUTES
        if r.kwargs == ["team_slug"]
    ]
    pages += [reverse(r.name) for r in OWN_ROUTES if not r.kwargs]
    pages += ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    checked = 0
    for path in pages:
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        for url in _assets(response.content):
            # Links to other pages are fine; what the browser fetches by itself must be ours.
            if url.startswith(("/", "data:", "#")) and not url.startswith("//"):
                continue
            pytest.fail(f"{path} loads {url} from another origin")
    assert checked >= 5
