from django.urls import path

from ams.support import views

urlpatterns = [
    path("", views.contact, name="support_contact"),
    path("r/<str:status_token>/", views.request_status, name="support_request_status"),
]
