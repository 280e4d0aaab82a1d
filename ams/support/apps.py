from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "ams.support"
    label = "support"
