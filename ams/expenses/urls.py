from django.urls import path

from ams.expenses import views

urlpatterns = [
    path("", views.expense_list, name="expenses"),
    path("<int:expense_id>/", views.expense_edit, name="expense_edit"),
    path("<int:expense_id>/delete/", views.expense_delete, name="expense_delete"),
]
