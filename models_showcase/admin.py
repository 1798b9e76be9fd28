from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin

from models_showcase import evals
from models_showcase.forms import HubCardForm, ModelCardForm, hub_fetch_messages
from models_showcase.hub.fetch import store_fetched
from models_showcase.models import Badge, DatasetCard, HubCard, ModelCard, SpaceCard
from models_showcase.rendering import refresh_card_html
from portfolio.admin_site import AdminPillsMedia, SortableAdmin
from portfolio.image_admin import thumbnail_column
from portfolio.models import SyncRun
from portfolio.numbers import compact
from portfolio.syncing.admin import SyncActionAdmin, SyncStatusFilter, sync_state_icon, sync_warning_list


def badge_pill(badge: Badge) -> str:
    return format_html('<span class="badge badge--{}">{}</span>', badge.color, badge)


def swatch(color: str, label: str = "") -> str:
    # A class, not a style attribute: the CSP allows no inline style (admin.css has the palette).
    return format_html('<span class="swatch badge--{}" aria-hidden="true"></span> {}', color, label)


class ColorSwatches(forms.RadioSelect):
    """The palette as a row of radio buttons, each one the colour it picks (admin.css)."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["class"] = f"swatch swatch--choice badge--{option['value']}"
        return option


class BadgeForm(forms.ModelForm):
    class Meta:
        model = Badge
        fields = ["label", "emoji", "color"]
        widgets = {"color": ColorSwatches(attrs={"class": "swatches"})}


@admin.register(Badge)
class BadgeAdmin(SortableAdmin, admin.ModelAdmin):
    # Reordered by dragging the rows; the colour is picked on the badge's page, among swatches.
    list_display = ["__str__", "preview", "color_swatch", "card_count"]
    search_fields = ["label", "emoji"]
    form = BadgeForm
    Media = AdminPillsMedia

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; the autocomplete's pagination needs an order.
        return super().get_queryset(request).annotate(card_count=Count("cards")).order_by(*Badge._meta.ordering)

    def order_changed(self) -> None:
        # A card shows its badges in this order, in the HTML stored for it.
        refresh_card_html(HubCard.badges.through.objects.values_list("hubcard_id", flat=True))
        super().order_changed()

    @admin.display(description=_("Looks like"))
    def preview(self, badge):
        return badge_pill(badge)

    @admin.display(description=_("Colour"), ordering="color")
    def color_swatch(self, badge):
        return swatch(badge.color, badge.get_color_display())

    @admin.display(description=_("Cards"), ordering="card_count")
    def card_count(self, badge):
        return badge.card_count


# What the Hub says of each kind, shown read-only on the card's page.
HUB_COMMON = ["likes", "trending_score", "license", "languages", "tags", "private", "disabled", "sha"]
HUB_SYNC = ["hub_created_at", "hub_last_modified", "synced_at", "sync_error", "sync_error_kind", "sync_failed_at",
            "sync_warning_list"]  # fmt: skip
HUB_READONLY = [
    "downloads", "downloads_all_time", *HUB_COMMON, "parameters", "pipeline_tag", "library_name", "datasets",
    "base_models", "gated", *HUB_SYNC,
]  # fmt: skip
DATASET_READONLY = [
    "downloads", "downloads_all_time", *HUB_COMMON, "size_category", "task_categories", "row_count", "gated", *HUB_SYNC,
]  # fmt: skip
SPACE_READONLY = [*HUB_COMMON, "sdk", "runtime_stage", "hardware", "models_used", "datasets", *HUB_SYNC]


class HubCardAdmin(SyncActionAdmin, SortableAdmin, MarkdownxModelAdmin):
    """What the three kinds' lists share; each registers it for its proxy with its own Hub fields."""

    # Compact enough for a 1280 px screen with the filters beside it; reordered by dragging the rows.
    list_display = [
        thumbnail_column("cover_image", _("Cover")), "hub_id", "badge_pills", "is_published", "hub_stats", "sync_state",
    ]  # fmt: skip
    list_display_links = ["hub_id"]
    list_editable = ["is_published"]
    # The order the rows are dragged into (no second sort column: its marker would take a column's room).
    ordering = ["sort_order"]
    list_filter = ["is_published", "badges", SyncStatusFilter]
    search_fields = ["repo_id", "title", "summary", "description"]
    autocomplete_fields = ["badges"]
    form = HubCardForm
    hub_readonly = HUB_READONLY
    readonly_fields = ["created_at", "updated_at", *HUB_READONLY]
    actions = ["sync_selected"]
    sync_kind = SyncRun.Kind.HUB
    # adminsortable2's list, with the Hub sync's status line above it.
    change_list_template = "admin/models_showcase/modelcard/change_list.html"
    Media = AdminPillsMedia

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["repo_id", "title", "badges", *self.extra_owner_fields, "summary", "description",
                               "cover_image"]}),
            (_("Publishing"), {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        ]  # fmt: skip
        if obj is None:
            return fieldsets  # a card being added has nothing from the Hub yet
        hub = (
            _("From the Hub (filled by sync_hub; not editable)"),
            {"fields": self.hub_readonly, "classes": ["collapse"]},
        )
        return [*fieldsets, hub, *self.extra_fieldsets]

    extra_owner_fields: list[str] = []
    extra_fieldsets: list = []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("badges")

    def sync_item_names(self, queryset):
        # As sync_hub names them (`datasets/owner/name` ...), so that a run can tell the kinds apart.
        return [card.hub_path for card in queryset.order_by(*HubCard._meta.ordering).only("kind", "repo_id")]

    @admin.action(description=_("Sync selected from the Hub"), permissions=["change"])
    def sync_selected(self, request, queryset):
        super().sync_selected(request, queryset)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A card just added (or pointed at another model) is filled from what its form asked the Hub.
        fetched = getattr(form, "hub_fetch", None)
        if fetched is not None:
            store_fetched(obj, fetched, now=timezone.now())
            for level, text in hub_fetch_messages(fetched):
                self.message_user(request, text, level)

    @admin.display(description=_("Sync warnings"))
    def sync_warning_list(self, card):
        return sync_warning_list(card)

    @admin.display(description=_("Hub id"), ordering="repo_id")
    def hub_id(self, card):
        """The Hub id; under it the title, when the owner gave one other than the repo's name."""
        if card.title and card.title != card.name:
            return format_html('{}<span class="card-title">{}</span>', card.repo_id, card.title)
        return card.repo_id

    @admin.display(description=_("Badges"))
    def badge_pills(self, card):
        return format_html_join(" ", "{}", ((badge_pill(badge),) for badge in card.badges.all()))

    @admin.display(description=_("Stats"), ordering="downloads")
    def hub_stats(self, card):
        if card.downloads is None and card.likes is None:
            return "–"
        if card.kind == "space":  # Spaces have likes, no downloads
            return format_html(
                '<span class="hub-stats" title="{}">{} <span aria-hidden="true">♥</span>'
                '<span class="visually-hidden">{}</span></span>',
                gettext("Likes"),
                compact(card.likes),
                gettext("likes"),
            )
        return format_html(
            '<span class="hub-stats" title="{}">{} <span aria-hidden="true">↓</span>'
            '<span class="visually-hidden">{}</span> · {} <span aria-hidden="true">♥</span>'
            '<span class="visually-hidden">{}</span></span>',
            gettext("Downloads in the last 30 days, and likes"),
            compact(card.downloads),
            gettext("downloads"),
            compact(card.likes),
            gettext("likes"),
        )

    @admin.display(description=_("Sync"), ordering="sync_error_kind")
    def sync_state(self, card):
        return sync_state_icon(card)


@admin.register(ModelCard)
class ModelCardAdmin(HubCardAdmin):
    list_filter = [*HubCardAdmin.list_filter, "library_name"]
    form = ModelCardForm
    # The results are shown, never posted: an inline formset would post row ids that a
    # sync may replace meanwhile, and the form could then not be saved.
    readonly_fields = [*HubCardAdmin.readonly_fields, "evaluation_summary"]
    extra_owner_fields = ["headline_metric"]
    extra_fieldsets = [(_("Evaluation results (from the Hub; not editable)"), {"fields": ["evaluation_summary"]})]

    @admin.display(description=_("By task and dataset"))
    def evaluation_summary(self, card):
        evaluation = evals.summarize(card.eval_results.all())  # prefetched by ModelCardForm
        if not evaluation:
            return _("None: the model's Hub metadata lists no evaluation results.")
        return render_to_string("models_showcase/_evals_admin.html", {"evaluation": evaluation})


@admin.register(DatasetCard)
class DatasetCardAdmin(HubCardAdmin):
    hub_readonly = DATASET_READONLY
    readonly_fields = ["created_at", "updated_at", *DATASET_READONLY]


@admin.register(SpaceCard)
class SpaceCardAdmin(HubCardAdmin):
    hub_readonly = SPACE_READONLY
    readonly_fields = ["created_at", "updated_at", *SPACE_READONLY]


# The papers' admin (models_showcase/papers/admin.py) registers itself when imported.
from models_showcase.papers import admin as papers_admin  # noqa: E402,F401
