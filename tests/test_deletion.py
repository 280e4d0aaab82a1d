"""Deleting a team and an account: nothing of them left in any table, a receipt, others untouched."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection as db
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.accounts.models import User
from ams.amazon import vault
from ams.amazon.models import SellerConnection
from ams.billing.models import StripeEvent, Subscription
from ams.core.db_roles import connected_as
from ams.core.files import file_store
from ams.core.models import AuditEntry
from ams.core.purge import KEPT_TABLES, count_rows, references_to, tables_with
from ams.core.tenancy import team_scope
from ams.purchasing.services import (
    LineInput,
    create_purchase_order,
    payment_record,
    purchase_order_send,
    receipt_record,
)
from ams.purchasing.supplier_services import supplier_contact_add
from ams.teams import deletion
from ams.teams.models import DeletionReceipt, Membership, Role, Team
from ams.teams.services import invitation_create, team_create
from devtools.fake_stripe import FakeStripe
from tests.amazon.factories import make_connection
from tests.billing.conftest import deliver
from tests.billing.test_flow import _subscribe
from tests.catalogue import columns_holding
from tests.dashboard.factories import seed
from tests.factories import Personas, add_member, make_personas
from tests.products.helpers import add_component, add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def fake() -> Any:
    from devtools.fake_stripe import default_fake

    fake = default_fake()
    fake.reset()
    yield fake
    fake.reset()


def _signed_in(user: User) -> Client:
    """Signed in, and the password given again a moment ago (what a deletion asks for)."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _tenant_counts(team_id: int) -> dict[str, int]:
    """Rows of the team in every table, but the security audit trail, which outlives it."""
    with team_scope(team_id):
        return {
            t.label: count_rows(t, {"team_id": team_id})
            for t in tables_with(["team_id"])
            if t.label not in KEPT_TABLES
        }


def _columns_holding(value: str, team_ids: list[int]) -> list[str]:
    return sorted(columns_holding([value], scopes=[None, *team_ids]))


def _run_deletions() -> list[DeletionReceipt]:
    done = []
    with connected_as("worker"):
        for receipt_id in DeletionReceipt.objects.filter(completed_at__isnull=True).values_list(
            "id", flat=True
        ):
            done.append(deletion.deletion_run(receipt_id=receipt_id))
    return done


def _world(fake: FakeStripe) -> tuple[Personas, Team, list[SellerConnection]]:
    p = seed(make_personas("del"))
    second = team_create(owner=p.owner, name="Second shop")
    with team_scope(p.team.id):
        connections = list(SellerConnection.objects.filter(team=p.team))
    connections.append(make_connection(second))
    for c in connections:
        vault.refresh_token_store(
            team_id=c.team_id, connection_id=c.id, refresh_token=f"Atzr|IwEBI-{c.id}"
        )
    # A paying team: a Stripe customer and webhook payloads carrying its name and address.
    deliver(Client(), fake, _subscribe(p, fake, plan="growth"))
    with team_scope(p.team.id):
        owner_membership = Membership.objects.get(team=p.team, user=p.owner)
        invitation_create(
            team=p.team, actor=owner_membership, email="guest@example.test", role=Role.VIEWER
        )
        file_store(
            team_id=p.team.id,
            kind="export",
            name="orders.csv",
            content_type="text/csv",
            chunks=[b"order-id\n111-0000001-0000001\n"],
            lifetime=timedelta(days=1),
            created_by_id=p.owner.id,
        )
    # The seller's own records: a bundle, a supplier, an order sent, received in part and paid.
    mug = add_product(p.team, "MUG", skus=("MUG-1",))
    kit = add_product(p.team, "KIT")
    add_component(p.team, kit, mug, 2)
    supplier = add_supplier(p.team, "Ningbo Mugs", email="sales@ningbo.example")
    add_price(p.team, supplier, mug, "1.80")
    with team_scope(p.team.id):
        contact = supplier_contact_add(team=p.team, supplier_id=supplier.pk, name="Amy")
        order = create_purchase_order(
            team=p.team, actor=p.owner, supplier_id=supplier.pk, lines=[LineInput(mug.pk, 10)]
        )
        purchase_order_send(team=p.team, actor=p.owner, order_id=order.pk, email=False)
        receipt_record(
            team=p.team,
            actor=p.owner,
            order_id=order.pk,
            received_on=timezone.now().date(),
            quantities={order.lines.get().pk: 4},
        )
        payment_record(
            team=p.team,
            actor=p.owner,
            order_id=order.pk,
            kind="deposit",
            amount=Decimal(5),
            paid_on=timezone.now().date(),
        )
    assert contact.pk
    # The owner is also a member of another team, where they left traces.
    add_member(p.outsider_team, p.owner, Role.MEMBER)
    return p, second, connections


