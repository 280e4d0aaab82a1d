from django.urls import path

from ams.products import views

urlpatterns = [
    path("", views.product_list, name="products"),
    path("new/", views.product_new, name="product_new"),
    path("export/", views.product_export, name="product_export"),
    path("import/", views.product_import, name="product_import"),
    path("<int:product_id>/", views.product_detail, name="product_detail"),
    path("<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("<int:product_id>/skus/", views.product_sku_add, name="product_sku_add"),
    path(
        "<int:product_id>/skus/<int:productsku_id>/remove/",
        views.product_sku_remove,
        name="product_sku_remove",
    ),
    path("<int:product_id>/components/", views.component_set, name="product_component_set"),
]
