from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from huggingface_hub.utils import HFValidationError, validate_repo_id
from markdownx.models import MarkdownxField

from models_showcase.rendering import refresh_card_html
from models_showcase.stats import TREND_DAYS, trend
from portfolio.images import IMAGE_HELP, SanitizedImageField
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


class ModelCardQuerySet(PublishableQuerySet):
    def for_cards(self, *, today: date):
        """What a card on the page shows: badges, its headline result and the last month of snapshots."""
        since = today - timedelta(days=TREND_DAYS)
        return self.select_related("headline_metric").prefetch_related(
            "badges",
            models.Prefetch(
                "snapshots",
                queryset=HubSnapshot.objects.filter(date__gte=since).order_by("date"),
                to_attr="recent_snapshots",
            ),
        )


class SyncErrorKind(models.TextChoices):
    # As the Hub answers: a missing or private repo asked without a token is a 401, with
    # a token a 404; a 401 with a token means the token itself was refused. Gated models
    # answer normally (gating protects files, not metadata), so they are no error.
    NOT_FOUND = "not_found", "Not found (or private: set HF_TOKEN)"
    TOKEN_REJECTED = "token_rejected", "Token rejected: check HF_TOKEN"
    DISABLED = "disabled", "Disabled on the Hub"
    RATE_LIMITED = "rate_limited", "Rate limited"
    SERVER_ERROR = "server_error", "Hub server error"
    TIMEOUT = "timeout", "Timed out"
    NETWORK = "network", "Network unreachable"
    INVALID_RESPONSE = "invalid_response", "Unreadable answer"
    DEADLINE = "deadline", "Not reached before --timeout"


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
    # The card as the home page shows it (models_showcase/rendering.py).
    card_html = models.TextField(blank=True, editable=False)
    badges = models.ManyToManyField(
        Badge, blank=True, related_name="cards", help_text="Pills shown at the top of the card."
    )
    cover_image = SanitizedImageField(
        upload_to="covers/",
        blank=True,
        help_text=f"Optional picture at the top of the card. {IMAGE_HELP}",
    )
    sort_order = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower numbers come first.")
    is_published = models.BooleanField("published", default=False, help_text="Only published cards appear on the site.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # ---- From the Hub: written only by sync_hub (models_showcase/hub/), never edited by hand ----
    downloads = models.PositiveBigIntegerField("downloads (30 days)", null=True, editable=False)
    downloads_all_time = models.PositiveBigIntegerField("downloads (all time)", null=True, editable=False)
    likes = models.PositiveIntegerField(null=True, editable=False)
    trending_score = models.FloatField(null=True, editable=False)
    hub_last_modified = models.DateTimeField("last modified on the Hub", null=True, editable=False)
    hub_created_at = models.DateTimeField("created on the Hub", null=True, editable=False)
    pipeline_tag = models.CharField(max_length=100, blank=True, editable=False)
    library_name = models.CharField("library", max_length=100, blank=True, editable=False)
    license = models.CharField("licence", max_length=100, blank=True, editable=False)
    languages = models.JSONField(default=list, blank=True, editable=False)
    datasets = models.JSONField(default=list, blank=True, editable=False)
    base_models = models.JSONField("base models", default=list, blank=True, editable=False)
    parameters = models.PositiveBigIntegerField("parameter count", null=True, editable=False)
    tags = models.JSONField(default=list, blank=True, editable=False)
    gated = models.CharField(max_length=10, blank=True, editable=False, help_text='"", "auto" or "manual".')
    private = models.BooleanField(null=True, editable=False)
    disabled = models.BooleanField(null=True, editable=False)
    sha = models.CharField("revision", max_length=64, blank=True, editable=False)
    # The Hub's own object id (`_id`): it survives a rename, so a renamed repo is still this card.
    hub_object_id = models.CharField("Hub object id", max_length=40, blank=True, editable=False, db_index=True)

    # ---- The last sync of this card ----
    synced_at = models.DateTimeField("last synced", null=True, editable=False)
    sync_error = models.CharField(max_length=300, blank=True, editable=False)
    sync_error_kind = models.CharField(
        "sync status", max_length=20, choices=SyncErrorKind.choices, blank=True, editable=False
    )
    sync_failed_at = models.DateTimeField(null=True, editable=False)
    # What the last sync could not read (a malformed evaluation result, a missing number):
    # the card still synced; these say what was skipped or kept from before.
    sync_warnings = models.JSONField("sync warnings", default=list, blank=True, editable=False)

    # ---- The owner's pick among the Hub's evaluation results, shown on the home page ----
    headline_metric = models.ForeignKey(
        "EvalResult",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="One evaluation result shown on the card, next to its badges (e.g. NDCG@10 on a benchmark). "
        "Choices appear after the first sync.",
    )

    objects = ModelCardQuerySet.as_manager()

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
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk is not None:
            # Saving an existing card writes only what the owner edits. An edit form opened
            # before a sync would otherwise put the old Hub numbers back (sync_hub writes the
            # Hub's fields with queryset updates, never through save()).
            kwargs["update_fields"] = OWNER_FIELDS
        super().save(*args, **kwargs)
        refresh_card_html([self.pk])

    def get_absolute_url(self):
        return reverse("models_showcase:detail", kwargs={"owner": self.owner, "name": self.name})

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

    @property
    def has_hub_stats(self) -> bool:
        return self.synced_at is not None

    def trend(self, *, today: date):
        """Change over the last month and the sparkline; needs `for_cards()`'s prefetch."""
        return trend(getattr(self, "recent_snapshots", []), today=today)


# What save() writes on an existing card; everything else belongs to sync_hub or is derived.
OWNER_FIELDS = [
    "repo_id", "title", "description", "description_html", "cover_image", "sort_order", "is_published",
    "headline_metric", "updated_at",
]  # fmt: skip


class EvalResult(models.Model):
    """One benchmark number from the model's Hub metadata: its `model-index`, or its `.eval_results` files."""

    class Source(models.TextChoices):
        MODEL_INDEX = "model-index", "model-index (model card metadata)"
        EVAL_RESULTS = "eval-results", ".eval_results files"

    card = models.ForeignKey(ModelCard, on_delete=models.CASCADE, related_name="eval_results")
    position = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MODEL_INDEX)
    task_type = models.CharField(max_length=200, blank=True)
    task_name = models.CharField(max_length=200, blank=True)
    dataset_type = models.CharField(max_length=200, blank=True)
    dataset_name = models.CharField(max_length=200, blank=True)
    dataset_config = models.CharField(max_length=200, blank=True)
    dataset_split = models.CharField(max_length=200, blank=True)
    metric_type = models.CharField(max_length=200, blank=True)
    metric_name = models.CharField(max_length=200, blank=True)
    metric_value = models.FloatField()
    verified = models.BooleanField(default=False)
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["card", "position"]
        verbose_name = "evaluation result"

    def __str__(self):
        return f"{self.dataset_name or self.dataset_type} {self.metric_name or self.metric_type} = {self.metric_value}"


class HubSnapshot(models.Model):
    """The card's Hub numbers on one day: the history behind the trend lines."""

    card = models.ForeignKey(ModelCard, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    downloads = models.PositiveBigIntegerField(null=True)
    downloads_all_time = models.PositiveBigIntegerField(null=True)
    likes = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["card", "date"]
        constraints = [models.UniqueConstraint(fields=["card", "date"], name="one_snapshot_per_card_per_day")]

    def __str__(self):
        return f"{self.card} on {self.date}"
