"""Configuration comes only from the environment, validated once at start-up.

A malformed or missing value raises at import time with every problem listed, instead of failing
on the first request that needs it. Secrets are ``SecretStr`` so a traceback or repr never shows
them.
"""

from __future__ import annotations

import os
import sys
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AppEnv = Literal["dev", "test", "demo", "prod"]


class Env(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    app_env: AppEnv = "dev"
    secret_key: SecretStr = SecretStr("")
    debug: bool = False
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "testserver"]
    )
    site_url: str = "http://127.0.0.1:8000"
    # Where collectstatic writes; build/static under the project by default.
    static_root: str | None = None

    # The app's login role (not owner, not superuser, no BYPASSRLS).
    database_url: SecretStr | None = None
    # The owner role, used only to run migrations.
    migration_database_url: SecretStr | None = None
    # The sync worker's role, the only one that may read the token vault.
    worker_database_url: SecretStr | None = None
    database_ssl_require: bool = False

    # Email: Resend in production, console in dev, the in-memory outbox in tests.
    email_backend: str | None = None
    resend_api_key: SecretStr | None = None
    resend_signing_secret: SecretStr | None = None
    default_from_email: str = "AMS <no-reply@ams.localhost>"
    # The operator's address for privacy and support requests.
    privacy_contact_email: str = "privacy@ams.localhost"

    # Billing. Outside production the keys are test values and the API is the local fake
    # (devtools.fake_stripe): in-process under tests, on loopback for dev and the demo.
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None
    # JSON list of plans; unset means the built-in plans in ams.billing.plans.
    billing_plans: str | None = None
    trial_days: int = Field(default=7, ge=0, le=90)

    # Amazon SP-API. Unset outside production: the local simulator (spapi_sim) on port 8100, whose
    # app id and LWA credentials the demo command passes in. In production the regional Amazon
    # endpoints apply unless overridden.
    spapi_base_url: str | None = None
    lwa_token_url: str | None = None
    seller_central_url: str | None = None
    spapi_application_id: str = ""
    lwa_client_id: str = ""
    lwa_client_secret: SecretStr = SecretStr("")
    # A Draft app must send version=beta on the consent URL.
    spapi_app_is_draft: bool = False
    # Multiplies Amazon's usage plans in the shared limiter, to match a simulator run faster.
    spapi_rate_scale: float = Field(default=1.0, gt=0, le=1000)
    # The token vault's key-encryption keys: a JSON object of key id -> base64 of 32 bytes, and
    # the id new secrets are sealed with. Outside production a fixed development key applies.
    vault_keys: SecretStr | None = None
    vault_active_key_id: str | None = None
    # Days between a disconnect and the purge of the connection's Amazon data (promise: <= 30).
    amazon_purge_grace_days: int = Field(default=3, ge=0, le=30)

    # Usage events are kept this long, then pruned.
    usage_event_retention_days: int = Field(default=90, ge=1, le=730)
    # Exports larger than this many rows are built by a background job, not streamed.
    export_inline_max_rows: int = Field(default=5000, ge=0, le=1_000_000)
    # Reverse proxies in front of the web processes that append the client's address to
    # X-Forwarded-For (a load balancer: 1). 0 reads the client from the socket (REMOTE_ADDR).
    trusted_proxy_count: int = Field(default=0, ge=0, le=5)
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("privacy_contact_email")
    @classmethod
    def _an_email_address(cls, value: str) -> str:
        from django.core.exceptions import ValidationError as DjangoValidationError
        from django.core.validators import validate_email

        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError(f"{value!r} is not an email address") from None
        return value

    @model_validator(mode="after")
    def _production_needs_real_values(self) -> Env:
        if self.app_env != "prod":
            return self
        problems = []
        if len(self.secret_key.get_secret_value()) < 50:
            problems.append("SECRET_KEY must be at least 50 characters in production")
        if self.database_url is None:
            problems.append("DATABASE_URL is required in production")
        if self.migration_database_url is None:
            problems.append("MIGRATION_DATABASE_URL is required in production")
        if self.debug:
            problems.append("DEBUG must be off in production")
        if "allowed_hosts" not in self.model_fields_set or not self.allowed_hosts:
            # Links in e-mails (password reset, confirmation) are built from the request's host:
            # only hosts named here may reach the app.
            problems.append("ALLOWED_HOSTS is required in production")
        if self.stripe_api_key is None or not self.stripe_api_key.get_secret_value():
            problems.append("STRIPE_API_KEY is required in production")
        if self.stripe_webhook_secret is None or not self.stripe_webhook_secret.get_secret_value():
            problems.append("STRIPE_WEBHOOK_SECRET is required in production")
        if self.stripe_api_base and not self.stripe_api_base.startswith("https://"):
            problems.append(
                "STRIPE_API_BASE must be unset (Stripe) or https:// in production, never the local fake"
            )
        if self.vault_keys is None or not self.vault_active_key_id:
            problems.append("VAULT_KEYS and VAULT_ACTIVE_KEY_ID are required in production")
        if not (
            self.spapi_application_id
            and self.lwa_client_id
            and self.lwa_client_secret.get_secret_value()
        ):
            problems.append(
                "SPAPI_APPLICATION_ID, LWA_CLIENT_ID and LWA_CLIENT_SECRET are required in production"
            )
        if self.resend_signing_secret is None or not self.resend_signing_secret.get_secret_value():
            # Without it the delivery webhook refuses every event, and bounces go unnoticed.
            problems.append("RESEND_SIGNING_SECRET is required in production")
        if self.privacy_contact_email.endswith(".localhost"):
            problems.append("PRIVACY_CONTACT_EMAIL is required in production")
        if not self.site_url.startswith("https://"):
            problems.append("SITE_URL must be https:// in production")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_env() -> Env:
    from django.core.exceptions import ImproperlyConfigured

    # Under pytest the environment is "test" unless said otherwise: the in-memory outbox, a local
    # cache, no JSON logs.
    if "APP_ENV" not in os.environ and "pytest" in sys.modules:
        os.environ["APP_ENV"] = "test"

    try:
        return Env()
    except ValidationError as exc:
        raise ImproperlyConfigured(f"Invalid configuration:\n{exc}") from exc
