"""/sitemap.xml: the home page and every published model page, with when each last changed."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from models_showcase.models import HubCard
from portfolio.models import Profile


def _latest(*moments):
    """The latest of the given datetimes, ignoring the missing ones (None when there are none)."""
    return max((moment for moment in moments if moment is not None), default=None)


class SiteSitemap(Sitemap):
    """Locations on the site's own address (SITE_URL), not on the Host the request named."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class HomeSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self):
        return ["portfolio:home"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        """The page shows the profile and every published card: the latest change of any of them."""
        cards = HubCard.objects.published().aggregate(updated=Max("updated_at"), synced=Max("synced_at"))
        profile = Profile.objects.filter(pk=Profile.SINGLETON_PK).values_list("updated_at", flat=True).first()
        return _latest(profile, cards["updated"], cards["synced"])


class HubCardSitemap(SiteSitemap):
    changefreq = "daily"  # sync_hub refreshes the numbers
    priority = 0.8

    def items(self):
        # HubCard.get_absolute_url gives each one's location.
        cards = HubCard.objects.published().only("kind", "repo_id", "updated_at", "synced_at")
        return cards.order_by("sort_order", "pk")

    def lastmod(self, card):
        return _latest(card.updated_at, card.synced_at)


SITEMAPS = {"home": HomeSitemap, "models": HubCardSitemap}
