from django.apps import AppConfig


class AmazonConfig(AppConfig):
    name = "ams.amazon"
    label = "amazon"
    verbose_name = "Amazon seller connections"
