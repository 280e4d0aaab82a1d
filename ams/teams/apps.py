from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "ams.teams"
    label = "teams"

    def ready(self) -> None:
        from ams.accounts.invited import Invited, invitation_check_register
        from ams.core.export_jobs import export_register
        from ams.teams import receivers  # noqa: F401  (a new user's first team)
        from ams.teams.data_export import KIND, team_data_source

        export_register(KIND, team_data_source)

        from ams.teams.services import invitation_open_for

        def invitation_check(found: Invited) -> bool:
            return invitation_open_for(token=found.token, email=found.email)

        invitation_check_register(invitation_check)
