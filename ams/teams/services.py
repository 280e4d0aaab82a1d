"""Writes to teams, memberships and invitations. Each takes the team explicitly and enters its scope."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.core.events import usage_event_record
from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.tenancy import team_scope, user_scope
from ams.teams import emails
from ams.teams.entitlements import Action, may
from ams.teams.models import Invitation, Membership, Role, Team
from ams.teams.signals import home_currency_changed

_INVITATION_SALT = "ams.teams.invitation"

# What one person or team may send out, so AMS's sender never becomes a relay: teams a user
# creates in a day (each can invite), and invitations a team sends in an hour and in a day.
TEAMS_PER_USER_PER_DAY = 5
INVITATIONS_PER_TEAM_PER_HOUR = 20
INVITATIONS_PER_TEAM_PER_DAY = 50


class InvitationInvalid(ValidationError):
    pass


# Latin letters that Unicode does not decompose into a base letter and a mark, so NFKD (what
# slugify relies on) would drop them: "Ünïcødé" would become "unicde". Written as their usual
# ASCII spelling instead.
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "Ħ": "H",
    }
)


def slug_for(name: str) -> str:
    """The team's name as ASCII letters, digits and hyphens: accents dropped from their letters
    (NFKD), the letters Unicode does not decompose spelled out; never a letter lost."""
    return slugify(name.translate(_UNDECOMPOSED))[:40].strip("-")


def _recorded(*, team_id: int, user_id: int | None, kind: str, **data: object) -> None:
    """A change to who may see a team: a usage event, and an entry in its security audit trail."""
    usage_event_record(team_id=team_id, user_id=user_id, kind=kind, **data)
    audit_record(team_id=team_id, actor_id=user_id, kind=kind, **data)


def _unique_slug(name: str) -> str:
    base = slug_for(name) or "team"
    slug = base
    suffix = 1
    while Team.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


@transaction.atomic
def team_create(*, owner: User, name: str) -> Team:
    with user_scope(owner.id):
        created_today = Membership.objects.filter(
            user=owner, role=Role.OWNER, created_at__gte=timezone.now() - timedelta(days=1)
        ).count()
    if created_today >= TEAMS_PER_USER_PER_DAY:
        raise ValidationError(
            f"You have created {created_today} teams in the last 24 hours; try again tomorrow."
        )
    team = Team.objects.create(name=name.strip()[:120] or "My team", slug=_unique_slug(name))
    with team_scope(team.id):
        Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    _recorded(team_id=team.id, user_id=owner.id, kind="team.created")
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: Membership,
    name: str,
    require_owner_2fa: bool | None = None,
    home_currency: str | None = None,
) -> Team:
    """Owners and admins correct the team's name and home currency (empty: the main
    marketplace's); only the owner sets what the owner must do."""
    _require_manager(actor)
    if require_owner_2fa is not None and actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner changes the owner's two-factor requirement")
    if home_currency and home_currency not in SALE_CURRENCIES:
        raise ValueError(f"not a currency a marketplace sells in: {home_currency[:10]}")
    previous = (team.name, team.require_owner_2fa, team.home_currency)
    team.name = name.strip()[:120] or team.name
    if require_owner_2fa is not None:
        team.require_owner_2fa = require_owner_2fa
    if home_currency is not None:
        team.home_currency = home_currency
    team.save(update_fields=["name", "require_owner_2fa", "home_currency"])
    if team.home_currency != previous[2]:
        home_currency_changed.send(sender=Team, team_id=team.id)
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="team.updated",
        name_changed=team.name != previous[0],
        require_owner_2fa=team.require_owner_2fa,
        home_currency=team.home_currency,
    )
    return team


def _require_manager(actor: Membership) -> None:
    if not actor.role_enum.at_least(Role.ADMIN):
        raise PermissionDenied("only owners and admins manage members")


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(
        {"i": invitation.id, "t": invitation.team_id, "n": invitation.nonce}, salt=_INVITATION_SALT
    )


@transaction.atomic
def invitation_create(*, team: Team, actor: Membership, email: str, role: Role) -> Invitation:
    _require_manager(actor)
    if role is Role.OWNER:
        raise ValidationError("Ownership is transferred, not given by invitation.")
    if role is Role.ADMIN and actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner invites admins")
    email = email.strip().lower()
    with team_scope(team.id):
        if Membership.objects.filter(team=team, user__email__iexact=email).exists():
            raise ValidationError("That person is already a member of this team.")
        seats_in_use = (
            Membership.objects.filter(team=team).count()
            + Invitation.objects.filter(
                team=team, accepted_at__isnull=True, revoked_at__isnull=True
            ).count()
        )
        decision = may(team, Action.INVITE_MEMBER, in_use=seats_in_use)
        if not decision:
            raise ValidationError(decision.reason)
        _invitations_within_quota(team)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    team=team, email=email, role=role, invited_by=actor.user
                )
        except IntegrityError:
            raise ValidationError("That address already has an open invitation.") from None
    token = invitation_token(invitation)
    transaction.on_commit(
        lambda: emails.send_invitation(invitation=invitation, team=team, token=token)
    )
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="invitation.created",
        invitation_id=invitation.id,
        role=role.value,
    )
    return invitation


def _invitations_within_quota(team: Team) -> None:
    """Every invitation sent counts, revoked or not, so sending and withdrawing is no way round."""
    now = timezone.now()
    sent = Invitation.objects.filter(team=team)
    for count, window, limit in (
        (
            sent.filter(created_at__gte=now - timedelta(hours=1)).count(),
            "hour",
            INVITATIONS_PER_TEAM_PER_HOUR,
        ),
        (
            sent.filter(created_at__gte=now - timedelta(days=1)).count(),
            "day",
            INVITATIONS_PER_TEAM_PER_DAY,
        ),
    ):
        if count >= limit:
            raise ValidationError(
                f"This team has sent {count} invitations in the last {window}; try again later."
            )


