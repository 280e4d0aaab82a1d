from django.apps import AppConfig


class ProfitConfig(AppConfig):
    name = "ams.profit"
    label = "profit"
    verbose_name = "Profit"

    def ready(self) -> None:
        from ams.profit import receivers  # noqa: F401 (connects the receivers)
