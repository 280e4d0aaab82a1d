from django.urls import path

from ams.procurement import views

urlpatterns = [
    path("", views.cost_list, name="procurement_costs"),
    path("add/", views.cost_add, name="procurement_cost_add"),
    path("delete/", views.cost_delete, name="procurement_cost_delete"),
    path("import/", views.cost_import, name="procurement_cost_import"),
    path(
        "import/<int:costimport_id>/",
        views.cost_import_result,
        name="procurement_cost_import_result",
    ),
    path("export/", views.cost_export, name="procurement_cost_export"),
]
