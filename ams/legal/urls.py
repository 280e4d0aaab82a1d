from django.urls import path

from ams.legal import views

urlpatterns = [
    path("<slug:document>/", views.document, name="legal_document"),
    path("<slug:document>/<str:version>/", views.document, name="legal_document_version"),
    path(
        "<slug:document>/<str:version>/acknowledge/",
        views.acknowledge,
        name="legal_acknowledge",
    ),
]
