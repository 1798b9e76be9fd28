from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator, RegexValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from portfolio.i18n import remember_site_language
from portfolio.images import IMAGE_HELP, SanitizedImageField
from portfolio.markdown import INTRO_MAX_LENGTH, render_markdown, validate_markdown_renders
from portfolio.sections import HomeSection, Section, arranged, home_sections

validate_hub_username = RegexValidator(
    r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$",
    _(
        "A Hugging Face username uses letters, digits, '-', '_' or '.', "
        "starts and ends with a letter or digit, and has no '--' or '..'."
    ),
)
validate_github_username = RegexValidator(
    r"^(?!.*--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$",
    _("A GitHub username has up to 39 letters, digits or single hyphens, and does not start or end with a hyphen."),
)


def default_site_language() -> str:
    return settings.LANGUAGE_CODE


class SidebarLink(NamedTuple):
    label: str
    href: str

    @property
    def external(self) -> bool:
        """Web links open in a new tab; mailto: links do not."""
        return self.href.startswith(("http://", "https://"))


class Profile(models.Model):
    """The site owner: the sidebar, the profile notice and the section headings.

    There is exactly one row (pk 1); the admin never offers a second.
    """

    SINGLETON_PK = 1

    display_name = models.CharField(
        _("display name"), max_length=100, help_text=_("Your name as shown at the top of the sidebar.")
    )
    hub_username = models.CharField(
        _("Hugging Face username"),
        max_length=96,
        validators=[validate_hub_username],
        help_text=_(
            "Your Hub account, e.g. dragonkue. The profile notice links to it and "
            "sync_hub uses it to discover your models."
        ),
    )
    github_username = models.CharField(
        _("GitHub username"),
        max_length=39,
        blank=True,
        validators=[validate_github_username],
        help_text=_("Optional. Adds a GitHub link to the sidebar."),
    )
    avatar = SanitizedImageField(
        _("avatar"),
        upload_to="profile/",
        blank=True,
        help_text=format_lazy("{} {}", _("Square picture for the sidebar."), IMAGE_HELP),
    )
    bio = models.CharField(
        _("bio"), max_length=300, blank=True, help_text=_("One or two sentences under your name. Plain text.")
    )
    site_title = models.CharField(
        _("site title"),
        max_length=100,
        default="HuggingFace Portfolio",
        help_text=_("The page heading and the browser tab title."),
    )
    notice_title = models.CharField(
        _("notice title"),
        max_length=100,
        default="🤗 HuggingFace Profile",
        help_text=_("Heading of the highlighted box at the top of the page."),
    )
    intro = MarkdownxField(
        _("intro"),
        blank=True,
        validators=[MaxLengthValidator(INTRO_MAX_LENGTH), validate_markdown_renders],
        help_text=_("Markdown shown in the profile box, under the link to your Hub profile."),
    )
    intro_html = models.TextField(_("intro html"), blank=True, editable=False)
    models_heading = models.CharField(
        _("models heading"), max_length=100, default="🏆 SOTA 모델들", help_text=_("Heading above the model cards.")
    )
    contributions_heading = models.CharField(
        _("contributions heading"),
        max_length=100,
        default="GitHub 기여",
        help_text=_("Heading above the contributions."),
    )
    # Blank means the default heading in the site's language: a stored default would stay
    # English on a Korean page (the two headings above predate the site speaking two languages).
    datasets_heading = models.CharField(
        _("datasets heading"),
        max_length=100,
        blank=True,
        help_text=_("Heading above the dataset cards. Leave blank for “Datasets” in the language of the site."),
    )
    spaces_heading = models.CharField(
        _("Spaces heading"),
        max_length=100,
        blank=True,
        help_text=_("Heading above the Space cards. Leave blank for “Spaces” in the language of the site."),
    )
    publications_heading = models.CharField(
        _("publications heading"),
        max_length=100,
        blank=True,
        help_text=_("Heading above the papers. Leave blank for “Publications” in the language of the site."),
    )
    sections = models.JSONField(
        _("sections of the home page"),
        default=list,
        blank=True,
        help_text=_(
            "Which sections the home page shows, and in what order: lower positions come first. "
            "A section with nothing published in it is never shown."
        ),
    )
    language = models.CharField(
        _("language of the site"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_site_language,
        help_text=_("The language of the public pages: their labels, and the <html lang> of the page."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="profile_is_singleton"),
        ]

    def __str__(self):
        return self.display_name or "Profile"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        self.intro_html = render_markdown(self.intro)
        previous = Profile.objects.filter(pk=self.pk).values_list("language", flat=True).first()
        super().save(*args, **kwargs)
        remember_site_language(self.language)
        if previous is not None and previous != self.language:
            # The stored cards carry the site's words ("Details", "updated"): say them in the new language.
            from models_showcase.models import HubCard
            from models_showcase.rendering import refresh_card_html

            refresh_card_html(HubCard.objects.values_list("pk", flat=True))

    def get_absolute_url(self):
        return reverse("portfolio:home")

    @classmethod
    def for_display(cls) -> "Profile":
        """The saved profile with its links, or an unsaved blank one before the owner has set it up."""
        return cls.objects.prefetch_related("links").filter(pk=cls.SINGLETON_PK).first() or cls()

    def headings(self) -> dict[str, str]:
        """Each section's heading: the owner's words, or the default in the site's language."""
        return {
            Section.MODELS: self.models_heading,
            Section.DATASETS: self.datasets_heading or _("Datasets"),
            Section.SPACES: self.spaces_heading or _("Spaces"),
            Section.PUBLICATIONS: self.publications_heading or _("Publications"),
            Section.CONTRIBUTIONS: self.contributions_heading,
        }

    def home_sections(self, context: dict) -> list[HomeSection]:
        """The sections the home page shows, in the owner's order: those shown and not empty in `context`."""
        return home_sections(arranged(self.sections), self.headings(), context)

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.hub_username}" if self.hub_username else ""

    @property
    def github_url(self) -> str:
        return f"https://github.com/{self.github_username}" if self.github_username else ""

    def sidebar_links(self) -> list[SidebarLink]:
        """The Hub and GitHub accounts first, then the owner's own links."""
        links = []
        if self.hub_url:
            links.append(SidebarLink("Hugging Face", self.hub_url))
        if self.github_url:
            links.append(SidebarLink("GitHub", self.github_url))
        if self.pk:
            links += [SidebarLink(link.display_label, link.href) for link in self.links.all()]
        return links


