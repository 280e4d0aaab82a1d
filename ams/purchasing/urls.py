from django.urls import path

from ams.purchasing import supplier_views

urlpatterns = [
    path("suppliers/", supplier_views.supplier_list, name="suppliers"),
    path("suppliers/new/", supplier_views.supplier_new, name="supplier_new"),
    path("suppliers/export/", supplier_views.supplier_export, name="supplier_export"),
    path("suppliers/<int:supplier_id>/", supplier_views.supplier_detail, name="supplier_detail"),
    path("suppliers/<int:supplier_id>/edit/", supplier_views.supplier_edit, name="supplier_edit"),
    path(
        "suppliers/<int:supplier_id>/contacts/",
        supplier_views.contact_add,
        name="supplier_contact_add",
    ),
    path(
        "suppliers/<int:supplier_id>/contacts/<int:suppliercontact_id>/remove/",
        supplier_views.contact_remove,
        name="supplier_contact_remove",
    ),
    path(
        "suppliers/<int:supplier_id>/offers/", supplier_views.offer_set, name="supplier_offer_set"
    ),
    path(
        "suppliers/<int:supplier_id>/prices/", supplier_views.price_add, name="supplier_price_add"
    ),
    path(
        "suppliers/<int:supplier_id>/prices/<int:supplierprice_id>/remove/",
        supplier_views.price_remove,
        name="supplier_price_remove",
    ),
    path("products/<int:product_id>/", supplier_views.product_suppliers, name="purchasing_product"),
]
