from itertools import groupby
from typing import NamedTuple

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.views.static import serve

from contributions.models import Contribution, number_contributions
from models_showcase.models import ModelCard
from models_showcase.rendering import refresh_card_html
from portfolio.models import Profile
from portfolio.page_cache import cached_page, shows_drafts


class StoredCard(NamedTuple):
    html: str
    is_draft: bool


def card_html(*, drafts: bool = False) -> list[StoredCard]:
    """Each card's stored HTML, in order: one query, however many cards. Drafts only if asked."""
    cards = ModelCard.objects.all() if drafts else ModelCard.objects.published()
    rows = list(cards.values_list("pk", "card_html", "is_published"))
    missing = [pk for pk, html, _ in rows if not html]
    if missing:  # cards saved before fragments existed, or written around save()
        refresh_card_html(missing)
        rows = list(cards.values_list("pk", "card_html", "is_published"))
    return [StoredCard(html, not is_published) for _, html, is_published in rows]


@cached_page
def home(request):
    """The portfolio page: profile notice, model grid, contributions by group.

    Staff see the drafts too, each marked as one. A fixed number of queries whatever the
    amount of content (pinned in tests).
    """
    drafts = shows_drafts(request)
    contributions = Contribution.objects.all() if drafts else Contribution.objects.published()
    contributions = list(contributions.select_related("group"))
    number_contributions(contributions)
    groups = [(group, list(items)) for group, items in groupby(contributions, key=lambda c: c.group)]
    cards = card_html(drafts=drafts)
    return render(
        request,
        "portfolio/home.html",
        {
            "profile": Profile.for_display(),
            "cards": cards,
            "contribution_groups": groups,
        },
    )


def media(request, path: str):
    """Uploaded files, when no web server in front serves them (DJANGO_SERVE_MEDIA).

    Every upload was re-encoded on the way in; SecurityMiddleware adds nosniff and
    the CSP middleware its policy, so a file can only ever be the image it claims.
    """
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def robots_txt(request):
    """Crawlers may read every public page; not the admin nor the markdown editor's endpoints."""
    prefix = get_script_prefix()
    # A moved admin (DJANGO_ADMIN_URL) stays unnamed: robots.txt is public, and the
    # admin's own pages already tell crawlers not to index them.
    admin = [f"Disallow: {prefix}{settings.ADMIN_URL}"] if settings.ADMIN_URL == "admin/" else []
    lines = [
        "User-agent: *",
        *admin,
        f"Disallow: {prefix}markdownx/",
        "Allow: /",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('portfolio:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request):
    """Browsers (and the admin's pages) ask for /favicon.ico; the site's icon is an SVG.

    The address is computed here, per request: in production the static storage maps
    the name to its hashed file, which exists only after collectstatic. Temporary, so
    that a browser never keeps an old hashed address.
    """
    return HttpResponseRedirect(static("favicon.svg"))
