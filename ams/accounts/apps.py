from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ams.accounts"
    label = "accounts"

    def ready(self) -> None:
        from ams.accounts import receivers  # noqa: F401  (connects the sign-in audit receivers)
