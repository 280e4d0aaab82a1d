from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "ams.teams"
    label = "teams"
