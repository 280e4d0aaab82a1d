from django.apps import AppConfig


class ExpensesConfig(AppConfig):
    name = "ams.expenses"
    label = "expenses"
    verbose_name = "Expenses"
