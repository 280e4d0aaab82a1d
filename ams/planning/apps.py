from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "ams.planning"
    label = "planning"
    verbose_name = "Planning"
