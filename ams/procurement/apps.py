from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "ams.procurement"
    label = "procurement"
    verbose_name = "Procurement and product costs"
