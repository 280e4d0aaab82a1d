from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from ams.teams.models import Invitation, Team


def send_invitation(*, invitation: Invitation, team: Team, token: str) -> None:
    context = {
        "team_name": team.name,
        "inviter": invitation.invited_by.name if invitation.invited_by else "A team owner",
        "role": invitation.get_role_display(),
        "accept_url": settings.SITE_URL + reverse("invitation_accept", args=[token]),
        "days": settings.INVITATION_MAX_AGE_SECONDS // 86400,
    }
    message = EmailMultiAlternatives(
        subject=f"You are invited to {team.name} on AMS",
        body=render_to_string("teams/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("teams/email/invitation.html", context), "text/html"
    )
    message.send()