@transaction.atomic
def invitation_revoke(*, team: Team, actor: Membership, invitation_id: int) -> None:
    _require_manager(actor)
    with team_scope(team.id):
        invitation = (
            Invitation.objects.select_for_update().filter(team=team, id=invitation_id).first()
        )
        if invitation is None:
            raise Http404("No such invitation")
        if not invitation.is_open:
            raise InvitationInvalid("That invitation is no longer open.")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="invitation.revoked",
        invitation_id=invitation_id,
    )


def invitation_from_token(token: str) -> tuple[Team, Invitation]:
    """Read an invitation from its link, or raise InvitationInvalid with a reason a person understands."""
    try:
        payload = signing.loads(
            token, salt=_INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE_SECONDS
        )
        invitation_id, team_id, nonce = int(payload["i"]), int(payload["t"]), str(payload["n"])
    except signing.SignatureExpired:
        raise InvitationInvalid("This invitation has expired. Ask for a new one.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationInvalid("This invitation link is not valid.") from None
    team = Team.objects.filter(id=team_id).first()
    if team is None:
        raise InvitationInvalid("This invitation link is not valid.")
    with team_scope(team_id):
        invitation = Invitation.objects.filter(
            id=invitation_id, team_id=team_id, nonce=nonce
        ).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used.")
    return team, invitation


def invitation_open_for(*, token: str, email: str) -> bool:
    """Whether ``token`` is a valid, open invitation sent to ``email`` (ams.accounts.invited)."""
    try:
        _, invitation = invitation_from_token(token)
    except InvitationInvalid:
        return False
    return invitation.email.strip().lower() == email.strip().lower()


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    team, invitation = invitation_from_token(token)
    if invitation.email.lower() != user.email.lower():
        raise InvitationInvalid(
            "This invitation was sent to another email address. Sign in with that address to accept it."
        )
    with team_scope(team.id):
        # Lock the row so two clicks on the same link cannot both succeed.
        locked = Invitation.objects.select_for_update().get(id=invitation.id)
        if not locked.is_open:
            raise InvitationInvalid("This invitation has already been used.")
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        membership, created = Membership.objects.get_or_create(
            team=team, user=user, defaults={"role": locked.role}
        )
    if created:
        _recorded(team_id=team.id, user_id=user.id, kind="membership.joined", role=membership.role)
    return membership


def _member(team: Team, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(team=team, id=membership_id).select_related("user").first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership


@transaction.atomic
def membership_set_role(
    *, team: Team, actor: Membership, membership_id: int, role: Role
) -> Membership:
    _require_manager(actor)
    with team_scope(team.id):
        target = _member(team, membership_id)
        if role is Role.OWNER or target.role_enum is Role.OWNER:
            raise ValidationError("Use 'transfer ownership' to change who owns the team.")
        if actor.role_enum is not Role.OWNER and (
            role is Role.ADMIN or target.role_enum is Role.ADMIN
        ):
            raise PermissionDenied("only the owner appoints or changes admins")
        target.role = role
        target.save(update_fields=["role"])
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="membership.role_changed",
        membership_id=target.id,
        member_user_id=target.user_id,
        role=role.value,
    )
    return target


@transaction.atomic
def membership_set_sees_costs(
    *, team: Team, actor: Membership, membership_id: int, sees_costs: bool
) -> Membership:
    """Show or keep from a member or viewer the team's costs, prices paid and margins (owners and
    admins always see them)."""
    _require_manager(actor)
    with team_scope(team.id):
        target = _member(team, membership_id)
        if target.role_enum.at_least(Role.ADMIN):
            raise ValidationError("Owners and admins always see costs and margins.")
        target.sees_costs = sees_costs
        target.save(update_fields=["sees_costs"])
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="membership.costs_shown" if sees_costs else "membership.costs_hidden",
        membership_id=target.id,
        member_user_id=target.user_id,
    )
    return target


@transaction.atomic
def membership_remove(*, team: Team, actor: Membership, membership_id: int) -> None:
    _require_manager(actor)
    with team_scope(team.id):
        target = _member(team, membership_id)
        if target.role_enum is Role.OWNER:
            raise ValidationError("The owner cannot be removed. Transfer ownership first.")
        if actor.role_enum is not Role.OWNER and target.role_enum is Role.ADMIN:
            raise PermissionDenied("only the owner removes admins")
        target.delete()
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="membership.removed",
        membership_id=membership_id,
        member_user_id=target.user_id,
    )


@transaction.atomic
def membership_leave(*, team: Team, membership: Membership) -> None:
    if membership.role_enum is Role.OWNER:
        raise ValidationError("Transfer ownership to another member before you leave.")
    with team_scope(team.id):
        Membership.objects.filter(team=team, id=membership.id).delete()
    _recorded(team_id=team.id, user_id=membership.user_id, kind="membership.left")


@transaction.atomic
def ownership_transfer(*, team: Team, actor: Membership, membership_id: int) -> Membership:
    if actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner transfers ownership")
    with team_scope(team.id):
        target = _member(team, membership_id)
        if target.id == actor.id:
            raise ValidationError("You already own this team.")
        # Step down first: at most one owner may exist at any moment (a unique index says so).
        Membership.objects.filter(id=actor.id).update(role=Role.ADMIN)
        Membership.objects.filter(id=target.id).update(role=Role.OWNER)
        target.refresh_from_db()
    _recorded(
        team_id=team.id,
        user_id=actor.user_id,
        kind="team.ownership_transferred",
        membership_id=target.id,
        member_user_id=target.user_id,
    )
    return target
