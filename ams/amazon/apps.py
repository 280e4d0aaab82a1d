from django.apps import AppConfig


class AmazonConfig(AppConfig):
    name = "ams.amazon"
    label = "amazon"
    verbose_name = "Amazon seller connections"

    def ready(self) -> None:
        from ams.amazon import receivers  # noqa: F401  (its part in a team's deletion)
