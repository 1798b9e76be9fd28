"""What visitors see of the papers: the home page's Publications section, and every paper as one .bib file.

Both read only stored data, in a fixed number of queries whatever the number of papers.
"""

from __future__ import annotations

from itertools import groupby
from typing import NamedTuple

from django.http import HttpResponse

from models_showcase.papers import bibtex
from models_showcase.papers.models import Paper
from portfolio.models import Profile
from portfolio.page_cache import cached_page


class Author(NamedTuple):
    name: str
    is_owner: bool


class YearGroup(NamedTuple):
    year: int | None  # None: the Hub gave no date and the arXiv id tells none
    papers: list[Paper]


def _owner(profile: Profile | None) -> tuple[str, str]:
    """(Hub username, display name), lower-cased: what makes an author the owner."""
    if profile is None:
        return "", ""
    return profile.hub_username.strip().lower(), profile.display_name.strip().casefold()


def is_owner(author: dict, owner: tuple[str, str]) -> bool:
    """An author is the owner if the Hub account that claimed it is the profile's, or the name is the profile's."""
    username, display_name = owner
    user = str(author.get("user") or "").lower()
    name = " ".join(str(author.get("name") or "").split()).casefold()
    return bool((username and user == username) or (display_name and name == display_name))


def newest_first(papers) -> list[Paper]:
    """By year, newest first, undated last; within a year by date, then arXiv id (which is in time order)."""
    papers = sorted(papers, key=lambda p: (p.published_on.isoformat() if p.published_on else "", p.arxiv_id))
    papers.reverse()
    papers.sort(key=lambda p: (p.year is None, -(p.year or 0)))  # stable: the order above stays within a year
    return papers


def publications(*, drafts: bool = False, profile: Profile | None = None) -> list[YearGroup]:
    """The papers to show, newest year first (undated last), each with its authors (the owner marked), its
    BibTeX entry and the published cards citing it. Two queries (three without `profile`); drafts only if asked."""
    papers = Paper.objects.all() if drafts else Paper.objects.published()
    papers = list(papers.for_display())
    if profile is None:
        profile = Profile.objects.filter(pk=Profile.SINGLETON_PK).only("display_name", "hub_username").first()
    owner = _owner(profile)
    keys = bibtex.keys_for(papers)
    for paper in papers:
        paper.author_list = [Author(author["name"], is_owner(author, owner)) for author in paper.authors or []]
        paper.bibtex = bibtex.entry(paper, keys[paper.pk])
    papers = newest_first(papers)
    return [YearGroup(year, list(group)) for year, group in groupby(papers, key=lambda p: p.year)]


@cached_page
def publications_bib(request):
    """Every published paper as BibTeX, newest first: the same entries as the page's copy buttons."""
    papers = newest_first(Paper.objects.published())
    # No Content-Disposition: the page cache keeps only the type; the link's `download` names the file.
    return HttpResponse(bibtex.bibliography(papers), content_type="text/x-bibtex; charset=utf-8")
