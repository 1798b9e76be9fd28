from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from huggingface_hub.utils import HFValidationError, validate_repo_id
from markdownx.models import MarkdownxField

from models_showcase.rendering import refresh_card_html
from models_showcase.stats import TREND_DAYS, trend
from portfolio.images import IMAGE_HELP, SanitizedImageField
from portfolio.markdown import WRITEUP_MAX_LENGTH, render_inline_markdown, render_markdown, validate_markdown_renders
from portfolio.publishing import PublishableQuerySet
from portfolio.syncing.state import SyncState


def validate_hub_model_id(value: str) -> None:
    """A Hub repo id (model, dataset or Space): `owner/name`, by the same rules huggingface_hub applies."""
    if value.count("/") != 1:
        raise ValidationError(_("Enter the Hub id as owner/name, e.g. dragonkue/BGE-m3-ko."), code="invalid_repo_id")
    try:
        validate_repo_id(value)
    except HFValidationError:
        raise ValidationError(
            _(
                "%(value)s is not a valid Hub id: use letters, digits, '-', '_' or '.', no '--' or '..', "
                "each part starting and ending with a letter or digit, at most 96 characters."
            ),
            code="invalid_repo_id",
            params={"value": value},
        ) from None


class Badge(models.Model):
    class Color(models.TextChoices):
        # The seed page's colours first. Each maps to a class in static/css/site.css,
        # because the page's CSP allows no inline style attributes.
        CORAL = "coral", _("Coral #ff6b6b")
        TEAL = "teal", _("Teal #4ecdc4")
        SKY = "sky", _("Sky #45b7d1")
        VIOLET = "violet", _("Violet #b39ddb")
        AMBER = "amber", _("Amber #ffd166")
        GREEN = "green", _("Green #8bd17c")
        PINK = "pink", _("Pink #f4a3c0")
        SLATE = "slate", _("Slate #cbd5e1")

    label = models.CharField(_("label"), max_length=40, unique=True, help_text=_('Text of the pill, e.g. "SOTA".'))
    emoji = models.CharField(
        _("emoji"), max_length=8, blank=True, help_text=_('Optional, shown before the label, e.g. "🏆".')
    )
    color = models.CharField(
        _("colour"), max_length=20, choices=Color.choices, default=Color.CORAL, help_text=_("Background of the pill.")
    )
    sort_order = models.PositiveSmallIntegerField(
        _("sort order"), default=0, help_text=_("Badges on a card are shown in this order.")
    )

    class Meta:
        ordering = ["sort_order", "label"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self):
        return f"{self.emoji} {self.label}".strip()


class Kind(models.TextChoices):
    """What a card shows: the Hub's three kinds of repository, each with its own listing and address."""

    MODEL = "model", _("model")
    DATASET = "dataset", _("dataset")
    SPACE = "space", _("Space")


# Where each kind lives on the Hub: `huggingface.co/<prefix><id>` (models have no prefix).
HUB_PREFIX = {Kind.MODEL: "", Kind.DATASET: "datasets/", Kind.SPACE: "spaces/"}
# And on this site: each kind's own page (models_showcase/urls.py).
PAGE_URL = {
    Kind.MODEL: "models_showcase:detail",
    Kind.DATASET: "models_showcase:dataset",
    Kind.SPACE: "models_showcase:space",
}


class HubCardQuerySet(PublishableQuerySet):
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


# The Hub's runtime stages (huggingface.js SpaceStage), as four states a visitor tells apart.
SPACE_STAGES = {
    "RUNNING": "running", "SLEEPING": "sleeping", "PAUSED": "sleeping", "STOPPED": "sleeping",
    "BUILDING": "building", "RUNNING_BUILDING": "building", "APP_STARTING": "building",
    "RUNNING_APP_STARTING": "building", "NO_APP_FILE": "error", "CONFIG_ERROR": "error",
}  # fmt: skip
STAGE_LABELS = {
    "running": _("Running"),
    "sleeping": _("Sleeping"),
    "building": _("Building"),
    "error": _("Error"),
}


