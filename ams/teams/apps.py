from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "ams.teams"
    label = "teams"

    def ready(self) -> None:
        from ams.teams import receivers  # noqa: F401  (a new user's first team)
