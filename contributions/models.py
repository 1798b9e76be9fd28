from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from portfolio.markdown import INTRO_MAX_LENGTH, WRITEUP_MAX_LENGTH, render_markdown, validate_markdown_renders
from portfolio.publishing import PublishableQuerySet
from portfolio.syncing.errors import SyncErrorKind

_PULL_REQUEST_URL = re.compile(
    r"^https?://(?:www\.)?github\.com/"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"(?P<repo>[A-Za-z0-9._-]{1,100})/"
    r"pull/(?P<number>[1-9][0-9]{0,9})"
    # Links copied from a PR's tabs or comments still name the same pull request.
    r"(?:/(?:files|commits|checks))?/?(?:[?#].*)?$"
)


# The repository line's star trend: the change over this many days (as the model cards' trends).
STAR_TREND_DAYS = 30


@dataclass(frozen=True)
class PullRequestRef:
    owner: str
    repo: str
    number: int

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repository}/pull/{self.number}"


def parse_pull_request_url(value: str) -> PullRequestRef:
    match = _PULL_REQUEST_URL.match(value.strip())
    if not match or match["repo"] in {".", ".."}:
        raise ValidationError(
            _("Enter a GitHub pull request address, e.g. https://github.com/UKPLab/sentence-transformers/pull/2946."),
            code="invalid_pr_url",
        )
    return PullRequestRef(match["owner"], match["repo"], int(match["number"]))


def validate_pull_request_url(value: str) -> None:
    parse_pull_request_url(value)


class ContributionGroup(models.Model):
    """A heading with an optional introduction; several pull requests sit under it."""

    title = models.CharField(
        _("title"),
        max_length=150,
        unique=True,
        help_text=_('The heading, e.g. "sentence-transformers 라이브러리 개선".'),
    )
    intro = MarkdownxField(
        _("introduction"),
        blank=True,
        validators=[MaxLengthValidator(INTRO_MAX_LENGTH), validate_markdown_renders],
        help_text=_("Markdown shown under the heading, before its pull requests."),
    )
    intro_html = models.TextField(_("introduction HTML"), blank=True, editable=False)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0, help_text=_("Lower numbers come first."))

    class Meta:
        ordering = ["sort_order", "title"]
        verbose_name = _("contribution group")
        verbose_name_plural = _("contribution groups")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.intro_html = render_markdown(self.intro)
        super().save(*args, **kwargs)


class ContributionQuerySet(PublishableQuerySet):
    def with_github(self, *, today: date):
        """With what GitHub said of each pull request and its repository, and the repository's star trend.

        The trend is each repository's oldest and newest star count of the last STAR_TREND_DAYS
        days, as subqueries of this one query: it costs no query of its own however many
        repositories the page shows.
        """
        window = RepositoryStars.objects.filter(
            repository=OuterRef("pull_request__repository"), date__gte=today - timedelta(days=STAR_TREND_DAYS)
        )

        def end(order: str, field: str) -> Subquery:
            return Subquery(window.order_by(order).values(field)[:1])

        return self.select_related("group", "pull_request", "pull_request__repository").annotate(
            stars_since=end("date", "stars"),
            stars_since_date=end("date", "date"),
            stars_latest=end("-date", "stars"),
            stars_latest_date=end("-date", "date"),
        )


