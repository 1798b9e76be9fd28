from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from markdownx.admin import MarkdownxModelAdmin

from models_showcase import evals
from models_showcase.hub import sync_cards
from models_showcase.locking import LockHeld, sync_lock
from models_showcase.models import Badge, EvalResult, ModelCard
from models_showcase.stats import compact

# An admin request must answer while the owner waits, and before gunicorn's worker timeout
# (30 s by default) kills it; cron's sync_hub has the long timeout.
ADMIN_SYNC_TIMEOUT = 20.0


def badge_pill(badge: Badge) -> str:
    return format_html('<span class="badge badge--{}">{}</span>', badge.color, badge)


class AdminPillsMedia:
    # The admin shows badges as visitors see them, as coloured pills.
    css = {"all": ["portfolio_admin/admin.css"]}


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "preview", "color", "sort_order", "card_count"]
    list_editable = ["color", "sort_order"]
    search_fields = ["label", "emoji"]
    Media = AdminPillsMedia

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; the autocomplete's pagination needs an order.
        return super().get_queryset(request).annotate(card_count=Count("cards")).order_by(*Badge._meta.ordering)

    @admin.display(description="Looks like")
    def preview(self, badge):
        return badge_pill(badge)

    @admin.display(description="Cards", ordering="card_count")
    def card_count(self, badge):
        return badge.card_count


class SyncStatusFilter(admin.SimpleListFilter):
    title = "sync status"
    parameter_name = "sync"

    def lookups(self, request, model_admin):
        return [("ok", "Synced"), ("never", "Never synced"), ("failed", "Failed (any reason)")] + [
            (kind, f"Failed: {label}") for kind, label in ModelCard._meta.get_field("sync_error_kind").choices
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "ok":
            return queryset.filter(synced_at__isnull=False, sync_error_kind="")
        if value == "never":
            return queryset.filter(synced_at__isnull=True, sync_error_kind="")
        if value == "failed":
            return queryset.exclude(sync_error_kind="")
        if value:
            return queryset.filter(sync_error_kind=value)
        return queryset


class ModelCardForm(forms.ModelForm):
    """The headline is picked among the card's own results, labelled as visitors read them, main scores first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("headline_metric")
        if field is None:
            return
        card = self.instance
        if card.pk is None:
            field.queryset = EvalResult.objects.none()  # a new card has no results yet
            return
        # One query, shared with the read-only summary below (it reads the form's instance).
        prefetch_related_objects([card], Prefetch("eval_results", queryset=EvalResult.objects.order_by("position")))
        main, other = evals.summarize(card.eval_results.all()).choices()
        field.queryset = EvalResult.objects.filter(card=card)
        field.error_messages["invalid_choice"] = (
            "That result is not among this card's now (a Hub sync may have replaced them since the page opened): "
            "pick again."
        )
        groups = [("Main score per dataset", main), ("Other results", other)]
        field.choices = [("", field.empty_label), *((group, choices) for group, choices in groups if choices)]


HUB_READONLY = [
    "downloads", "downloads_all_time", "likes", "trending_score", "parameters", "pipeline_tag", "library_name",
    "license", "languages", "datasets", "base_models", "tags", "gated", "private", "disabled", "sha",
    "hub_created_at", "hub_last_modified", "synced_at", "sync_error", "sync_error_kind", "sync_failed_at",
    "sync_warning_list",
]  # fmt: skip


@admin.register(ModelCard)
class ModelCardAdmin(MarkdownxModelAdmin):
    list_display = [
        "repo_id", "title", "badge_pills", "sort_order", "is_published", "downloads_compact", "likes", "synced_at",
        "sync_problem",
    ]  # fmt: skip
    list_display_links = ["repo_id"]
    list_editable = ["sort_order", "is_published"]
    list_filter = ["is_published", "badges", SyncStatusFilter, "library_name"]
    search_fields = ["repo_id", "title", "description"]
    autocomplete_fields = ["badges"]
    form = ModelCardForm
    # The results are shown, never posted: an inline formset would post row ids that a
    # sync may replace meanwhile, and the form could then not be saved.
    readonly_fields = ["created_at", "updated_at", *HUB_READONLY, "evaluation_summary"]
    actions = ["sync_selected"]
    fieldsets = [
        (None, {"fields": ["repo_id", "title", "badges", "headline_metric", "description", "cover_image"]}),
        ("Publishing", {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        (
            "From the Hub (filled by sync_hub; not editable)",
            {"fields": HUB_READONLY, "classes": ["collapse"]},
        ),
        ("Evaluation results (from the Hub; not editable)", {"fields": ["evaluation_summary"]}),
    ]
    Media = AdminPillsMedia

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("badges")

    def get_fieldsets(self, request, obj=None):
        # A card being added has nothing from the Hub yet.
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj else fieldsets[:2]

    @admin.display(description="Sync warnings")
    def sync_warning_list(self, card):
        """What the last sync could not read from the Hub (the card still synced); escaped, one per line."""
        if not card.sync_warnings:
            return "–"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((text,) for text in card.sync_warnings)))

    @admin.display(description="By task and dataset")
    def evaluation_summary(self, card):
        evaluation = evals.summarize(card.eval_results.all())  # prefetched by ModelCardForm
        if not evaluation:
            return "None: the model's Hub metadata lists no evaluation results."
        return render_to_string("models_showcase/_evals_admin.html", {"evaluation": evaluation})

    @admin.display(description="Badges")
    def badge_pills(self, card):
        return format_html_join(" ", "{}", ((badge_pill(badge),) for badge in card.badges.all()))

    @admin.display(description="Downloads (30 d)", ordering="downloads")
    def downloads_compact(self, card):
        return compact(card.downloads) if card.downloads is not None else "–"

    @admin.display(description="Sync error", ordering="sync_error_kind")
    def sync_problem(self, card):
        if not card.sync_error_kind:
            return ""
        return format_html('<span title="{}">⚠ {}</span>', card.sync_error, card.get_sync_error_kind_display())

    @admin.action(description="Sync selected from the Hub", permissions=["change"])
    def sync_selected(self, request, queryset):
        try:
            with sync_lock():
                report = sync_cards(queryset=queryset, timeout=ADMIN_SYNC_TIMEOUT)
        except LockHeld:
            self.message_user(request, "A sync is already running; try again in a minute.", messages.WARNING)
            return
        level = messages.SUCCESS if report.exit_code == 0 and not report.warning_count else messages.WARNING
        self.message_user(request, f"Hub sync: {report.summary()}.", level)
        for result in report.failed:
            self.message_user(request, f"{result.repo_id}: {result.error}", messages.ERROR)
        for result in report.results:
            for warning in result.warnings:
                self.message_user(request, f"{result.repo_id}: {warning}", messages.WARNING)
