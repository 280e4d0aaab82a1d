"""Writes of the claims: keeping the detected cases (``claims_refresh``, after each sync of
their evidence) and the seller's statuses (``claim_mark``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ams.accounts.models import User
from ams.amazon.models import SellerConnection
from ams.claims import detection, policy
from ams.claims.models import Claim, ClaimKind, ClaimStatus
from ams.core.marketplaces import zone
from ams.teams.models import Team

SETTLED = {
    ClaimKind.WAREHOUSE_LOST: "Amazon's reports now show the units found or reimbursed.",
    ClaimKind.WAREHOUSE_DAMAGED: "Amazon's reports now show the units reimbursed.",
    ClaimKind.RETURN_NOT_RECEIVED: "Amazon's reports now show the units returned or reimbursed.",
    ClaimKind.REFUND_OVER_PAID: "The refunds no longer exceed what the customer paid.",
    ClaimKind.FEE_TIER_CHANGE: (
        "The fee is back to what it was, or no charge at the higher fee is left within Amazon's "
        "90 days."
    ),
}
# Statuses the seller sets; RESOLVED is detection's.
SELLER_STATUSES = (ClaimStatus.OPEN, ClaimStatus.FILED, ClaimStatus.RECEIVED)


@dataclass(frozen=True)
class RefreshResult:
    found: int
    new: int
    resolved: int


@transaction.atomic
def claims_refresh(
    *, team: Team, connection_id: int, evidence_since: datetime | None, now: datetime
) -> RefreshResult:
    """Detect the connection's cases and keep them: a new case is added as "to file", a known
    one keeps its status (a case settled earlier that reappears opens again), and a case no
    longer seen while to file or filed is marked settled by Amazon, with the reason."""
    connection = SellerConnection.objects.get(team=team, id=connection_id)
    found = detection.detect(
        team,
        connection_id=connection_id,
        region=connection.region,
        evidence_since=evidence_since,
        now=now,
    )
    existing = {
        (c.kind, c.key): c
        for c in Claim.objects.select_for_update().filter(team=team, connection_id=connection_id)
    }
    new: list[Claim] = []
    changed: list[Claim] = []
    seen: set[tuple[str, str]] = set()
    for case in found:
        occurred = case.occurred_at.astimezone(zone(case.marketplace_id)).date()
        window = policy.window(case.kind, connection.region, occurred)
        values = {
            "marketplace_id": case.marketplace_id,
            "sku": case.sku[:64],
            "fnsku": case.fnsku[:16],
            "order_id": case.order_id[:40],
            "reference_id": case.reference_id[:40],
            "quantity": case.quantity,
            "occurred_at": case.occurred_at,
            "opens_on": window.opens_on,
            "deadline": window.deadline,
            "currency": case.currency[:3],
            "estimate": case.estimate,
            "estimate_basis": case.estimate_basis[:200],
            "evidence": case.evidence,
        }
        seen.add((case.kind, case.key))
        claim = existing.get((case.kind, case.key))
        if claim is None:
            new.append(
                Claim(
                    team=team,
                    connection_id=connection_id,
                    kind=case.kind,
                    key=case.key[:200],
                    detected_at=now,
                    updated_at=now,
                    **values,
                )
            )
            continue
        # Only what changed is written: most cases are the same at every detection.
        dirty = False
        for name, value in values.items():
            if getattr(claim, name) != value:
                setattr(claim, name, value)
                dirty = True
        if claim.status == ClaimStatus.RESOLVED:
            claim.status = ClaimStatus.OPEN
            claim.resolution = ""
            claim.status_changed_at = now
            claim.status_changed_by = None
            dirty = True
        if dirty:
            claim.updated_at = now
            changed.append(claim)
    resolved = 0
    for key, claim in existing.items():
        if key in seen or claim.status not in (ClaimStatus.OPEN, ClaimStatus.FILED):
            continue
        claim.status = ClaimStatus.RESOLVED
        claim.resolution = SETTLED.get(ClaimKind(claim.kind), "")
        claim.status_changed_at = now
        claim.status_changed_by = None
        claim.updated_at = now
        changed.append(claim)
        resolved += 1
    Claim.objects.bulk_create(new, batch_size=1000)
    Claim.objects.bulk_update(
        changed,
        [
            "marketplace_id",
            "sku",
            "fnsku",
            "order_id",
            "reference_id",
            "quantity",
            "occurred_at",
            "opens_on",
            "deadline",
            "currency",
            "estimate",
            "estimate_basis",
            "evidence",
            "updated_at",
            "status",
            "resolution",
            "status_changed_at",
            "status_changed_by",
        ],
        batch_size=200,
    )
    return RefreshResult(found=len(found), new=len(new), resolved=resolved)


@transaction.atomic
def claim_mark(
    *, team: Team, claim: Claim, status: str, case_id: str, actor: User, now: datetime
) -> Claim:
    """The seller's status for a case: to file, filed (with Amazon's case id, if given), or
    received."""
    if status not in SELLER_STATUSES:
        raise ValueError(f"not a status a seller sets: {status!r}")
    claim = Claim.objects.select_for_update().get(team=team, id=claim.id)
    claim.status = status
    if case_id or status == ClaimStatus.OPEN:
        claim.case_id = case_id[:40]
    claim.resolution = ""
    claim.status_changed_at = now
    claim.status_changed_by = actor
    claim.save(
        update_fields=["status", "case_id", "resolution", "status_changed_at", "status_changed_by"]
    )
    return claim