class ProfileLink(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBSITE = "website", _("Website")
        SCHOLAR = "scholar", _("Google Scholar")
        LINKEDIN = "linkedin", _("LinkedIn")
        X = "x", _("X (Twitter)")
        ORCID = "orcid", _("ORCID")
        OTHER = "other", _("Other")

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="links", verbose_name=_("profile"))
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.WEBSITE,
        help_text=_("What the link is; Hugging Face and GitHub come from the usernames above."),
    )
    label = models.CharField(
        _("label"), max_length=60, blank=True, help_text=_("Shown text. Leave blank to use the kind's name.")
    )
    url = models.CharField(
        _("address"),
        max_length=300,
        help_text=_("An https:// address, or for Email just the email address."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0, help_text=_("Lower numbers come first."))

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self):
        return self.display_label

    def clean(self):
        if self.kind == self.Kind.EMAIL:
            self.url = self.url.strip().removeprefix("mailto:")
            validators, message = [EmailValidator()], _("Enter an email address, e.g. name@example.com.")
        else:
            validators, message = (
                [URLValidator(schemes=["http", "https"])],
                _("Enter a full http:// or https:// address."),
            )
        for validator in validators:
            try:
                validator(self.url)
            except ValidationError:
                raise ValidationError({"url": message}) from None

    @property
    def display_label(self) -> str:
        return self.label or self.get_kind_display()

    @property
    def href(self) -> str:
        return f"mailto:{self.url}" if self.kind == self.Kind.EMAIL else self.url


class SyncRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING])


class SyncRun(models.Model):
    """One sync started from the admin: which sync, who, which items, how far it got and how it ended.

    The admin queues it; `manage.py <kind> --run-id N` runs it in its own process and writes
    its progress and outcome here (portfolio/syncing/runs.py).
    """

    class Kind(models.TextChoices):
        # The value is the management command that runs it.
        HUB = "sync_hub", _("Hub sync")
        GITHUB = "sync_github", _("GitHub sync")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("sync"), max_length=20, choices=Kind.choices, default=Kind.HUB)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by")
    )
    # As the items were named when the run was queued (Hub ids, pull request URLs): the run syncs these only.
    items = models.JSONField(_("items"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True)
    finished_at = models.DateTimeField(_("finished"), null=True)
    total = models.PositiveIntegerField(_("items to sync"), default=0)
    done = models.PositiveIntegerField(_("items done"), default=0)
    synced_count = models.PositiveIntegerField(_("synced"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # [{"item", "error", "kind"}] and [{"item", "warning"}] (item "" for the run itself).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")

    def __str__(self):
        return _("%(sync)s of %(when)s") % {
            "sync": self.get_kind_display(),
            "when": timezone.localtime(self.queued_at).strftime("%Y-%m-%d %H:%M:%S"),
        }

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
