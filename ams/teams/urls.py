from django.urls import path

from ams.teams import privacy_views, views

urlpatterns = [
    path("", views.team_dashboard, name="team_dashboard"),
    path("members/", views.members, name="team_members"),
    path("members/<int:membership_id>/role/", views.member_role, name="team_member_role"),
    path("members/<int:membership_id>/costs/", views.member_costs, name="team_member_costs"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="team_member_remove"),
    path(
        "members/<int:membership_id>/transfer/",
        views.ownership_transfer,
        name="team_ownership_transfer",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="team_invitation_revoke",
    ),
    path("leave/", views.team_leave, name="team_leave"),
    path("settings/", views.team_settings, name="team_settings"),
    path("settings/retention/", privacy_views.team_retention, name="team_retention"),
    path("settings/data/", privacy_views.team_data_export, name="team_data_export"),
    path("delete/", privacy_views.team_delete, name="team_delete"),
    path("audit/", views.team_audit, name="team_audit"),
]
