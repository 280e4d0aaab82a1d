"""Reads of teams and memberships. The first argument says whose view of the data it is."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ams.accounts.models import User
from ams.core.tenancy import user_scope
from ams.teams.models import DeletionReceipt, Invitation, Membership, Team


def user_memberships(user: User) -> list[Membership]:
    """The user's memberships in every team, for the team switcher."""
    with user_scope(user.id):
        return list(
            Membership.objects.filter(user=user, team__deletion_requested_at__isnull=True)
            .select_related("team")
            .order_by("team__name", "team_id")
        )


def access_team(team_slug: str) -> Team:
    """The team of a URL, or a 404 (``access_membership`` then says whether the user may see it)."""
    # A team being deleted is gone for everyone from the moment its owner confirmed.
    team = Team.objects.filter(slug=team_slug, deletion_requested_at__isnull=True).first()
    if team is None:
        raise Http404("No such team")
    return team


def access_membership(user: User, team: Team) -> Membership:
    """The user's membership of the team, or a 404 that looks the same for 'missing' and 'not
    yours'. Inside the team's scope, which the caller keeps for what the membership allows."""
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise Http404("No such team")
    return membership


def team_members(team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__name", "id")


def team_open_invitations(team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        team=team, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def user_deletion_receipts(user: User) -> QuerySet[DeletionReceipt]:
    """The deletions the user asked for, newest first: pending ones show when they are due."""
    return DeletionReceipt.objects.filter(requested_by=user).order_by("-requested_at")


def audit_actor_names(team: Team, actor_ids: set[int]) -> dict[int, str]:
    """Names for the people in a page of the team's audit trail. Current members by name; anyone
    else (a member since removed, a deleted account) as a number, so the trail names no one the
    team cannot already see."""
    members = dict(
        Membership.objects.filter(team=team, user_id__in=actor_ids).values_list(
            "user_id", "user__name"
        )
    )
    return {
        actor_id: members.get(actor_id) or f"Former member #{actor_id}" for actor_id in actor_ids
    }
