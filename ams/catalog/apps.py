from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ams.catalog"
    label = "catalog"
    verbose_name = "Listings and catalogue"
