from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "ams.claims"
    label = "claims"
    verbose_name = "Reimbursement claims"
