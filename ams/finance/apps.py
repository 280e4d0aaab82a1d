from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "ams.finance"
    label = "finance"
    verbose_name = "Settlements, fees and transactions"
