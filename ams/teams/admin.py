from django.contrib import admin

from ams.teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    """Staff see a team's name and settings, never its members' data or its Amazon data.

    Memberships are tenant rows behind row-level security, so they are deliberately not here.
    """

    list_display = ["name", "slug", "created_at", "require_owner_2fa"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", "require_owner_2fa", "created_at"]
    readonly_fields = ["slug", "created_at"]
