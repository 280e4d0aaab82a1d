from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from ams.core.mail_text import name_for_mail
from ams.teams.models import Invitation, Team


def send_invitation(*, invitation: Invitation, team: Team, token: str) -> None:
    # Both names are the sender's free text, mailed to an address the sender chose.
    inviter = invitation.invited_by.name if invitation.invited_by else ""
    context = {
        "team_name": name_for_mail(team.name),
        "inviter": name_for_mail(inviter) or "A team owner",
        "role": invitation.get_role_display(),
        "accept_url": settings.SITE_URL + reverse("invitation_accept", args=[token]),
        "days": settings.INVITATION_MAX_AGE_SECONDS // 86400,
    }
    message = EmailMultiAlternatives(
        subject=f"You are invited to {context['team_name']} on AMS",
        body=render_to_string("teams/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("teams/email/invitation.html", context), "text/html"
    )
    message.send()
