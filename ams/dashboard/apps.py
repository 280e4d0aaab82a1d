from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "ams.dashboard"
    label = "dashboard"
    verbose_name = "Pages over the synced data"
