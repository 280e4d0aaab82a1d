from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "ams.dashboard"
    label = "dashboard"
    verbose_name = "Pages over the synced data"

    def ready(self) -> None:
        # The workers build large exports with the pages' own builders (ams.core.export_jobs).
        from ams.dashboard import exports, pnl_export, profit

        exports.register()
        pnl_export.register()
        profit.register()
