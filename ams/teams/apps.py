from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "ams.teams"
    label = "teams"

    def ready(self) -> None:
        from ams.core.export_jobs import export_register
        from ams.teams import receivers  # noqa: F401  (a new user's first team)
        from ams.teams.data_export import KIND, team_data_source

        export_register(KIND, team_data_source)
