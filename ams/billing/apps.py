from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ams.billing"
    label = "billing"

    def ready(self) -> None:
        from ams.billing import receivers  # noqa: F401  (the trial for new teams, email suppression)
        from ams.billing.entitlements import may
        from ams.teams.entitlements import policy_install

        # The team gate and team services ask ams.teams.entitlements, which sits below billing.
        policy_install(may)