class Contribution(models.Model):
    class NoticeStyle(models.TextChoices):
        # The academicpages notice classes the seed page used.
        DEFAULT = "default", _("Default (grey)")
        PRIMARY = "primary", _("Primary (blue)")
        INFO = "info", _("Info (cyan)")
        SUCCESS = "success", _("Success (green)")
        WARNING = "warning", _("Warning (amber)")
        DANGER = "danger", _("Danger (red)")

    group = models.ForeignKey(
        ContributionGroup,
        on_delete=models.PROTECT,  # a group's pull requests must be moved or deleted first
        related_name="contributions",
        verbose_name=_("group"),
        help_text=_("The heading this pull request sits under."),
    )
    pr_url = models.CharField(
        _("pull request URL"),
        max_length=300,
        validators=[validate_pull_request_url],
        help_text=_("e.g. https://github.com/UKPLab/sentence-transformers/pull/2946"),
    )
    repository = models.CharField(
        _("repository"), max_length=140, editable=False, help_text=_("owner/repo, taken from the URL.")
    )
    number = models.PositiveIntegerField(
        _("number"), editable=False, help_text=_("The pull request's number, taken from the URL.")
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_('Heading of the write-up, e.g. "🎯 GISTEmbedLoss 1차 개선 (Multiple Negative 지원):".'),
    )
    writeup = MarkdownxField(
        _("write-up"),
        blank=True,
        validators=[MaxLengthValidator(WRITEUP_MAX_LENGTH), validate_markdown_renders],
        help_text=_("Markdown: the problem, the solution, the implementation, why it matters."),
    )
    writeup_html = models.TextField(_("write-up HTML"), blank=True, editable=False)
    notice_style = models.CharField(
        _("notice style"),
        max_length=10,
        choices=NoticeStyle.choices,
        default=NoticeStyle.SUCCESS,
        help_text=_("Colour of the box that links the pull request."),
    )
    sort_order = models.PositiveIntegerField(
        _("sort order"), default=0, help_text=_("Order within its group; lower comes first.")
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published contributions appear on the site.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        ordering = ["group__sort_order", "group__title", "sort_order", "pk"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(
                Lower("pr_url"),
                name="contribution_unique_pr_url",
                violation_error_message=_("This pull request already has a contribution."),
            ),
        ]

    def __str__(self):
        return self.title or self.pr_url

    def save(self, *args, **kwargs):
        ref = parse_pull_request_url(self.pr_url)
        self.pr_url, self.repository, self.number = ref.url, ref.repository, ref.number
        self.writeup_html = render_markdown(self.writeup)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portfolio:home") + f"#{self.anchor}"

    def clean(self):
        # Store one spelling per pull request, so the unique check sees copies of the same link.
        if self.pr_url:
            with contextlib.suppress(ValidationError):  # the field's validator reports a bad URL
                self.pr_url = parse_pull_request_url(self.pr_url).url

    @property
    def anchor(self) -> str:
        return f"pr-{self.repository.replace('/', '-')}-{self.number}".lower()

    @property
    def github(self) -> PullRequest | None:
        """What GitHub last said of this pull request (None until the first sync)."""
        try:
            return self.pull_request
        except PullRequest.DoesNotExist:
            return None


class GitHubRepository(models.Model):
    """A repository as GitHub last described it; shared by every contribution to it.

    Written only by sync_github (contributions/github/). `github_id` stays the same when the
    repository is renamed or transferred, so a moved repository keeps its row and history.
    """

    full_name = models.CharField(_("full name"), max_length=140, help_text=_("owner/name, as GitHub spells it now."))
    github_id = models.PositiveBigIntegerField(_("GitHub id"), null=True, blank=True, unique=True)
    description = models.CharField(_("description"), max_length=350, blank=True)
    stars = models.PositiveIntegerField(_("stars"), null=True, blank=True)
    language = models.CharField(_("primary language"), max_length=60, blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    etag = models.CharField(_("ETag"), max_length=200, blank=True, editable=False)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    sync_error = models.CharField(_("sync error"), max_length=300, blank=True)
    sync_error_kind = models.CharField(_("sync status"), max_length=20, choices=SyncErrorKind.choices, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("GitHub repository")
        verbose_name_plural = _("GitHub repositories")
        constraints = [models.UniqueConstraint(Lower("full_name"), name="github_repository_unique_full_name")]

    def __str__(self):
        return self.full_name

    @property
    def url(self) -> str:
        return f"https://github.com/{self.full_name}"


class RepositoryStars(models.Model):
    """A repository's stars on one day: the history behind its small trend."""

    repository = models.ForeignKey(
        GitHubRepository, on_delete=models.CASCADE, related_name="star_history", verbose_name=_("repository")
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    stars = models.PositiveIntegerField(_("stars"))

    class Meta:
        verbose_name = _("repository stars snapshot")
        verbose_name_plural = _("repository stars snapshots")
        constraints = [models.UniqueConstraint(fields=["repository", "date"], name="one_star_count_per_repo_per_day")]

    def __str__(self):
        return f"{self.repository}: {self.stars} on {self.date}"


class PullRequest(models.Model):
    """A contribution's pull request as GitHub last described it.

    A row of its own, written only by sync_github, so the owner's edits to the contribution
    (its write-up) and the sync's writes never touch the same row. Kept when GitHub later
    answers 404 (a deleted pull request or repository): the last known data stays on the page
    and `sync_error` says what happened.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DRAFT = "draft", _("Draft")
        MERGED = "merged", _("Merged")
        CLOSED = "closed", _("Closed unmerged")

    contribution = models.OneToOneField(
        Contribution,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pull_request",
        verbose_name=_("contribution"),
    )
    repository = models.ForeignKey(
        GitHubRepository,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pull_requests",
        verbose_name=_("repository"),
    )
    title = models.CharField(_("title on GitHub"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    additions = models.PositiveIntegerField(_("lines added"), null=True, blank=True)
    deletions = models.PositiveIntegerField(_("lines deleted"), null=True, blank=True)
    changed_files = models.PositiveIntegerField(_("files changed"), null=True, blank=True)
    commits = models.PositiveIntegerField(_("commits"), null=True, blank=True)
    comments = models.PositiveIntegerField(_("comments"), null=True, blank=True)
    review_comments = models.PositiveIntegerField(_("review comments"), null=True, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)  # label names, as GitHub lists them
    author_login = models.CharField(_("author"), max_length=39, blank=True)
    etag = models.CharField(_("ETag"), max_length=200, blank=True, editable=False)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    sync_error = models.CharField(_("sync error"), max_length=300, blank=True)
    sync_error_kind = models.CharField(_("sync status"), max_length=20, choices=SyncErrorKind.choices, blank=True)
    sync_warnings = models.JSONField(_("sync warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("pull request on GitHub")
        verbose_name_plural = _("pull requests on GitHub")

    def __str__(self):
        return self.title or str(self.contribution)

    @property
    def needs_attention(self) -> bool:
        """Closed without merging, an archived repository, or its last sync (or its repository's) failed."""
        repository = self.repository
        repository_flagged = repository is not None and (repository.archived or bool(repository.sync_error))
        return self.state == self.State.CLOSED or repository_flagged or bool(self.sync_error)


def number_contributions(contributions: Iterable[Contribution]) -> None:
    """Number the published contributions 1, 2, 3... in the order they were created (`notice_number`).

    The notice under each write-up reads "GitHub Contribution #N". Creation order, and not the
    page's order, is what keeps N stable: adding, reordering or renaming a group, or moving a
    pull request to another group, changes no number, and a new contribution takes the next
    one. Numbers stay consecutive, so only unpublishing or deleting a contribution moves the
    later ones down by one. `contributions` must hold every published contribution (the home
    page has them all); a draft gets no number (None).
    """
    contributions = list(contributions)
    for contribution in contributions:
        contribution.notice_number = None
    published = sorted((c for c in contributions if c.is_published), key=lambda c: (c.created_at, c.pk))
    for number, contribution in enumerate(published, start=1):
        contribution.notice_number = number
