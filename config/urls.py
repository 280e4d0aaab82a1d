from allauth.mfa.models import Authenticator
from anymail.webhooks.resend import ResendTrackingWebhookView
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import include, path
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.accounts import views as account_views
from ams.amazon import views as amazon_views
from ams.billing import urls as billing_urls
from ams.teams import privacy_views
from ams.teams import views as team_views
from config.admin_login import admin_login

admin.site.login = admin_login  # type: ignore[method-assign]
# Staff manage accounts, teams, support requests and see policy acknowledgements, nothing else:
# no second factors, no jobs, never Amazon data.
for _model in (Group, Authenticator, ProcrastinateJob):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
admin.site.site_header = "AMS staff"

urlpatterns = [
    path("", team_views.home, name="home"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/delete/", privacy_views.account_delete, name="account_delete"),
    path("accounts/data/", privacy_views.personal_data_export, name="personal_data_export"),
    path("deletions/<str:token>/", privacy_views.deletion_receipt, name="deletion_receipt"),
    # allauth's sign-up, filled in from an invitation; its URL name stays allauth's (below).
    path("accounts/signup/", account_views.signup),
    path("accounts/", include("allauth.urls")),
    path("teams/new/", team_views.team_create, name="team_create"),
    path("invitations/<str:token>/", team_views.invitation_accept, name="invitation_accept"),
    path("t/<slug:team_slug>/", include("ams.teams.urls")),
    path("t/<slug:team_slug>/billing/", include(billing_urls.team_urlpatterns)),
    path("t/<slug:team_slug>/costs/", include("ams.procurement.urls")),
    path("t/<slug:team_slug>/cost-batches/", include("ams.costing.urls")),
    path("t/<slug:team_slug>/claims/", include("ams.claims.urls")),
    path("t/<slug:team_slug>/expenses/", include("ams.expenses.urls")),
    path("t/<slug:team_slug>/products/", include("ams.products.urls")),
    path("t/<slug:team_slug>/purchasing/", include("ams.purchasing.urls")),
    path("t/<slug:team_slug>/shipments/", include("ams.shipments.urls")),
    path("t/<slug:team_slug>/", include("ams.dashboard.urls")),
    path("billing/", include("ams.billing.urls")),
    path(
        "anymail/resend/tracking/",
        ResendTrackingWebhookView.as_view(),
        name="anymail_resend_tracking",
    ),
    path("t/<slug:team_slug>/amazon/", include("ams.amazon.urls")),
    path("t/<slug:team_slug>/sync/", include("ams.sync.urls")),
    path("amazon/callback/", amazon_views.callback, name="amazon_callback"),
    path("legal/", include("ams.legal.urls")),
    path("support/", include("ams.support.urls")),
    path("admin/", admin.site.urls),
]
