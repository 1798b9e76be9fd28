import os
import stat
from collections import Counter
from dataclasses import astuple, dataclass
from itertools import groupby
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.static import was_modified_since

from contributions.models import Contribution, number_contributions
from models_showcase.models import HubCard, Kind
from models_showcase.papers.views import publications
from models_showcase.rendering import refresh_card_html
from portfolio import media_types
from portfolio.models import Profile
from portfolio.numbers import compact
from portfolio.page_cache import cached_page, shows_drafts
from portfolio.templatetags.seo import absolute_url


class StoredCard(NamedTuple):
    html: str
    is_draft: bool
    downloads: int | None  # the Hub's numbers, for the profile notice's totals
    likes: int | None


def card_html(*, drafts: bool = False) -> dict[str, list[StoredCard]]:
    """Each card's stored HTML by kind, in order: one query, however many cards. Drafts only if asked."""
    cards = HubCard.objects.all() if drafts else HubCard.objects.published()
    fields = ("pk", "kind", "card_html", "is_published", "downloads", "likes")
    rows = list(cards.values_list(*fields))
    missing = [row[0] for row in rows if not row[2]]
    if missing:  # cards saved before fragments existed, or written around save()
        refresh_card_html(missing)
        rows = list(cards.values_list(*fields))
    by_kind: dict[str, list[StoredCard]] = {kind: [] for kind in Kind.values}
    for _, kind, html, is_published, downloads, likes in rows:
        by_kind.setdefault(kind, []).append(StoredCard(html, not is_published, downloads, likes))
    return by_kind


@dataclass(frozen=True)
class Totals:
    """The profile notice's line of numbers: what is published, counted from what the page already read."""

    models: int = 0
    datasets: int = 0
    spaces: int = 0
    papers: int = 0
    downloads: int = 0  # in the last 30 days, as the Hub counts them
    likes: int = 0

    def __bool__(self) -> bool:
        return any(astuple(self))


def totals(cards: dict[str, list[StoredCard]], *, papers: int) -> Totals:
    """Published cards by kind, their downloads (Spaces have none) and likes; `papers` as counted by the caller."""
    published = [(kind, card) for kind, kind_cards in cards.items() for card in kind_cards if not card.is_draft]
    count = Counter(kind for kind, _ in published)
    return Totals(
        models=count[Kind.MODEL],
        datasets=count[Kind.DATASET],
        spaces=count[Kind.SPACE],
        papers=papers,
        downloads=sum(card.downloads or 0 for kind, card in published if kind != Kind.SPACE),
        likes=sum(card.likes or 0 for _, card in published),
    )


@dataclass(frozen=True)
class StarTrend:
    change: int  # stars gained (or lost) between the oldest and newest snapshot of the window
    days: int

    @property
    def signed_change(self) -> str:
        """1234 -> "+1.2k", -5 -> "-5": compact as the cards' numbers, with its sign."""
        return ("+" if self.change > 0 else "") + compact(self.change)


def star_trend(contribution) -> StarTrend | None:
    """As the cards' likes trend: the newest snapshot of the window minus the oldest (None before a second day)."""
    since, latest = contribution.stars_since_date, contribution.stars_latest_date
    if since is None or latest is None or latest <= since:
        return None
    return StarTrend(contribution.stars_latest - contribution.stars_since, (latest - since).days)


@cached_page
def home(request):
    """The portfolio page: profile notice with totals, then the sections in the owner's order.

    Staff see the drafts too, each marked as one. A fixed number of queries whatever the
    amount of content (pinned in tests): each contribution comes with what GitHub said of
    its pull request and repository, and the repository's star trend, in one query.
    """
    drafts = shows_drafts(request)
    contributions = Contribution.objects.all() if drafts else Contribution.objects.published()
    contributions = list(contributions.with_github(today=timezone.localdate()))
    for contribution in contributions:
        contribution.star_trend = star_trend(contribution)
    number_contributions(contributions)
    groups = [(group, list(items)) for group, items in groupby(contributions, key=lambda c: c.group)]
    cards = card_html(drafts=drafts)
    profile = Profile.for_display()
    years = publications(drafts=drafts, profile=profile)  # two queries: the papers, and the cards citing them
    context = {
        "profile": profile,
        "totals": totals(cards, papers=sum(paper.is_published for year in years for paper in year.papers)),
        "publication_years": years,
        "cards": cards[Kind.MODEL],
        "dataset_cards": cards[Kind.DATASET],
        "space_cards": cards[Kind.SPACE],
        "contribution_groups": groups,
    }
    # In the owner's order, those shown and with something in them (portfolio/sections.py).
    context["sections"] = profile.home_sections(context)
    return render(request, "portfolio/home.html", context)


def media(request, path: str):
    """Uploaded files, when no web server in front serves them (DJANGO_SERVE_MEDIA).

    Only the images uploads produce are served, and only if the extension and the first bytes
    agree (portfolio/media_types.py): anything else is a 404, so a file a tampered backup put in
    MEDIA_ROOT (evil.html, evil.svg, evil.js) never runs from the site's origin. The file is opened
    without following a link, and checked and sent from that one open file. SecurityMiddleware
    adds nosniff and the CSP middleware its policy.
    """
    content_type = media_types.type_by_name(path)
    try:
        full_path = safe_join(settings.MEDIA_ROOT, path)
    except SuspiciousFileOperation:
        raise Http404 from None
    # MEDIA_ROOT itself may be a link (a mount elsewhere); nothing under it may be.
    real_root = os.path.realpath(settings.MEDIA_ROOT)
    unlinked = os.path.join(real_root, os.path.relpath(full_path, os.path.abspath(settings.MEDIA_ROOT)))
    if content_type is None or os.path.realpath(full_path) != unlinked:
        raise Http404  # not an image's name, or a link somewhere on the way
    try:
        handle = open(os.open(full_path, os.O_RDONLY | os.O_NOFOLLOW), "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404 from None
    status = os.fstat(handle.fileno())
    head = handle.read(media_types.HEAD_SIZE)
    if not stat.S_ISREG(status.st_mode) or media_types.type_by_content(head) != content_type:
        handle.close()
        raise Http404
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), status.st_mtime):
        handle.close()
        return HttpResponseNotModified()
    handle.seek(0)
    response = FileResponse(handle, content_type=content_type)
    response["Last-Modified"] = http_date(status.st_mtime)
    response["Content-Length"] = status.st_size
    return response


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
        f"Sitemap: {absolute_url(reverse('portfolio:sitemap'))}",  # on SITE_URL, whatever the Host said
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request):
    """Browsers (and the admin's pages) ask for /favicon.ico; the site's icon is an SVG.

    The address is computed here, per request: in production the static storage maps
    the name to its hashed file, which exists only after collectstatic. Temporary, so
    that a browser never keeps an old hashed address.
    """
    return HttpResponseRedirect(static("favicon.svg"))
