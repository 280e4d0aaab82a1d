from django.urls import path

from ams.shipments import location_views, views

urlpatterns = [
    path("", views.shipment_list, name="shipments"),
    path("new/", views.shipment_new, name="shipment_new"),
    path("timeline/", views.unit_timeline, name="unit_timeline"),
    path("<int:shipment_id>/", views.shipment_detail, name="shipment_detail"),
    path("<int:shipment_id>/legs/", views.leg_add, name="shipment_leg_add"),
    path(
        "<int:shipment_id>/legs/<int:shipmentleg_id>/",
        views.leg_progress,
        name="shipment_leg_progress",
    ),
    path("<int:shipment_id>/receive/", views.shipment_receive, name="shipment_receive"),
    path("<int:shipment_id>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("locations/", location_views.location_list, name="locations"),
    path("locations/new/", location_views.location_new, name="location_new"),
    path("locations/<int:location_id>/", location_views.location_detail, name="location_detail"),
    path("locations/<int:location_id>/move/", location_views.stock_move, name="location_move"),
    path("locations/<int:location_id>/send/", location_views.stock_send, name="location_send"),
    path("locations/<int:location_id>/count/", location_views.stock_count, name="location_count"),
]
