"""Tsunagu settings: one module, configured from the environment.

SQLite is used when DATABASE_URL is unset. With DEBUG off the service refuses to
start without a real SECRET_KEY.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tsunagu.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_ROOT = env_str("SITE_ROOT", "http://127.0.0.1:8000")
SITE_NAME = "つなぐ Tsunagu"

INSTALLED_APPS = [
    # django.contrib.admin, behind the second factor (tsunagu/accounts/admin_site.py).
    "tsunagu.accounts.admin_site.TsunaguAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "tsunagu.accounts",
    "tsunagu.network",
    "tsunagu.facilities",
    "tsunagu.cases",
    "tsunagu.referrals",
    "tsunagu.audit",
    "tsunagu.ops",
    "tsunagu.notifications",
    "tsunagu.idempotency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store on every response to a logged-in user.
    "tsunagu.accounts.middleware.PrivateResponseMiddleware",
    # A logged-in user's 403/404 on a URL naming an object leaves an audit row.
    "tsunagu.audit.middleware.DeniedAccessMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    # An htmx request without a login sends the whole page to the login form.
    "tsunagu.accounts.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Forced change of an initial password; second factor for office users and facility admins.
    "tsunagu.accounts.middleware.AccountSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it turns a locked-out login into the Japanese lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tsunagu.urls"
WSGI_APPLICATION = "tsunagu.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tsunagu.accounts.context_processors.membership",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'tsunagu.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        # A kept-open connection is checked before each request, so a restarted or cut database
        # costs at most the requests in flight, never a restart of the service.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server write without blocking readers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Must come first: refuses a locked-out login before the password is even checked.
    "tsunagu.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 13 characters of letters, digits and symbols; 8 with a second factor (MHLW guideline).
    {"NAME": "tsunagu.accounts.validators.GuidelinePasswordValidator"},
    # Not a common password, nor one with digits and symbols added around it (password1234!).
    {"NAME": "tsunagu.accounts.validators.CommonCorePasswordValidator"},
    # Not the user name or the e-mail name, in any case, also backwards.
    {"NAME": "tsunagu.accounts.validators.UserNamePasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tsunagu@localhost")
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"

# A vacancy not updated for this many days is shown as stale everywhere.
VACANCY_STALE_DAYS = env_int("VACANCY_STALE_DAYS", 3)

# Functions the background worker (manage.py run_worker) calls in turn; see tsunagu/lib/worker.py.
# Called with a Municipality queryset whenever municipalities change (admin, load_reference):
# the apps that copy municipality data rewrite their copies.
MUNICIPALITY_CHANGE_HOOKS = ["tsunagu.facilities.models.resync_units_of_municipalities"]
# The demo loader's steps, in order (tsunagu.facilities.demo.load_demo); each is idempotent.
DEMO_STEPS = [
    "tsunagu.facilities.demo.step_reference",
    "tsunagu.facilities.demo.step_real_facilities",
    "tsunagu.facilities.demo.step_demo_clinic",
    "tsunagu.facilities.demo.step_units",
    "tsunagu.facilities.demo.step_vacancies",
    "tsunagu.facilities.demo.step_desks",
    "tsunagu.facilities.demo.step_users",
    "tsunagu.referrals.demo.step_referrals",
    "tsunagu.facilities.demo.step_summary",
]
WORKER_TASKS = [
    "tsunagu.facilities.importers.process_pending_imports",
    "tsunagu.referrals.services.expire_overdue_referrals",
    "tsunagu.referrals.services.send_deadline_reminders",
    "tsunagu.referrals.services.withdraw_referrals_of_closed_cases",
    "tsunagu.notifications.services.send_pending_emails",
]
# Receivers get a reminder this many hours before an unanswered request's deadline.
REFERRAL_REMINDER_HOURS = env_int("REFERRAL_REMINDER_HOURS", 3)

# --- Security (see SECURITY.md) -------------------------------------------------------------
# Idle timeout: the session ends after this many minutes without a request.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The session is saved at most once a minute while in use (AccountSecurityMiddleware.touch).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# htmx requests that pages send on a timer do not count as activity: their views carry
# @polled (tsunagu/lib/polling.py). Saving the session on every request would refresh the
# cookie on every poll.
SESSION_SAVE_EVERY_REQUEST = False
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "tsunagu.lib.error_views.csrf_failure"

# Office users and facility admins must log in with a second factor. Only a demo may turn
# this off (a banner then says so on every page).
OTP_REQUIRED_FOR_ADMINS = env_bool("OTP_REQUIRED_FOR_ADMINS", True)
OTP_TOTP_ISSUER = "Tsunagu"
# The admin never shows a device's key or QR code (whoever sees it could make the codes).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Login lockout (django-axes): 5 failures for the same user name from the same address lock that
# user name at that address for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
# User name and address together: someone elsewhere who knows a user name cannot lock its owner
# (or the whole office) out, and the colleagues behind a hospital's one address are not locked by
# one person's typing errors. The office lifts a lock early at 事務局 → ロック中のアカウント.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Attempts are rows of axes' AccessAttempt, which the office's lockout page lists and deletes.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = True
# Lockouts and failures are in the audit trail; axes need not log them again.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "tsunagu.accounts.views.lockout_response"
# The address is read by the same function as the audit trail's (see SECURITY.md, reverse proxy).
AXES_CLIENT_IP_CALLABLE = "tsunagu.lib.client.client_ip"
# Number of reverse proxies in front of Django whose X-Forwarded-For is trusted (0: none). Behind
# waitress --trusted-proxy leave it at 0: waitress already puts the client's address in REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Request size limits: larger bodies answer a Japanese 400 page instead of using memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Content-Security-Policy: no inline scripts or styles, nothing from other origins.
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
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Only a header directive; submitting the domain to the browsers' preload list is the operator's call.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # TLS is usually ended by a reverse proxy that redirects http itself; a local run of the
    # production settings (the demo) sets SECURE_SSL_REDIRECT=0.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Logins, failures and lockouts are in the audit trail; axes' own notes are noise.
    "loggers": {"axes": {"level": "WARNING"}},
}