def test_an_owner_deletes_two_teams_then_the_account_and_nothing_of_them_is_left(
    fake, django_capture_on_commit_callbacks
):
    p, second, connections = _world(fake)
    owner, email = p.owner, p.owner.email
    sellers = [c.selling_partner_id for c in connections]
    with team_scope(p.team.id):
        customer = Subscription.objects.get(team=p.team).stripe_customer_id
    assert customer in fake.customers
    assert StripeEvent.objects.exists()
    outsider_before = _tenant_counts(p.outsider_team.id)
    client = _signed_in(owner)

    # The account cannot go while it owns teams; the page says which.
    page = client.get(reverse("account_delete")).content.decode()
    assert f"{p.team.name}</a>" in page
    assert "Second shop</a>" in page
    client.post(reverse("account_delete"))
    assert User.objects.filter(id=owner.id, is_active=True).exists()

    # A wrong confirmation deletes nothing.
    response = client.post(reverse("team_delete", args=[p.team.slug]), {"confirm": "nope"})
    assert response.status_code == 302
    assert Team.objects.get(id=p.team.id).deletion_requested_at is None

    for team in (p.team, second):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("team_delete", args=[team.slug]), {"confirm": team.name})
        assert response.status_code == 302, response.content
        assert response["Location"] == "/", response["Location"]
        # At once: the team is gone for everyone, and so are its Amazon tokens.
        assert client.get(reverse("team_dashboard", args=[team.slug])).status_code == 404
        with team_scope(team.id), db.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM vault.spapi_credential")
            assert cursor.fetchone()[0] == 0
    assert ProcrastinateJob.objects.filter(task_name="ams.teams.tasks.run_deletion").count() == 2
    team_receipts = _run_deletions()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_delete"))
    assert response.status_code == 200
    assert "being deleted" in response.content.decode()
    assert client.get(reverse("profile")).status_code == 302  # signed out
    (account_receipt,) = _run_deletions()

    for receipt in (*team_receipts, account_receipt):
        assert receipt.verified, receipt.rows_remaining
        assert set(receipt.rows_remaining.values()) == {0}
        assert receipt.email == ""
    orders_deleted = team_receipts[0].rows_deleted["public.orders_order"]
    assert orders_deleted > 0
    # No row of either team in any table; no row of the account; nothing naming them elsewhere.
    for team in (p.team, second):
        assert set(_tenant_counts(team.id).values()) == {0}
        assert not Team.objects.filter(id=team.id).exists()
        assert not ProcrastinateJob.objects.filter(args__team_id=team.id).exists()
    assert not User.objects.filter(id=owner.id).exists()
    for reference in references_to("accounts_user"):
        for team_id in (p.outsider_team.id, p.team.id, second.id):
            with team_scope(team_id):
                assert count_rows(reference.table, {reference.column: owner.id}) == 0, reference
    everyone = [p.outsider_team.id, p.team.id, second.id]
    assert _columns_holding(email, everyone) == []
    for seller in sellers:
        assert _columns_holding(seller, everyone) == []
    # The team's security trail outlives it, and says it was deleted.
    with team_scope(p.team.id):
        assert AuditEntry.objects.filter(team_id=p.team.id, kind="team.deleted").exists()
    # Only the receipts name what was deleted.
    assert _columns_holding(p.team.name, everyone) == ["public.teams_deletionreceipt.label"]
    assert customer not in fake.customers
    assert not StripeEvent.objects.exists()

    # The other team keeps everything but the member who left.
    outsider_after = _tenant_counts(p.outsider_team.id)
    assert outsider_after.pop("public.teams_membership") == (
        outsider_before.pop("public.teams_membership") - 1
    )
    assert outsider_after == outsider_before
    with team_scope(p.outsider_team.id):
        assert Membership.objects.filter(team=p.outsider_team).count() == 1

    # One receipt mailed per deletion, with the document attached and a link that serves it.
    receipts = [m for m in mail.outbox if "has been deleted" in m.subject]
    assert [m.to for m in receipts] == [[email]] * 3
    attached = json.loads(receipts[0].attachments[0][1])
    assert attached["verified"] is True
    assert attached["rows_deleted"]["public.orders_order"] == orders_deleted
    link = next(line for line in receipts[2].body.splitlines() if "/deletions/" in line)
    download = Client().get(link.split("testserver", 1)[-1].split("example.test", 1)[-1])
    assert download.status_code == 200
    assert json.loads(download.content)["kind"] == "account"
    assert Client().get("/deletions/not-a-token/").status_code == 400


