from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portfolio import editor_views

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # Same paths and names as markdownx.urls, so the editor widget finds them.
    path("markdownx/markdownify/", editor_views.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", editor_views.upload, name="markdownx_upload"),
    path("", include("portfolio.site_urls")),
    path("", include("models_showcase.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
