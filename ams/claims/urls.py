from django.urls import path

from ams.claims import views

urlpatterns = [
    path("", views.claim_list, name="claims"),
    path("<int:pk>/", views.claim_detail, name="claim_detail"),
    path("<int:pk>/status/", views.claim_status, name="claim_status"),
]
