from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "ams.inventory"
    label = "inventory"
    verbose_name = "Inventory"
