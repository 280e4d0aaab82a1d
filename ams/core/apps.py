from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "ams.core"
    label = "core"

    def ready(self) -> None:
        from ams.core import checks  # noqa: F401  (registers the system checks)

        if not settings.PRODUCTION:
            # WhiteNoise serves dev and tests from the finders but warns when its root is missing;
            # made here, not in the settings, which do no I/O when imported.
            settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
