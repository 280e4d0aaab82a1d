from django.urls import path

from ams.costing import views

urlpatterns = [
    path("", views.batch_list, name="cost_batches"),
    path("method/", views.method_set, name="cost_batches_method"),
    path("export/", views.batch_export, name="cost_batches_export"),
]
