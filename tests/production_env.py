"""A complete production-like environment, for tests that start Django as production would."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from django.conf import settings


def app_database_url() -> str:
    db: dict[str, Any] = settings.DATABASE_ROLES["app"]
    host = db["HOST"] or (db.get("OPTIONS") or {}).get("host", "")
    return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "APP_ENV")}
    env.update(
        APP_ENV="prod",
        SECRET_KEY="k" * 20 + "-production-like-secret-key-for-the-check-0123456789",
        DATABASE_URL=app_database_url(),
        MIGRATION_DATABASE_URL=app_database_url(),
        SITE_URL="https://ams.example.com",
        ALLOWED_HOSTS='["ams.example.com"]',
        RESEND_API_KEY="re_test_key_for_the_deploy_check",
        RESEND_SIGNING_SECRET="whsec_for_the_deploy_check",
        STRIPE_API_KEY="sk_test_for_the_deploy_check",
        STRIPE_WEBHOOK_SECRET="whsec_for_the_deploy_check",
        VAULT_KEYS=json.dumps({"2026-11": base64.b64encode(b"k" * 32).decode()}),
        VAULT_ACTIVE_KEY_ID="2026-11",
        SPAPI_APPLICATION_ID="amzn1.sellerapps.app.00000000-0000-0000-0000-000000000000",
        LWA_CLIENT_ID="amzn1.application-oa2-client.0000",
        LWA_CLIENT_SECRET="amzn1.oa2-cs.v1.0000",
        PRIVACY_CONTACT_EMAIL="privacy@ams.example.com",
    )
    env.update(overrides)
    return env
