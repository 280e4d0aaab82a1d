from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "ams.shipments"
    label = "shipments"
    verbose_name = "Shipments and warehouse stock"
