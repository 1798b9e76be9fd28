from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from markdownx.admin import MarkdownxModelAdmin

from models_showcase.hub import sync_cards
from models_showcase.locking import LockHeld, sync_lock
from models_showcase.models import Badge, EvalResult, ModelCard
from models_showcase.stats import compact

# An admin request must answer while the owner waits; cron's sync_hub has the long timeout.
ADMIN_SYNC_TIMEOUT = 60.0


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


class EvalResultInline(admin.TabularInline):
    """Read-only: evaluation results come from the model's Hub metadata."""

    model = EvalResult
    fields = ["task_name", "dataset_name", "dataset_split", "metric_name", "metric_value", "verified"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "evaluation results (from the Hub's model-index)"

    def has_add_permission(self, request, obj=None):
        return False


HUB_READONLY = [
    "downloads", "downloads_all_time", "likes", "trending_score", "parameters", "pipeline_tag", "library_name",
    "license", "languages", "datasets", "base_models", "tags", "gated", "private", "disabled", "sha",
    "hub_created_at", "hub_last_modified", "synced_at", "sync_error", "sync_error_kind", "sync_failed_at",
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
    readonly_fields = ["created_at", "updated_at", *HUB_READONLY]
    inlines = [EvalResultInline]
    actions = ["sync_selected"]
    fieldsets = [
        (None, {"fields": ["repo_id", "title", "badges", "description", "cover_image"]}),
        ("Publishing", {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        (
            "From the Hub (filled by sync_hub; not editable)",
            {"fields": HUB_READONLY, "classes": ["collapse"]},
        ),
    ]
    Media = AdminPillsMedia

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("badges")

    def get_fieldsets(self, request, obj=None):
        # A card being added has nothing from the Hub yet.
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj else fieldsets[:2]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

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
        level = messages.SUCCESS if report.exit_code == 0 else messages.WARNING
        self.message_user(request, f"Hub sync: {report.summary()}.", level)
        for result in report.failed:
            self.message_user(request, f"{result.repo_id}: {result.error}", messages.ERROR)
