from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin

from models_showcase import evals, sync_runs
from models_showcase.forms import ModelCardForm, hub_fetch_messages
from models_showcase.hub.fetch import store_fetched
from models_showcase.models import Badge, ModelCard, SyncRun
from models_showcase.rendering import refresh_card_html
from models_showcase.stats import compact
from portfolio.admin_site import SortableAdmin
from portfolio.image_admin import thumbnail_column


def badge_pill(badge: Badge) -> str:
    return format_html('<span class="badge badge--{}">{}</span>', badge.color, badge)


def swatch(color: str, label: str = "") -> str:
    # A class, not a style attribute: the CSP allows no inline style (admin.css has the palette).
    return format_html('<span class="swatch badge--{}" aria-hidden="true"></span> {}', color, label)


class AdminPillsMedia:
    # The admin shows badges as visitors see them, as coloured pills.
    css = {"all": ["portfolio_admin/admin.css"]}


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
        refresh_card_html(ModelCard.badges.through.objects.values_list("modelcard_id", flat=True))
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


class SyncStatusFilter(admin.SimpleListFilter):
    title = _("sync status")
    parameter_name = "sync"

    def lookups(self, request, model_admin):
        return [("ok", _("Synced")), ("never", _("Never synced")), ("failed", _("Failed (any reason)"))] + [
            (kind, format_lazy(_("Failed: {}"), label))
            for kind, label in ModelCard._meta.get_field("sync_error_kind").choices
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


HUB_READONLY = [
    "downloads", "downloads_all_time", "likes", "trending_score", "parameters", "pipeline_tag", "library_name",
    "license", "languages", "datasets", "base_models", "tags", "gated", "private", "disabled", "sha",
    "hub_created_at", "hub_last_modified", "synced_at", "sync_error", "sync_error_kind", "sync_failed_at",
    "sync_warning_list",
]  # fmt: skip


@admin.register(ModelCard)
class ModelCardAdmin(SortableAdmin, MarkdownxModelAdmin):
    # Compact enough for a 1280 px screen with the filters beside it; reordered by dragging the rows.
    list_display = [
        thumbnail_column("cover_image", _("Cover")), "hub_id", "badge_pills", "is_published", "hub_stats", "sync_state",
    ]  # fmt: skip
    list_display_links = ["hub_id"]
    list_editable = ["is_published"]
    # The order the rows are dragged into (no second sort column: its marker would take a column's room).
    ordering = ["sort_order"]
    list_filter = ["is_published", "badges", SyncStatusFilter, "library_name"]
    search_fields = ["repo_id", "title", "summary", "description"]
    autocomplete_fields = ["badges"]
    form = ModelCardForm
    # The results are shown, never posted: an inline formset would post row ids that a
    # sync may replace meanwhile, and the form could then not be saved.
    readonly_fields = ["created_at", "updated_at", *HUB_READONLY, "evaluation_summary"]
    actions = ["sync_selected"]
    # adminsortable2's list, with the Hub sync's status line above it.
    change_list_template = "admin/models_showcase/modelcard/change_list.html"
    fieldsets = [
        (None, {"fields": ["repo_id", "title", "badges", "headline_metric", "summary", "description", "cover_image"]}),
        (_("Publishing"), {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        (
            _("From the Hub (filled by sync_hub; not editable)"),
            {"fields": HUB_READONLY, "classes": ["collapse"]},
        ),
        (_("Evaluation results (from the Hub; not editable)"), {"fields": ["evaluation_summary"]}),
    ]
    Media = AdminPillsMedia

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("badges")

    def get_fieldsets(self, request, obj=None):
        # A card being added has nothing from the Hub yet.
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj else fieldsets[:2]

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
        """What the last sync could not read from the Hub (the card still synced); escaped, one per line."""
        if not card.sync_warnings:
            return "–"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((text,) for text in card.sync_warnings)))

    @admin.display(description=_("By task and dataset"))
    def evaluation_summary(self, card):
        evaluation = evals.summarize(card.eval_results.all())  # prefetched by ModelCardForm
        if not evaluation:
            return _("None: the model's Hub metadata lists no evaluation results.")
        return render_to_string("models_showcase/_evals_admin.html", {"evaluation": evaluation})

    @admin.display(description=_("Hub id"), ordering="repo_id")
    def hub_id(self, card):
        """The Hub id; under it the title, when the owner gave one other than the model's name."""
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
        """An icon; what it means on hover, and for screen readers. The filter "sync status" lists each kind."""
        if card.sync_error_kind:
            icon, state = "⚠", "failed"
            text = f"{card.get_sync_error_kind_display()}: {card.sync_error}"
        elif card.synced_at:
            icon, state = "✓", "ok"
            when = formats.date_format(timezone.localtime(card.synced_at), "SHORT_DATETIME_FORMAT")
            text = gettext("Synced %(when)s") % {"when": when}
        else:
            icon, state = "○", "never"
            text = gettext("Never synced")
        return format_html(
            '<span class="sync-state sync-state--{}" title="{}"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span></span>',
            state,
            text,
            icon,
            text,
        )

    # ---- Hub sync from the admin: queued here, run by its own process (models_showcase/sync_runs.py) ----

    @admin.action(description=_("Sync selected from the Hub"), permissions=["change"])
    def sync_selected(self, request, queryset):
        try:
            run = sync_runs.queue(cards=queryset, user=request.user)
        except sync_runs.AlreadyRunning:
            message = _("A Hub sync is already running: its progress shows above the list. Try again when it is done.")
            self.message_user(request, message, messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "Hub sync queued for %(count)d card: %(cards)s. Its progress shows above the list.",
                "Hub sync queued for %(count)d cards: %(cards)s. Its progress shows above the list.",
                run.total,
            )
            % {"count": run.total, "cards": name_cards(run.repo_ids)},
            messages.SUCCESS,
        )

    def get_urls(self):
        status = path(
            "sync-status/",
            self.admin_site.admin_view(self.sync_status_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_sync_status",
        )
        return [status, *super().get_urls()]

    def sync_status_context(self, request) -> dict:
        run = sync_runs.latest()
        return {
            "sync_run": run,
            "sync_status_url": reverse(f"{self.admin_site.name}:models_showcase_modelcard_sync_status"),
            "sync_runs_url": reverse(f"{self.admin_site.name}:models_showcase_syncrun_changelist"),
            "sync_run_url": run and reverse(f"{self.admin_site.name}:models_showcase_syncrun_change", args=[run.pk]),
        }

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**self.sync_status_context(request), **(extra_context or {})})

    def sync_status_view(self, request):
        """The latest run's status line, as JSON, for static/portfolio_admin/sync_status.js to poll."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = self.sync_status_context(request)
        run = context["sync_run"]
        html = render_to_string("admin/models_showcase/_sync_status.html", context, request=request)
        return JsonResponse(
            {
                "run": run and run.pk,
                "status": run and run.status,
                "active": bool(run and run.is_active),
                "done": run and run.done,
                "total": run and run.total,
                "html": html,
            }
        )


def name_cards(repo_ids: list[str], shown: int = 3) -> str:
    """The cards' Hub ids as they are written, the first few of many."""
    if len(repo_ids) <= shown:
        return ", ".join(repo_ids)
    more = len(repo_ids) - shown
    return ngettext("%(cards)s and %(count)d more", "%(cards)s and %(count)d more", more) % {
        "cards": ", ".join(repo_ids[:shown]),
        "count": more,
    }


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    """Every Hub sync started from the admin, newest first; written by the runs, read here."""

    list_display = ["queued_at", "status_icon", "started_by", "cards", "counts", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["started_by"]
    fields = [
        "status", "started_by", "queued_at", "started_at", "finished_at", "cards", "counts", "summary",
        "error_list", "warning_list",
    ]  # fmt: skip
    readonly_fields = fields
    Media = AdminPillsMedia

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Status"), ordering="status")
    def status_icon(self, run):
        return render_to_string("admin/models_showcase/_sync_run_state.html", {"run": run})

    @admin.display(description=_("Cards"))
    def cards(self, run):
        return name_cards(run.repo_ids)

    @admin.display(description=_("Outcome"))
    def counts(self, run):
        if run.is_active:
            return gettext("%(done)d of %(total)d cards") % {"done": run.done, "total": run.total}
        if run.status == SyncRun.Status.FAILED and not run.done:
            return gettext(run.summary)
        return render_to_string("admin/models_showcase/_sync_run_counts.html", {"run": run})

    @admin.display(description=_("Errors"))
    def error_list(self, run):
        items = ((error["repo_id"], error["error"]) for error in run.errors)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items)) if run.errors else "–"

    @admin.display(description=_("Warnings"))
    def warning_list(self, run):
        items = ((w["repo_id"] or gettext("the run"), w["warning"]) for w in run.warnings)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items)) if run.warnings else "–"
