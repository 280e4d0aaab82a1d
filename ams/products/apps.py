from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "ams.products"
    label = "products"
    verbose_name = "Products, their SKUs and bundles"

    def ready(self) -> None:
        # The workers build a large products export with the page's own builder.
        from ams.products.exports import register

        register()
