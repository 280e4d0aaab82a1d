from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "ams.legal"
    label = "legal"
