from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "ams.purchasing"
    label = "purchasing"
    verbose_name = "Suppliers and purchase orders"
