"""Settings for the portfolio site, read from the environment.

Development needs no configuration: DEBUG defaults to on, the database is a
SQLite file under var/. Production (DJANGO_DEBUG=0) refuses to start until the
variables it cannot safely guess are set. `.env.example` lists them all.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name) or default).split(",") if item.strip()]


def required_in_production(name: str, dev_default: str) -> str:
    value = env(name)
    if value is not None:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"Set the {name} environment variable: it is required when DJANGO_DEBUG is off.")


DEBUG = env_bool("DJANGO_DEBUG", True)

# The development key is only ever used with DEBUG on; production must bring its own.
SECRET_KEY = required_in_production("DJANGO_SECRET_KEY", "django-insecure-development-only-key")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set the DJANGO_ALLOWED_HOSTS environment variable (comma-separated host names): "
        "it is required when DJANGO_DEBUG is off."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")


def site_url(value: str) -> str:
    """The site's origin, e.g. https://portfolio.example.com: scheme and host (and port), nothing more."""
    parts = urlsplit(value.strip().rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"DJANGO_SITE_URL must be the site's origin, like https://portfolio.example.com, not {value!r}."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


# Every absolute URL the site writes (canonical, og:url, og:image, the sitemap, robots.txt)
# starts with this, never with the Host a request claims: a cached page is shown to everyone.
SITE_URL = site_url(required_in_production("DJANGO_SITE_URL", "http://127.0.0.1:8000"))

INSTALLED_APPS = [
    # The admin with the index in the owner's order (portfolio/admin_site.py).
    "portfolio.apps.PortfolioAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # Before staticfiles so that runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "markdownx",
    "adminsortable2",
    "axes",
    "portfolio",
    "models_showcase",
    "contributions",
]

MIDDLEWARE = [
    # First, so that every response has them: cached pages, static files, errors.
    "portfolio.http_limits.PermissionsPolicyMiddleware",
    "portfolio.http_limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached public pages are answered here, before sessions, auth and the view.
    "portfolio.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The site's language for visitors, each owner's own in the admin.
    "portfolio.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag / Last-Modified -> 304 Not Modified for a browser that already has the page.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses to authenticate a locked-out username/IP before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(env("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers and cron's sync_hub write to one file: WAL lets readers
    # go on during a write, IMMEDIATE transactions take the write lock up front (no
    # "database is locked" half-way through), and a writer waits up to 20 s for its turn.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# The cache holds rendered public pages and the content version that invalidates them,
# so every worker and every machine must share it: Redis when REDIS_URL is set, else a
# directory on this machine (shared by its workers; a per-process memory cache would
# keep serving old pages after an edit).
# The cache is a helper, never a single point of failure: both backends answer a cache that is
# down, frozen or unwritable like an empty one (portfolio/cache_backends.py), and the pages
# come from the database.
if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "portfolio.cache_backends.FailSoftRedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "portfolio"),
            # A frozen Redis costs a request a quarter of a second, not a hung worker.
            "OPTIONS": {
                "socket_connect_timeout": float(env("REDIS_TIMEOUT", "0.25")),
                "socket_timeout": float(env("REDIS_TIMEOUT", "0.25")),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "portfolio.cache_backends.FailSoftFileBasedCache",
            "LOCATION": env("DJANGO_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "portfolio"),
        }
    }
# Sessions live in the database (Django's default, said here because it matters): a cache
# that is down must not sign the owner out or break the admin login. django-axes keeps its
# failed logins in the database too (its default handler), not in the cache.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# How long a rendered public page is kept; edits replace it at once anyway. 0 turns the page cache off.
# Off by default in development, where templates change under you. Kept short: if an edit
# could not reach the cache (it was down), pages in other processes are stale this long at most.
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "0" if DEBUG else "300"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The language of a site with no profile yet, and of the admin for a browser that asks for
# neither Korean nor English. The public pages then speak the profile's language, the admin
# each person's own (portfolio/i18n.py). The demo content is Korean.
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", "ko")
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

# Where the admin lives; moving it off /admin/ keeps drive-by scanners away.
ADMIN_URL = env("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in production; the plain storage in development so
    # that nothing needs collectstatic before runserver works.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# django-markdownx: the admin preview renders with the same function as the
# public page, so what the owner previews is exactly what visitors get.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "portfolio.markdown.render_markdown"
# Editor uploads go through portfolio/editor_views.py (portfolio/images.py's rules), not markdownx's view.
MARKDOWNX_MEDIA_PATH = "markdown/"

# sync_hub: the most one Hub request may take, in seconds. huggingface_hub itself
# reads HF_ENDPOINT and HF_TOKEN (a token lets private and gated models sync).
HUB_REQUEST_TIMEOUT = float(env("HUB_REQUEST_TIMEOUT", "20"))
# Adding a card in the admin asks the Hub while the owner waits: short, and each of its
# (at most two) requests well inside gunicorn's 30 s worker timeout.
HUB_FETCH_TIMEOUT = float(env("HUB_FETCH_TIMEOUT", "5"))
# sync_github: GitHub's REST API (another address for GitHub Enterprise, or a fake in tests),
# an optional token (60 requests an hour without one, 5,000 with; never logged), and the most
# one request may take, in seconds.
GITHUB_API_URL = env("GITHUB_API_URL", "https://api.github.com")
GITHUB_TOKEN = env("GITHUB_TOKEN", "")
GITHUB_REQUEST_TIMEOUT = float(env("GITHUB_REQUEST_TIMEOUT", "20"))
# Where the syncs keep their lock files (sync_hub.lock, sync_github.lock) when the database is
# not PostgreSQL (which has advisory locks).
SYNC_LOCK_DIR = Path(env("SYNC_LOCK_DIR", str(BASE_DIR / "var")))

# ---- Security. Secure by default when DEBUG is off; each switch can be turned
# off for a setup that handles it elsewhere (docs/SECURITY.md has the checklist).

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
# Both commit every subdomain (and, with preload, browsers' built-in lists) to HTTPS: opt in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True  # on every response, media included
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4). Nothing inline, nothing from elsewhere,
# except images in markdown, which may live on other https sites.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for
# one username from one client IP, that pair is locked out for the cool-off time.
AXES_FAILURE_LIMIT = int(env("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("DJANGO_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "portfolio/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client IP that lockouts key on: REMOTE_ADDR, or behind N trusted proxies the
# address the outermost of them saw (portfolio/client_ip.py says why not a library).
TRUSTED_PROXY_COUNT = int(env("DJANGO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "portfolio.client_ip.client_ip"

# Request bodies. Uploads may be 25 MB (portfolio/images.py): a request may carry that and
# its form, no more (413 otherwise); the proxy in front must let it through (nginx:
# client_max_body_size 26m). Form fields without files: 2.5 MB and 1,000 fields (400 beyond).
REQUEST_MAX_BYTES = int(env("DJANGO_REQUEST_MAX_BYTES", str(26 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Larger files are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Browser features the site never uses, refused for it and anything it might embed. Only names
# Chromium knows: an unknown one is a console warning on every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), "
    "display-capture=(), encrypted-media=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), "
    "interest-cohort=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)

# Where `manage.py backup` writes (never inside MEDIA_ROOT, which is public).
BACKUP_ROOT = Path(env("DJANGO_BACKUP_ROOT", str(BASE_DIR / "var" / "backups")))

# Media (uploads) are served by Django itself unless a web server in front does it.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    # huggingface_hub's HTTP client logs every request at INFO: sync_hub's cron log keeps its own summary instead.
    "loggers": {"httpx2": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
