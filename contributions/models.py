import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from portfolio.markdown import INTRO_MAX_LENGTH, WRITEUP_MAX_LENGTH, render_markdown, validate_markdown_renders
from portfolio.publishing import PublishableQuerySet

_PULL_REQUEST_URL = re.compile(
    r"^https?://(?:www\.)?github\.com/"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"(?P<repo>[A-Za-z0-9._-]{1,100})/"
    r"pull/(?P<number>[1-9][0-9]{0,9})"
    # Links copied from a PR's tabs or comments still name the same pull request.
    r"(?:/(?:files|commits|checks))?/?(?:[?#].*)?$"
)


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

    objects = PublishableQuerySet.as_manager()

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
