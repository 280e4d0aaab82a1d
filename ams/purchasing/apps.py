from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "ams.purchasing"
    label = "purchasing"
    verbose_name = "Suppliers and purchase orders"

    def ready(self) -> None:
        # The workers build a large suppliers or orders export with the page's own builder.
        from ams.purchasing.exports import register

        register()
