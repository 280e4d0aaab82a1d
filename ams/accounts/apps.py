from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ams.accounts"
    label = "accounts"
