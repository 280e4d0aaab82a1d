from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "ams.procurement"
    label = "procurement"
    verbose_name = "Procurement and product costs"

    def ready(self) -> None:
        # The workers build a large costs export with the page's own builder.
        from ams.procurement.exports import register

        register()
