from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ams.sync"
    label = "sync"
    verbose_name = "Amazon data sync"

    def ready(self) -> None:
        from ams.sync import receivers, tasks  # noqa: F401  (connects signals, registers tasks)
