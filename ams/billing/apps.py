from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ams.billing"
    label = "billing"

    def ready(self) -> None:
        from ams.billing import receivers  # noqa: F401  (the trial for new teams, email suppression)
