from django.urls import path

from ams.billing import views

# Under /t/<team_slug>/billing/.
team_urlpatterns = [
    path("", views.billing, name="billing"),
    path("subscribe/", views.subscribe, name="billing_subscribe"),
    path("manage/", views.manage, name="billing_manage"),
    path("cancel/", views.cancel, name="billing_cancel"),
]

# Under /billing/.
urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="billing_stripe_webhook"),
]
