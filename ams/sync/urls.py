from django.urls import path

from ams.sync import views

urlpatterns = [
    path("", views.sync_status, name="sync_status"),
    path("settlements/", views.settlement_uploads, name="settlement_uploads"),
    path("pending/<int:pending_report_id>/retry/", views.pending_retry, name="sync_pending_retry"),
]
