from django.apps import AppConfig


class CostingConfig(AppConfig):
    name = "ams.costing"
    label = "costing"
    verbose_name = "Cost of goods from receipts"

    def ready(self) -> None:
        # A receipt or a landed cost reprices the sales from its day (ams.purchasing.signals).
        from ams.costing import receivers  # noqa: F401 (connects the receivers)
        from ams.costing.exports import register

        # The workers build a large batches export with the page's own builder.
        register()
