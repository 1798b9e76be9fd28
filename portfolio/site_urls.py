"""The site's own pages, under the "portfolio" namespace."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.generic import RedirectView

from portfolio import views
from portfolio.sitemaps import SITEMAPS

app_name = "portfolio"

urlpatterns = [
    path("", views.home, name="home"),
    # The old Jekyll page lived here; keep its links (and search results) working.
    path("huggingface/", RedirectView.as_view(pattern_name="portfolio:home", permanent=True), name="seed-permalink"),
    # For search engines and browsers: robots.txt names the sitemap; favicon.ico leads to the SVG icon.
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("favicon.ico", views.favicon, name="favicon"),
]
