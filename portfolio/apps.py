from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Site and profile")

    def ready(self):
        from portfolio.page_cache import connect_invalidation

        connect_invalidation()


class PortfolioAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the site's own AdminSite (the index in the owner's order)."""

    default = False  # "portfolio" itself is PortfolioConfig; this one is named in INSTALLED_APPS
    default_site = "portfolio.admin_site.PortfolioAdminSite"
