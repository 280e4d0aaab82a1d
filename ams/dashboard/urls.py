from django.urls import path

from ams.dashboard import views

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("orders/", views.orders, name="orders"),
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/history/", views.stock_history, name="stock_history"),
    path("listings/", views.listings, name="listings"),
    path("settlements/", views.settlements, name="settlements"),
    path("settlements/lines/", views.settlement_lines, name="settlement_lines"),
]
