from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, RegexValidator, URLValidator
from django.db import models
from django.urls import reverse
from markdownx.models import MarkdownxField

from portfolio.images import IMAGE_HELP, SanitizedImageField
from portfolio.markdown import render_markdown

validate_hub_username = RegexValidator(
    r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$",
    "A Hugging Face username uses letters, digits, '-', '_' or '.', "
    "starts and ends with a letter or digit, and has no '--' or '..'.",
)
validate_github_username = RegexValidator(
    r"^(?!.*--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$",
    "A GitHub username has up to 39 letters, digits or single hyphens, and does not start or end with a hyphen.",
)


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

    display_name = models.CharField(max_length=100, help_text="Your name as shown at the top of the sidebar.")
    hub_username = models.CharField(
        "Hugging Face username",
        max_length=96,
        validators=[validate_hub_username],
        help_text="Your Hub account, e.g. dragonkue. The profile notice links to it and "
        "sync_hub uses it to discover your models.",
    )
    github_username = models.CharField(
        "GitHub username",
        max_length=39,
        blank=True,
        validators=[validate_github_username],
        help_text="Optional. Adds a GitHub link to the sidebar.",
    )
    avatar = SanitizedImageField(
        upload_to="profile/",
        blank=True,
        help_text=f"Square picture for the sidebar. {IMAGE_HELP}",
    )
    bio = models.CharField(max_length=300, blank=True, help_text="One or two sentences under your name. Plain text.")
    site_title = models.CharField(
        max_length=100,
        default="HuggingFace Portfolio",
        help_text="The page heading and the browser tab title.",
    )
    notice_title = models.CharField(
        max_length=100,
        default="🤗 HuggingFace Profile",
        help_text="Heading of the highlighted box at the top of the page.",
    )
    intro = MarkdownxField(
        blank=True,
        help_text="Markdown shown in the profile box, under the link to your Hub profile.",
    )
    intro_html = models.TextField(blank=True, editable=False)
    models_heading = models.CharField(
        max_length=100, default="🏆 SOTA 모델들", help_text="Heading above the model cards."
    )
    contributions_heading = models.CharField(
        max_length=100, default="GitHub 기여", help_text="Heading above the contributions."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="profile_is_singleton"),
        ]

    def __str__(self):
        return self.display_name or "Profile"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        self.intro_html = render_markdown(self.intro)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portfolio:home")

    @classmethod
    def for_display(cls) -> "Profile":
        """The saved profile with its links, or an unsaved blank one before the owner has set it up."""
        return cls.objects.prefetch_related("links").filter(pk=cls.SINGLETON_PK).first() or cls()

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
        EMAIL = "email", "Email"
        WEBSITE = "website", "Website"
        SCHOLAR = "scholar", "Google Scholar"
        LINKEDIN = "linkedin", "LinkedIn"
        X = "x", "X (Twitter)"
        ORCID = "orcid", "ORCID"
        OTHER = "other", "Other"

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.WEBSITE,
        help_text="What the link is; Hugging Face and GitHub come from the usernames above.",
    )
    label = models.CharField(max_length=60, blank=True, help_text="Shown text. Leave blank to use the kind's name.")
    url = models.CharField(
        "address",
        max_length=300,
        help_text="An https:// address, or for Email just the email address.",
    )
    sort_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.display_label

    def clean(self):
        if self.kind == self.Kind.EMAIL:
            self.url = self.url.strip().removeprefix("mailto:")
            validators, message = [EmailValidator()], "Enter an email address, e.g. name@example.com."
        else:
            validators, message = [URLValidator(schemes=["http", "https"])], "Enter a full http:// or https:// address."
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