class KindManager(models.Manager.from_queryset(HubCardQuerySet)):
    """Every card; on a proxy (ModelCard, DatasetCard, SpaceCard), the cards of its kind. Proxies inherit it."""

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.filter(kind=self.model.KIND) if self.model.KIND else queryset


# A card's summary, in characters of markdown: a few lines on the card, whatever the grid's width.
SUMMARY_LENGTH = 300


class HubCard(SyncState):  # the last sync's outcome: portfolio/syncing/state.py
    """One card for one of the owner's Hub repositories: a model, a dataset or a Space.

    The three kinds share everything the owner curates (order, badges, summary, write-up,
    publishing) and most of what the Hub says (downloads, likes, licence, tags, dates), so
    they share one table, one sync path and one card template; `kind` picks the Hub's
    listing, the card's kind-specific lines and its address. The admin and the model page
    use the proxies below (`ModelCard`, `DatasetCard`, `SpaceCard`), which each see one kind.
    The table keeps its first name, `models_showcase_modelcard`, from when cards were models only.
    """

    KIND: str | None = None  # set by each proxy: what a card created through it is

    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.MODEL, editable=False, db_index=True
    )
    repo_id = models.CharField(
        _("Hub id"),
        max_length=96,
        validators=[validate_hub_model_id],
        help_text=_("The repository's id on the Hugging Face Hub, owner/name, e.g. dragonkue/BGE-m3-ko."),
    )
    title = models.CharField(
        _("title"),
        max_length=120,
        blank=True,
        help_text=_("Shown as the card's link text. Leave blank to use the repository's name."),
    )
    # What the card on the home page says; the write-up below is for the model's own page.
    summary = models.TextField(
        _("summary"),
        max_length=SUMMARY_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(SUMMARY_LENGTH)],
        help_text=_(
            "Shown on the card on the home page: a sentence or two about what makes it notable, "
            "at most 300 characters. Markdown, inline only: **bold**, *italic*, `code`, [links](https://…)."
        ),
    )
    summary_html = models.TextField(_("summary html"), blank=True, editable=False)
    description = MarkdownxField(
        _("write-up"),
        blank=True,
        validators=[MaxLengthValidator(WRITEUP_MAX_LENGTH), validate_markdown_renders],
        help_text=_("Markdown, shown on the card's own page only: the full write-up, with tables, code and images."),
    )
    description_html = models.TextField(_("description html"), blank=True, editable=False)
    # The card as the home page shows it (models_showcase/rendering.py).
    card_html = models.TextField(_("card html"), blank=True, editable=False)
    badges = models.ManyToManyField(
        Badge,
        blank=True,
        related_name="cards",
        help_text=_("Pills shown at the top of the card."),
        verbose_name=_("badges"),
    )
    cover_image = SanitizedImageField(
        _("cover image"),
        upload_to="covers/",
        blank=True,
        help_text=format_lazy("{} {}", _("Optional picture at the top of the card."), IMAGE_HELP),
    )
    sort_order = models.PositiveIntegerField(
        _("sort order"), default=0, db_index=True, help_text=_("Lower numbers come first.")
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published cards appear on the site.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # ---- From the Hub: written only by sync_hub (models_showcase/hub/), never edited by hand ----
    downloads = models.PositiveBigIntegerField(_("downloads (30 days)"), null=True, editable=False)
    downloads_all_time = models.PositiveBigIntegerField(_("downloads (all time)"), null=True, editable=False)
    likes = models.PositiveIntegerField(_("likes"), null=True, editable=False)
    trending_score = models.FloatField(_("trending score"), null=True, editable=False)
    hub_last_modified = models.DateTimeField(_("last modified on the Hub"), null=True, editable=False)
    hub_created_at = models.DateTimeField(_("created on the Hub"), null=True, editable=False)
    pipeline_tag = models.CharField(_("pipeline tag"), max_length=100, blank=True, editable=False)
    library_name = models.CharField(_("library"), max_length=100, blank=True, editable=False)
    license = models.CharField(_("licence"), max_length=100, blank=True, editable=False)
    languages = models.JSONField(_("languages"), default=list, blank=True, editable=False)
    datasets = models.JSONField(_("datasets"), default=list, blank=True, editable=False)
    base_models = models.JSONField(_("base models"), default=list, blank=True, editable=False)
    parameters = models.PositiveBigIntegerField(_("parameter count"), null=True, editable=False)
    tags = models.JSONField(_("tags"), default=list, blank=True, editable=False)
    gated = models.CharField(
        _("gated"), max_length=10, blank=True, editable=False, help_text=_('"", "auto" or "manual".')
    )
    private = models.BooleanField(_("private"), null=True, editable=False)
    disabled = models.BooleanField(_("disabled"), null=True, editable=False)
    sha = models.CharField(_("revision"), max_length=64, blank=True, editable=False)
    # The Hub's own object id (`_id`): it survives a rename, so a renamed repo is still this card.
    hub_object_id = models.CharField(_("Hub object id"), max_length=40, blank=True, editable=False, db_index=True)
    # Datasets only
    size_category = models.CharField(_("size category"), max_length=40, blank=True, editable=False)
    task_categories = models.JSONField(_("task categories"), default=list, blank=True, editable=False)
    # The rows the dataset's card declares (`dataset_info.splits[].num_examples`): the Hub API has no other count.
    row_count = models.PositiveBigIntegerField(_("rows"), null=True, editable=False)
    # Spaces only
    sdk = models.CharField(_("SDK"), max_length=40, blank=True, editable=False)
    runtime_stage = models.CharField(_("runtime stage"), max_length=40, blank=True, editable=False)
    hardware = models.CharField(_("hardware"), max_length=60, blank=True, editable=False)
    models_used = models.JSONField(_("models used"), default=list, blank=True, editable=False)

    # ---- The owner's pick among the Hub's evaluation results, shown on the home page ----
    headline_metric = models.ForeignKey(
        "EvalResult",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("headline result"),
        help_text=_(
            "One evaluation result shown on the card, next to its badges (e.g. NDCG@10 on a benchmark). "
            "Choices appear after the first sync."
        ),
    )

    objects = KindManager()

    class Meta:
        db_table = "models_showcase_modelcard"
        ordering = ["sort_order", "repo_id"]
        verbose_name = _("Hub card")
        verbose_name_plural = _("Hub cards")
        constraints = [
            # The Hub treats ids case-insensitively, so one repository gets one card; a model and
            # a dataset may share a name (they are different repositories).
            models.UniqueConstraint(
                "kind",
                Lower("repo_id"),
                name="hubcard_unique_kind_repo_id",
                violation_error_message=_("There is already a card for this Hub repository."),
            ),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.KIND:  # a card made through a proxy is of its kind from the start (the unique check reads it)
            self.kind = self.KIND

    def __str__(self):
        return self.repo_id

    def save(self, *args, **kwargs):
        self.repo_id = self.repo_id.strip()
        if not self.title:
            self.title = self.name
        self.summary_html = render_inline_markdown(self.summary)
        self.description_html = render_markdown(self.description)
        if kwargs.get("update_fields") is None and not self._state.adding and self.pk is not None:
            # Saving an existing card writes only what the owner edits. An edit form opened
            # before a sync would otherwise put the old Hub numbers back (sync_hub writes the
            # Hub's fields with queryset updates, never through save()).
            kwargs["update_fields"] = OWNER_FIELDS
        super().save(*args, **kwargs)
        refresh_card_html([self.pk])

    def get_absolute_url(self):
        return reverse(PAGE_URL[self.kind], kwargs={"owner": self.owner, "name": self.name})

    @property
    def owner(self) -> str:
        return self.repo_id.partition("/")[0]

    @property
    def name(self) -> str:
        return self.repo_id.partition("/")[2]

    @property
    def anchor(self) -> str:
        return f"{self.kind}-" + self.repo_id.replace("/", "--")

    @property
    def hub_path(self) -> str:
        """The repository's path on the Hub, as the Hub writes it: `owner/name`, `datasets/…`, `spaces/…`."""
        return HUB_PREFIX[self.kind] + self.repo_id

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.hub_path}"

    @property
    def stage(self) -> str:
        """A Space's runtime stage as visitors read it: running, sleeping, building or error ("" if unknown)."""
        return SPACE_STAGES.get(self.runtime_stage, "error" if self.runtime_stage.endswith("ERROR") else "")

    def get_stage_display(self) -> str:
        return STAGE_LABELS.get(self.stage, "")

    @property
    def has_hub_stats(self) -> bool:
        return self.synced_at is not None

    def trend(self, *, today: date):
        """Change over the last month and the sparkline; needs `for_cards()`'s prefetch."""
        return trend(getattr(self, "recent_snapshots", []), today=today)


class ModelCard(HubCard):
    KIND = Kind.MODEL

    class Meta:
        proxy = True
        verbose_name, verbose_name_plural = _("model card"), _("model cards")


class DatasetCard(HubCard):
    KIND = Kind.DATASET

    class Meta:
        proxy = True
        verbose_name, verbose_name_plural = _("dataset card"), _("dataset cards")


class SpaceCard(HubCard):
    KIND = Kind.SPACE

    class Meta:
        proxy = True
        verbose_name, verbose_name_plural = _("Space card"), _("Space cards")


# What save() writes on an existing card; everything else belongs to sync_hub or is derived.
OWNER_FIELDS = [
    "repo_id", "title", "summary", "summary_html", "description", "description_html", "cover_image", "sort_order",
    "is_published", "headline_metric", "updated_at",
]  # fmt: skip


class EvalResult(models.Model):
    """One benchmark number from the model's Hub metadata: its `model-index`, or its `.eval_results` files."""

    class Source(models.TextChoices):
        MODEL_INDEX = "model-index", _("model-index (model card metadata)")
        EVAL_RESULTS = "eval-results", _(".eval_results files")

    card = models.ForeignKey(HubCard, on_delete=models.CASCADE, related_name="eval_results", verbose_name=_("card"))
    position = models.PositiveIntegerField(_("position"), default=0)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MODEL_INDEX)
    task_type = models.CharField(_("task type"), max_length=200, blank=True)
    task_name = models.CharField(_("task name"), max_length=200, blank=True)
    dataset_type = models.CharField(_("dataset type"), max_length=200, blank=True)
    dataset_name = models.CharField(_("dataset name"), max_length=200, blank=True)
    dataset_config = models.CharField(_("dataset config"), max_length=200, blank=True)
    dataset_split = models.CharField(_("dataset split"), max_length=200, blank=True)
    metric_type = models.CharField(_("metric type"), max_length=200, blank=True)
    metric_name = models.CharField(_("metric name"), max_length=200, blank=True)
    metric_value = models.FloatField(_("metric value"))
    verified = models.BooleanField(_("verified"), default=False)
    source_name = models.CharField(_("source name"), max_length=200, blank=True)
    source_url = models.URLField(_("source url"), max_length=500, blank=True)

    class Meta:
        ordering = ["card", "position"]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")

    def __str__(self):
        return f"{self.dataset_name or self.dataset_type} {self.metric_name or self.metric_type} = {self.metric_value}"


class HubSnapshot(models.Model):
    """The card's Hub numbers on one day: the history behind the trend lines."""

    card = models.ForeignKey(HubCard, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("card"))
    date = models.DateField(_("date"))
    downloads = models.PositiveBigIntegerField(_("downloads"), null=True)
    downloads_all_time = models.PositiveBigIntegerField(_("downloads all time"), null=True)
    likes = models.PositiveIntegerField(_("likes"), null=True)

    class Meta:
        ordering = ["card", "date"]
        verbose_name = _("Hub snapshot")
        verbose_name_plural = _("Hub snapshots")
        constraints = [models.UniqueConstraint(fields=["card", "date"], name="one_snapshot_per_card_per_day")]

    def __str__(self):
        return f"{self.card} on {self.date}"


# Papers live in their own subpackage; imported here so Django registers the model with this app.
from models_showcase.papers.models import Paper  # noqa: E402,F401
