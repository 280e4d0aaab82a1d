from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "ams.orders"
    label = "orders"
    verbose_name = "Orders"
