"""Team routes of ams.amazon, under /t/<team_slug>/amazon/. The OAuth callback is in config/urls.py."""

from django.urls import path

from ams.amazon import views

urlpatterns = [
    path("", views.connections, name="amazon_connections"),
    path("connect/", views.connect, name="amazon_connect"),
    path("<int:sellerconnection_id>/reauthorize/", views.reauthorize, name="amazon_reauthorize"),
    path("<int:sellerconnection_id>/disconnect/", views.disconnect, name="amazon_disconnect"),
]
