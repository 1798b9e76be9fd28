"""The site's own pages, under the "portfolio" namespace."""

from django.urls import path
from django.views.generic import RedirectView

from portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("", views.home, name="home"),
    # The old Jekyll page lived here; keep its links (and search results) working.
    path("huggingface/", RedirectView.as_view(pattern_name="portfolio:home", permanent=True), name="seed-permalink"),
]
