from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from portfolio import editor_views, views

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # The admin's language switch posts here (Django's set_language: a cookie, then back).
    path("i18n/", include("django.conf.urls.i18n")),
    # Same paths and names as markdownx.urls, so the editor widget finds them.
    path("markdownx/markdownify/", editor_views.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", editor_views.upload, name="markdownx_upload"),
    path("", include("portfolio.site_urls")),
    path("", include("models_showcase.urls")),
]

if settings.SERVE_MEDIA:
    # Uploads are few and small here; a web server in front may serve /media/ instead
    # (DJANGO_SERVE_MEDIA=0). SecurityMiddleware adds nosniff to these responses too.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", views.media, name="media"),
    ]
