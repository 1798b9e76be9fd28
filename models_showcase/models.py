from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from huggingface_hub.utils import HFValidationError, validate_repo_id
from markdownx.models import MarkdownxField

from portfolio.images import IMAGE_HELP, validate_image_extension
from portfolio.markdown import render_markdown
from portfolio.publishing import PublishableQuerySet


def validate_hub_model_id(value: str) -> None:
    """A Hub model id: `owner/name`, by the same rules huggingface_hub applies."""
    if value.count("/") != 1:
        raise ValidationError(
            "Enter the model's Hub id as owner/name, e.g. dragonkue/BGE-m3-ko.", code="invalid_repo_id"
        )
    try:
        validate_repo_id(value)
    except HFValidationError:
        raise ValidationError(
            "%(value)s is not a valid Hub id: use letters, digits, '-', '_' or '.', no '--' or '..', "
            "each part starting and ending with a letter or digit, at most 96 characters.",
            code="invalid_repo_id",
            params={"value": value},
        ) from None


class Badge(models.Model):
    class Color(models.TextChoices):
        # The seed page's colours first. Each maps to a class in static/css/site.css,
        # because the page's CSP allows no inline style attributes.
        CORAL = "coral", "Coral #ff6b6b"
        TEAL = "teal", "Teal #4ecdc4"
        SKY = "sky", "Sky #45b7d1"
        VIOLET = "violet", "Violet #b39ddb"
        AMBER = "amber", "Amber #ffd166"
        GREEN = "green", "Green #8bd17c"
        PINK = "pink", "Pink #f4a3c0"
        SLATE = "slate", "Slate #cbd5e1"

    label = models.CharField(max_length=40, unique=True, help_text='Text of the pill, e.g. "SOTA".')
    emoji = models.CharField(max_length=8, blank=True, help_text='Optional, shown before the label, e.g. "🏆".')
    color = models.CharField(
        "colour", max_length=20, choices=Color.choices, default=Color.CORAL, help_text="Background of the pill."
    )
    sort_order = models.PositiveSmallIntegerField(default=0, help_text="Badges on a card are shown in this order.")

    class Meta:
        ordering = ["sort_order", "label"]

    def __str__(self):
        return f"{self.emoji} {self.label}".strip()


class ModelCard(models.Model):
    repo_id = models.CharField(
        "Hub id",
        max_length=96,
        validators=[validate_hub_model_id],
        help_text="The model's id on the Hugging Face Hub, owner/name, e.g. dragonkue/BGE-m3-ko.",
    )
    title = models.CharField(
        max_length=120, blank=True, help_text="Shown as the card's link text. Leave blank to use the model's name."
    )
    description = MarkdownxField(
        blank=True, help_text="Markdown, shown on the card. A sentence or two about what makes the model notable."
    )
    description_html = models.TextField(blank=True, editable=False)
    badges = models.ManyToManyField(
        Badge, blank=True, related_name="cards", help_text="Pills shown at the top of the card."
    )
    cover_image = models.ImageField(
        upload_to="covers/",
        blank=True,
        validators=[validate_image_extension],
        help_text=f"Optional picture at the top of the card. {IMAGE_HELP}",
    )
    sort_order = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower numbers come first.")
    is_published = models.BooleanField("published", default=False, help_text="Only published cards appear on the site.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "repo_id"]
        verbose_name = "model card"
        constraints = [
            # The Hub treats ids case-insensitively, so one model gets one card.
            models.UniqueConstraint(
                Lower("repo_id"),
                name="modelcard_unique_repo_id",
                violation_error_message="There is already a card for this Hub model.",
            ),
        ]

    def __str__(self):
        return self.repo_id

    def save(self, *args, **kwargs):
        self.repo_id = self.repo_id.strip()
        if not self.title:
            self.title = self.name
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portfolio:home") + f"#{self.anchor}"

    @property
    def owner(self) -> str:
        return self.repo_id.partition("/")[0]

    @property
    def name(self) -> str:
        return self.repo_id.partition("/")[2]

    @property
    def anchor(self) -> str:
        return "model-" + self.repo_id.replace("/", "--")

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}"