@pytest.mark.parametrize("persona", ["admin", "member", "viewer", "outsider"])
def test_only_the_owner_deletes_the_team(persona: str):
    p = make_personas("only")
    client = _signed_in(getattr(p, persona))
    response = client.post(reverse("team_delete", args=[p.team.slug]), {"confirm": p.team.name})
    assert response.status_code == (404 if persona == "outsider" else 403)
    assert Team.objects.get(id=p.team.id).deletion_requested_at is None
    assert not DeletionReceipt.objects.exists()


def test_a_deletion_asks_for_the_password_again():
    p = make_personas("reauth")
    client = Client()
    client.force_login(p.owner)  # an old session: no recent sign-in
    response = client.post(reverse("team_delete", args=[p.team.slug]), {"confirm": p.team.name})
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert Team.objects.get(id=p.team.id).deletion_requested_at is None
    response = client.post(reverse("account_delete"))
    assert "reauthenticate" in response["Location"]
    assert User.objects.get(id=p.owner.id).is_active


def test_a_deletion_whose_job_died_is_finished_by_the_sweep(monkeypatch):
    from ams.teams.tasks import deletions_sweep

    p = make_personas("sweep")
    with team_scope(p.team.id):
        owner = Membership.objects.get(team=p.team, user=p.owner)
    receipt = deletion.team_delete_request(team=p.team, actor=owner, confirm=p.team.name)
    assert receipt.due_at - receipt.requested_at == timedelta(days=deletion.MAX_DAYS)
    # Not yet stale: the sweep leaves it to its own job.
    deletions_sweep(timestamp=0)
    assert Team.objects.filter(id=p.team.id).exists()
    DeletionReceipt.objects.filter(id=receipt.id).update(
        requested_at=receipt.requested_at - timedelta(hours=1)
    )
    with connected_as("worker"):
        deletions_sweep(timestamp=0)
    receipt.refresh_from_db()
    assert receipt.verified
    assert not Team.objects.filter(id=p.team.id).exists()
    assert Team.objects.filter(id=p.outsider_team.id).exists()


def test_a_stripe_outage_leaves_the_deletion_to_be_retried(monkeypatch, fake):
    from ams.billing import gateway

    p = make_personas("outage")
    deliver(Client(), fake, _subscribe(p, fake))
    with team_scope(p.team.id):
        owner = Membership.objects.get(team=p.team, user=p.owner)
    receipt = deletion.team_delete_request(team=p.team, actor=owner, confirm=p.team.name)

    def down(customer_id: str) -> bool:
        raise gateway.BillingUnavailable("Stripe customer delete failed: APIConnectionError")

    monkeypatch.setattr(gateway, "customer_delete", down)
    with pytest.raises(gateway.BillingUnavailable):
        deletion.deletion_run(receipt_id=receipt.id)
    # Nothing deleted before Stripe forgot the customer: the retry starts from the same place.
    assert Team.objects.filter(id=p.team.id).exists()
    with team_scope(p.team.id):
        assert Subscription.objects.filter(team=p.team).exists()
    monkeypatch.undo()
    done = deletion.deletion_run(receipt_id=receipt.id)
    assert done.verified
    assert not Team.objects.filter(id=p.team.id).exists()
