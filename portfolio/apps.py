from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Site and profile"

    def ready(self):
        from portfolio.page_cache import connect_invalidation

        connect_invalidation()
