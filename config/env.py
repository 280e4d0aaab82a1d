"""Configuration comes only from the environment, validated once at start-up.

A malformed or missing value raises at import time with every problem listed, instead of failing
on the first request that needs it. Secrets are ``SecretStr`` so a traceback or repr never shows
them.
"""

from __future__ import annotations

import os
import sys
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AppEnv = Literal["dev", "test", "demo", "prod"]


class Env(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    app_env: AppEnv = "dev"
    secret_key: SecretStr = SecretStr("")
    debug: bool = False
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "testserver"])
    site_url: str = "http://127.0.0.1:8000"

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

    # Usage events are kept this long, then pruned.
    usage_event_retention_days: int = Field(default=90, ge=1, le=730)
    log_level: str = "INFO"
    log_json: bool = True

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
