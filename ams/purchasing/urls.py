from django.urls import path

from ams.purchasing import supplier_views, views

urlpatterns = [
    path("orders/", views.order_list, name="purchase_orders"),
    path("orders/new/", views.order_new, name="purchase_order_new"),
    path("orders/export/", views.order_export, name="purchase_order_export"),
    path("orders/<int:purchaseorder_id>/", views.order_detail, name="purchase_order_detail"),
    path("orders/<int:purchaseorder_id>/pdf/", views.order_pdf, name="purchase_order_pdf"),
    path("orders/<int:purchaseorder_id>/lines/", views.line_set, name="purchase_order_line_set"),
    path(
        "orders/<int:purchaseorder_id>/lines/<int:purchaseorderline_id>/remove/",
        views.line_remove,
        name="purchase_order_line_remove",
    ),
    path("orders/<int:purchaseorder_id>/send/", views.order_send, name="purchase_order_send"),
    path(
        "orders/<int:purchaseorder_id>/confirm/", views.order_confirm, name="purchase_order_confirm"
    ),
    path("orders/<int:purchaseorder_id>/cancel/", views.order_cancel, name="purchase_order_cancel"),
    path("orders/<int:purchaseorder_id>/close/", views.order_close, name="purchase_order_close"),
    path(
        "orders/<int:purchaseorder_id>/receipts/", views.receipt_add, name="purchase_order_receipt"
    ),
    path(
        "orders/<int:purchaseorder_id>/payments/", views.payment_add, name="purchase_order_payment"
    ),
    path(
        "orders/<int:purchaseorder_id>/documents/",
        views.attachment_add,
        name="purchase_order_attachment_add",
    ),
    path(
        "orders/<int:purchaseorder_id>/documents/<int:purchaseorderattachment_id>/",
        views.attachment_download,
        name="purchase_order_attachment",
    ),
    path(
        "orders/<int:purchaseorder_id>/documents/<int:purchaseorderattachment_id>/remove/",
        views.attachment_remove,
        name="purchase_order_attachment_remove",
    ),
    path("orders/<int:purchaseorder_id>/charges/", views.charge_add, name="purchase_order_charge"),
    path(
        "orders/<int:purchaseorder_id>/charges/<int:landedcharge_id>/remove/",
        views.charge_remove,
        name="purchase_order_charge_remove",
    ),
    path("cash/", views.cash, name="purchase_cash"),
    path("suppliers/", supplier_views.supplier_list, name="suppliers"),
    path("suppliers/new/", supplier_views.supplier_new, name="supplier_new"),
    path("suppliers/export/", supplier_views.supplier_export, name="supplier_export"),
    path("suppliers/prices/export/", supplier_views.price_export, name="supplier_price_export"),
    path("suppliers/prices/import/", supplier_views.price_import, name="supplier_price_import"),
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
