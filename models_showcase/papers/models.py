"""A paper of the owner's, keyed by its arXiv id: what the owner says of it, and what the Hub does."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portfolio.publishing import PublishableQuerySet
from portfolio.syncing.state import SyncState

# The card model that cites papers, named once here (and once in the migration) so it can be retargeted.
CARD_MODEL = "models_showcase.HubCard"

# arXiv's two id schemes (https://info.arxiv.org/help/arxiv_identifier.html): YYMM.NNNN until 2014, YYMM.NNNNN
# since, and before April 2007 archive[.SUBJECT-CLASS]/YYMMNNN. A version suffix (v2) names one revision: a paper
# is stored once, without it.
NEW_STYLE = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}")
OLD_STYLE = re.compile(r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?P<subject>\.[A-Za-z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}")
_VERSION = re.compile(r"v\d{1,3}$")
ARXIV_ID_MAX_LENGTH = 40


def normalize_arxiv_id(value: str) -> str:
    """An arXiv id as stored: trimmed, no version, the archive in lower case and its subject class in upper; "" if
    it is not one."""
    text = _VERSION.sub("", value.strip())
    match = NEW_STYLE.fullmatch(text)
    if match:
        # Four digits after the dot until 1412, five from 1501.
        five_digits = len(text.partition(".")[2]) == 5
        return text if five_digits == (match["yy"] + match["mm"] >= "1501") else ""
    archive, slash, number = text.partition("/")
    name, dot, subject = archive.partition(".")
    candidate = f"{name.lower()}{dot}{subject.upper()}{slash}{number}"
    return candidate if OLD_STYLE.fullmatch(candidate) else ""


def validate_arxiv_id(value: str) -> None:
    if not value or normalize_arxiv_id(value) != value:
        raise ValidationError(
            _("%(value)s is not an arXiv id: enter one like 1908.10084 or cs/0112017, without a version."),
            code="invalid_arxiv_id",
            params={"value": value},
        )


def year_of_id(arxiv_id: str) -> int | None:
    """The year of the arXiv id's YYMM (its first version), if the month is a real one."""
    match = NEW_STYLE.fullmatch(arxiv_id) or OLD_STYLE.fullmatch(arxiv_id)
    if match is None or not 1 <= int(match["mm"]) <= 12:
        return None
    yy = int(match["yy"])
    return (1900 if yy >= 91 else 2000) + yy  # arXiv started in August 1991


class PaperQuerySet(PublishableQuerySet):
    def for_display(self):
        """What the Publications section shows: each paper with the published cards that cite it (one query more)."""
        cards = self.model.cited_by.field.related_model.objects.published()
        # What a citation link needs (get_absolute_url reads the repo id), not each card's stored HTML.
        cards = cards.only("pk", "kind", "repo_id", "title").order_by("sort_order", "repo_id")
        return self.prefetch_related(models.Prefetch("cited_by", queryset=cards))


class Paper(SyncState):  # the last sync's outcome: portfolio/syncing/state.py
    arxiv_id = models.CharField(
        _("arXiv id"),
        max_length=ARXIV_ID_MAX_LENGTH,
        unique=True,
        validators=[validate_arxiv_id],
        error_messages={"unique": _("There is already a paper with this arXiv id.")},
        help_text=_("The paper's arXiv id, e.g. 1908.10084 (or cs/0112017), without a version."),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published papers appear on the site and in the .bib file.")
    )
    venue = models.CharField(
        _("venue"),
        max_length=200,
        blank=True,
        help_text=_('Where the paper appeared, e.g. "ACL 2024". Leave blank for a preprint.'),
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_('A short line shown under the paper, e.g. "Oral presentation". Plain text.'),
    )
    code_url = models.URLField(
        _("code address"),
        max_length=500,
        blank=True,
        help_text=_("The paper's code, if not the GitHub repository the Hub knows (shown instead of it)."),
    )
    cited_by = models.ManyToManyField(
        CARD_MODEL,
        blank=True,
        related_name="papers",
        verbose_name=_("cited by"),
        help_text=_("The cards whose Hub tags cite this paper (arxiv:…); kept up to date by sync_hub."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # ---- From the Hub's paper page: written only by sync_hub and the admin's fetch, never edited by hand ----
    title = models.CharField(_("title"), max_length=500, blank=True, editable=False)
    # [{"name": "Nils Reimers", "user": "nreimers"}, ...]: "user" is the Hub account of an author who claimed it, or "".
    authors = models.JSONField(_("authors"), default=list, blank=True, editable=False)
    published_on = models.DateField(_("published on"), null=True, editable=False)
    abstract = models.TextField(_("abstract"), blank=True, editable=False)
    upvotes = models.PositiveIntegerField(_("upvotes"), null=True, editable=False)
    github_url = models.URLField(_("GitHub repository"), max_length=500, blank=True, editable=False)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = [models.F("published_on").desc(nulls_last=True), "-arxiv_id"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self):
        return f"arXiv:{self.arxiv_id}" + (f" {self.title}" if self.title else "")

    def save(self, *args, **kwargs):
        self.arxiv_id = normalize_arxiv_id(self.arxiv_id) or self.arxiv_id.strip()
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk is not None:
            # As for cards: an edit form opened before a sync must not put the old Hub values back.
            kwargs["update_fields"] = PAPER_OWNER_FIELDS
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portfolio:home") + f"#{self.anchor}"

    @property
    def display_title(self) -> str:
        return self.title or f"arXiv:{self.arxiv_id}"

    @property
    def year(self) -> int | None:
        return self.published_on.year if self.published_on else year_of_id(self.arxiv_id)

    @property
    def anchor(self) -> str:
        return "paper-" + re.sub(r"[^A-Za-z0-9-]", "-", self.arxiv_id)

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def code(self) -> str:
        return self.code_url or self.github_url

    @property
    def has_hub_data(self) -> bool:
        return self.synced_at is not None


# What save() writes on an existing paper; the rest belongs to the sync.
PAPER_OWNER_FIELDS = ["arxiv_id", "is_published", "venue", "note", "code_url", "updated_at"]
