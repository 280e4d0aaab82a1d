"""Every URL, tried as every persona.

The routes come from the URL resolver, and what each team route allows comes from the roles its
view declares with ``@team_view``, so a new route is probed without editing this file. Object ids
in a route are filled with an object of the probed team, found by the kwarg's name
(``membership_id`` → a Membership), so a new tenant model is covered the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ams.claims.models import Claim, ClaimKind
from ams.core.files import file_store
from ams.core.models import ExportJob, ExportStatus
from ams.core.tenancy import TenantModel, team_scope
from ams.expenses.models import Category, Expense
from ams.procurement.models import CostImport, CostImportStatus
from ams.products.services import ProductData, product_create, product_sku_add
from ams.purchasing.models import (
    AttachmentKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderAttachment,
)
from ams.purchasing.services import LineInput, create_purchase_order, landed_charge_add
from ams.purchasing.supplier_services import (
    SupplierData,
    supplier_contact_add,
    supplier_create,
    supplier_price_add,
)
from ams.shipments.models import Location, LocationKind, Shipment, ShipmentLeg, ShipmentLine
from ams.sync.models import Family, PendingReport
from ams.teams.access import TeamAccess
from ams.teams.models import Invitation, Membership, Role
from ams.teams.services import invitation_create
from tests.amazon.factories import make_connection
from tests.factories import Personas, make_personas

PERSONAS = ["anonymous", "outsider", "viewer", "member", "admin", "owner"]
ROLE_OF = {"viewer": Role.VIEWER, "member": Role.MEMBER, "admin": Role.ADMIN, "owner": Role.OWNER}
# Routes of other packages, probed for "no crash, no leak" rather than by role.
THIRD_PARTY = ("accounts/", "admin/")


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    callback: Any

    @property
    def access(self) -> TeamAccess | None:
        return getattr(self.callback, "team_access", None)

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.pattern)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield Route(prefix + str(entry.pattern), entry.name or "", entry.callback)


ALL_ROUTES = list(_walk(get_resolver().url_patterns))
TEAM_ROUTES = [r for r in ALL_ROUTES if "team_slug" in r.kwargs]
OWN_ROUTES = [
    r for r in ALL_ROUTES if not r.pattern.startswith(THIRD_PARTY) and "team_slug" not in r.kwargs
]


def _models_for_kwarg(kwarg: str) -> list[type[TenantModel]]:
    # Two apps may name a model alike (catalog.Product, Amazon's item; products.Product, the
    # seller's): the probe fills the id from whichever has a row of the probed team.
    wanted = kwarg.removesuffix("_id").replace("_", "")
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.model_name == wanted
    ]
    if not found:
        raise LookupError(
            f"The probe cannot fill <{kwarg}>: name object kwargs after a tenant model (<model>_id)."
        )
    return found


def _team_objects(p: Personas) -> None:
    invitation_create(
        team=p.team, actor=_membership(p, p.owner), email="invitee@example.test", role=Role.MEMBER
    )
    connection = make_connection(p.team)
    now = timezone.now()
    with team_scope(p.team.id):
        PendingReport.objects.create(
            team=p.team,
            connection=connection,
            family=Family.SETTLEMENTS,
            report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            report_id="1",
            document_id="amzn1.spdoc.1",
            reason="the report has no column 'settlement-id'.",
            parser_version=1,
            first_attempt_at=now,
            last_attempt_at=now,
        )
        Claim.objects.create(
            team=p.team,
            connection=connection,
            kind=ClaimKind.WAREHOUSE_LOST,
            key="X00PROBE01|1|probe",
            marketplace_id="ATVPDKIKX0DER",
            quantity=1,
            occurred_at=now,
            opens_on=now.date(),
            deadline=now.date(),
            currency="USD",
            estimate=0,
            detected_at=now,
            updated_at=now,
        )
        # A built export with its file, and a finished cost import.
        stored = file_store(
            team_id=p.team.id,
            kind="export",
            name="orders.csv",
            content_type="text/csv",
            chunks=[b"order_id\nCANARY-A-1\n"],
            lifetime=timedelta(days=1),
        )
        ExportJob.objects.create(
            team=p.team,
            created_by=p.viewer,
            kind="orders",
            table="orders",
            filename="orders.csv",
            format="csv",
            status=ExportStatus.DONE,
            file=stored,
        )
        CostImport.objects.create(
            team=p.team, created_by=p.member, name="costs.csv", status=CostImportStatus.DONE
        )
        Expense.objects.create(
            team=p.team,
            category=Category.SOFTWARE,
            description="Probe subscription",
            amount=Decimal("9.99"),
            currency="USD",
            starts_on=now.date(),
        )
        # A product sold under a SKU (the first of each, as the probe fills ids).
        product = product_create(team=p.team, data=ProductData(name="Probe mug", code="MUG"))
        product_sku_add(team=p.team, product_id=product.pk, sku="MUG-1", marketplace_id=None)
        # A supplier with a contact and a price of that product.
        supplier = supplier_create(team=p.team, data=SupplierData(name="Probe", currency="USD"))
        supplier_contact_add(team=p.team, supplier_id=supplier.pk, name="Amy")
        supplier_price_add(
            team=p.team,
            supplier_id=supplier.pk,
            product_id=product.pk,
            unit_price=Decimal("1.50"),
            valid_from=now.date(),
        )
        # A draft purchase order of that product, with a document and a freight charge.
        order = create_purchase_order(
            team=p.team,
            actor=p.member,
            supplier_id=supplier.pk,
            lines=[LineInput(product_id=product.pk, quantity=10)],
        )
        PurchaseOrderAttachment.objects.create(
            team=p.team,
            order=order,
            kind=AttachmentKind.PROFORMA,
            file=file_store(
                team_id=p.team.id,
                kind="po_attachment",
                name="pi.pdf",
                content_type="application/pdf",
                chunks=[b"%PDF-1.7\n%%EOF\n"],
                lifetime=None,
            ),
        )
        # A 3PL with a planned shipment of a sent order's line, one leg long (the draft's lines,
        # which the probe removes, never ship).
        sent = create_purchase_order(
            team=p.team,
            actor=p.member,
            supplier_id=supplier.pk,
            lines=[LineInput(product_id=product.pk, quantity=10)],
        )
        PurchaseOrder.objects.filter(pk=sent.pk).update(status=POStatus.SENT)
        location = Location.objects.create(
            team=p.team, name="Probe 3PL", kind=LocationKind.THIRD_PARTY
        )
        shipment = Shipment.objects.create(team=p.team, number="SH-00001", destination=location)
        ShipmentLine.objects.create(
            team=p.team,
            shipment=shipment,
            order_line=sent.lines.get(),
            product=product,
            quantity=10,
        )
        ShipmentLeg.objects.create(
            team=p.team, shipment=shipment, position=1, origin="A", destination="B", mode="sea"
        )
        landed_charge_add(
            team=p.team,
            order_id=order.pk,
            kind="freight",
            amount=Decimal("5.00"),
            currency="USD",
            basis="units",
        )


def _membership(p: Personas, user: Any) -> Membership:
    with team_scope(p.team.id):
        return Membership.objects.get(team=p.team, user=user)


def _fill(route: Route, p: Personas, team_slug: str) -> str:
    values: dict[str, Any] = {"team_slug": team_slug}
    for kwarg in route.kwargs:
        if kwarg == "team_slug":
            continue
        obj: TenantModel | None = None
        with team_scope(p.team.id):
            for model in _models_for_kwarg(kwarg):
                if model is Membership:
                    obj = Membership.objects.get(team=p.team, user=p.member)
                else:
                    obj = model._default_manager.filter(team=p.team).order_by("id").first()
                if obj is not None:
                    break
        assert obj is not None, f"no object of the probed team to fill <{kwarg}>"
        values[kwarg] = obj.pk
    return reverse(route.name, kwargs=values)


def _client(p: Personas, persona: str) -> Client:
    client = Client()
    user = p.user_for(persona)
    if user is not None:
        client.force_login(user)
    return client


def test_every_team_route_declares_its_roles():
    assert TEAM_ROUTES, "no team routes found"
    undeclared = [r.pattern for r in TEAM_ROUTES if r.access is None]
    assert undeclared == [], "team routes must use @team_view(read=..., write=...)"


def _expected(route: Route, persona: str, method: str) -> str:
    access = route.access
    assert access is not None
    if persona == "anonymous":
        return "login"
    if persona == "outsider":
        return "404"
    role = ROLE_OF[persona]
    if not role.at_least(access.read):
        return "403"
    if method == "POST" and (access.write is None or not role.at_least(access.write)):
        return "403"
    return "allowed"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", TEAM_ROUTES, ids=lambda r: r.name)
@pytest.mark.django_db
def test_team_route_by_persona(route: Route, persona: str, method: str):
    p = make_personas("CANARY-A")
    _team_objects(p)
    url = _fill(route, p, p.team.slug)
    response = getattr(_client(p, persona), method.lower())(url)
    expected = _expected(route, persona, method)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif expected == "404":
        assert response.status_code == 404
    elif expected == "403":
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302, 400, 405), response.status_code
    if persona in ("anonymous", "outsider"):
        assert b"CANARY-A" not in response.content


@pytest.mark.parametrize(
    "route", [r for r in TEAM_ROUTES if len(r.kwargs) > 1], ids=lambda r: r.name
)
@pytest.mark.django_db
def test_another_teams_object_under_your_url_is_a_404(route: Route):
    p = make_personas("CANARY-A")
    _team_objects(p)
    # The outsider owns their own team and aims at team A's objects through it.
    url = _fill(route, p, p.outsider_team.slug)
    with team_scope(p.team.id):
        before = sorted(Membership.objects.values_list("id", "role", "team_id")) + sorted(
            Invitation.objects.values_list("id", "revoked_at", "accepted_at")
        )
    client = _client(p, "outsider")
    # A route that changes something is tried with a change; a read-only one (a download) is read.
    assert route.access is not None
    if route.access.write is not None:
        response = client.post(url, {"role": "viewer"})
    else:
        response = client.get(url)
    assert response.status_code == 404
    assert b"CANARY-A" not in response.content
    with team_scope(p.team.id):
        after = sorted(Membership.objects.values_list("id", "role", "team_id")) + sorted(
            Invitation.objects.values_list("id", "revoked_at", "accepted_at")
        )
    assert after == before


@pytest.mark.django_db
def test_a_forged_team_slug_is_a_404_like_a_missing_team():
    p = make_personas("a")
    client = _client(p, "owner")
    assert client.get("/t/no-such-team/").status_code == 404
    assert client.get(f"/t/{p.outsider_team.slug}/").status_code == 404
    assert client.get("/t/%3Cscript%3E/").status_code == 404


KEYED_USER_ROUTES = frozenset(
    {"legal_document", "legal_document_version", "support_request_status"}
)


@pytest.mark.parametrize("route", OWN_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", ["anonymous", "outsider", "viewer"])
@pytest.mark.django_db
def test_user_level_routes_never_leak_a_team(route: Route, persona: str):
    p = make_personas("CANARY-A")
    values = dict.fromkeys(route.kwargs, "not-a-real-token")
    response = _client(p, persona).get(reverse(route.name, kwargs=values))
    # 405: webhook receivers (Stripe, Resend) take signed POSTs only. 404: routes whose key names
    # a thing to show (a policy document, a request's status link), when it names nothing.
    allowed = (200, 302, 400, 405, *((404,) if route.name in KEYED_USER_ROUTES else ()))
    assert response.status_code in allowed, response.status_code
    if persona in ("anonymous", "outsider"):
        assert b"CANARY-A" not in response.content


@pytest.mark.parametrize(
    "route", [r for r in ALL_ROUTES if r.pattern.startswith(THIRD_PARTY)], ids=lambda r: r.pattern
)
@pytest.mark.django_db
def test_third_party_routes_do_not_fail_or_leak_for_an_outsider(route: Route):
    if route.kwargs:
        pytest.skip("needs a key only its own flow can produce")
    p = make_personas("CANARY-A")
    path = "/" + route.pattern.replace("^", "").replace("$", "")
    response = _client(p, "outsider").get(path)
    assert response.status_code < 500
    # A download (the person's own data) streams its body.
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert b"CANARY-A" not in body


@pytest.mark.django_db
def test_the_admin_is_for_staff_only():
    p = make_personas("a")
    assert _client(p, "anonymous").get("/admin/").status_code == 302
    assert _client(p, "owner").get("/admin/").status_code in (302, 403)
    p.admin.is_staff = True
    p.admin.save(update_fields=["is_staff"])
    assert _client(p, "admin").get("/admin/").status_code == 200


# Every parameter a page reads from its query string, and the ones a form of the product names.
QUERY_PARAMETERS = [
    "sku",
    "marketplace",
    "order",
    "page",
    "alert",
    "category",
    "channel",
    "charge",
    "connection",
    "currency",
    "date_from",
    "date_to",
    "effective_from",
    "excess",
    "family",
    "format",
    "kind",
    "low",
    "month_from",
    "month_to",
    "note",
    "period",
    "q",
    "reconciliation",
    "risk",
    "settlement",
    "status",
    "type",
    "unit_cost",
    "checkout",
    "state",
    "error",
]


@pytest.mark.parametrize("route", [*TEAM_ROUTES, *OWN_ROUTES], ids=lambda r: r.name or r.pattern)
@pytest.mark.django_db
def test_a_nul_character_in_any_query_parameter_is_a_400_not_a_500(route: Route):
    """PostgreSQL refuses NUL in text; a page that passed ``?sku=%00`` to a query failed."""
    p = make_personas("CANARY-A")
    _team_objects(p)
    url = _fill(route, p, p.team.slug) if "team_slug" in route.kwargs else None
    if url is None:
        if route.kwargs:
            pytest.skip("a user-level route with object ids is probed by its own tests")
        url = "/" + route.pattern.lstrip("^").rstrip("$")
    client = _client(p, "owner")
    for name in QUERY_PARAMETERS:
        response = client.get(url, {name: "MUG\x001"})
        assert response.status_code == 400, (name, response.status_code)
        assert "NUL character" in response.content.decode()
    assert client.get(url, {"sku": "MUG-1"}).status_code != 500


# Values a hostile or careless query string may hold: malformed numbers, dates and months,
# numbers past any column, control characters, quotes, and long text.
HOSTILE_VALUES = [
    "1E+30",
    "NaN",
    "-1",
    str(10**19),
    "2026-02-30",
    "0000-00-00",
    "2026-13",
    "MUG\x001",
    "%' OR 1=1 --",
    "\\",
    "x" * 5000,
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "route",
    [r for r in TEAM_ROUTES if r.access is not None and not r.kwargs[1:]],
    ids=lambda r: r.name,
)
@pytest.mark.django_db
def test_no_query_string_makes_a_team_page_fail(route: Route):
    """Any value of any parameter a page reads gives a page or a clear 4xx, never a 500: every
    parameter with every hostile value, then random combinations of them and of any text."""
    p = make_personas("CANARY-A")
    _team_objects(p)
    url = _fill(route, p, p.team.slug)
    client = _client(p, "owner")
    for name in QUERY_PARAMETERS:
        for value in HOSTILE_VALUES:
            response = client.get(
                url, {name: value, "sku": "MUG-1"} if name != "sku" else {name: value}
            )
            assert response.status_code < 500, (name, value, response.status_code)

    values = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=40))

    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(st.dictionaries(st.sampled_from(QUERY_PARAMETERS), values, min_size=1, max_size=4))
    def probe(params: dict[str, str]) -> None:
        response = client.get(url, params)
        assert response.status_code < 500, (params, response.status_code)

    probe()
