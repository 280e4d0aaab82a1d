from django.urls import path

from ams.claims import views

urlpatterns = [
    path("", views.claim_list, name="claims"),
    path("<int:claim_id>/", views.claim_detail, name="claim_detail"),
]
