from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ams.core"
    label = "core"

    def ready(self) -> None:
        from ams.core import checks  # noqa: F401  (registers the system checks)
