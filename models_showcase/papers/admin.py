"""The papers in the admin: added by arXiv id or address (filled from the Hub on save), the Hub's data read-only."""

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from models_showcase.papers.fetch import store_fetched
from models_showcase.papers.forms import PaperForm, paper_fetch_messages
from models_showcase.papers.models import Paper
from portfolio.admin_site import AdminPillsMedia
from portfolio.models import SyncRun
from portfolio.syncing.admin import SyncActionAdmin, SyncStatusFilter, sync_state_icon, sync_warning_list

HUB_READONLY = [
    "title", "author_names", "published_on", "abstract", "upvotes", "github_url", "cited_by_list", "synced_at",
    "sync_error", "sync_error_kind", "sync_failed_at", "sync_warning_list",
]  # fmt: skip


@admin.register(Paper)
class PaperAdmin(SyncActionAdmin, admin.ModelAdmin):
    form = PaperForm
    # The admin builds its form fields itself, past the form's own callback: the same https default here.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["paper_title", "arxiv_id", "year", "upvotes", "is_published", "sync_state"]
    list_display_links = ["paper_title"]
    list_editable = ["is_published"]
    list_filter = ["is_published", SyncStatusFilter]
    search_fields = ["arxiv_id", "title", "venue", "note"]
    readonly_fields = ["created_at", "updated_at", *HUB_READONLY]
    actions = ["sync_selected"]
    # The Hub sync's own run (one lock with the cards): papers are named in it as `arxiv:<id>`.
    sync_kind = SyncRun.Kind.HUB
    change_list_template = "admin/models_showcase/paper/change_list.html"
    fieldsets = [
        (None, {"fields": ["arxiv_id", "venue", "note", "code_url"]}),
        (_("Publishing"), {"fields": ["is_published", "created_at", "updated_at"]}),
        (_("From the Hub (filled by sync_hub; not editable)"), {"fields": HUB_READONLY}),
    ]
    Media = AdminPillsMedia

    def sync_item_names(self, queryset):
        return [f"arxiv:{arxiv_id}" for arxiv_id in queryset.order_by("arxiv_id").values_list("arxiv_id", flat=True)]

    @admin.action(description=_("Sync selected from the Hub"), permissions=["change"])
    def sync_selected(self, request, queryset):
        super().sync_selected(request, queryset)

    def get_fieldsets(self, request, obj=None):
        # A paper being added has nothing from the Hub yet.
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj else fieldsets[:2]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cited_by")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fetched = getattr(form, "hub_fetch", None)
        if fetched is not None:
            store_fetched(obj, fetched, now=timezone.now())
            for level, text in paper_fetch_messages(fetched):
                self.message_user(request, text, level)

    @admin.display(description=_("Title"), ordering="title")
    def paper_title(self, paper):
        return paper.display_title

    @admin.display(description=_("Year"), ordering="published_on")
    def year(self, paper):
        return paper.year or "–"

    @admin.display(description=_("Sync"), ordering="sync_error_kind")
    def sync_state(self, paper):
        return sync_state_icon(paper)

    @admin.display(description=_("Authors"))
    def author_names(self, paper):
        return ", ".join(author.get("name", "") for author in paper.authors or []) or "–"

    @admin.display(description=_("Cited by"))
    def cited_by_list(self, paper):
        """The cards whose Hub tags cite the paper, each linked to its admin page."""
        cards = list(paper.cited_by.all())
        if not cards:
            return "–"
        # Each kind has its own list in the admin (ModelCard, DatasetCard, SpaceCard).
        site = self.admin_site.name
        rows = (
            (reverse(f"{site}:models_showcase_{card.kind}card_change", args=[card.pk]), card.hub_path) for card in cards
        )
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a></li>', rows))

    @admin.display(description=_("Sync warnings"))
    def sync_warning_list(self, paper):
        return sync_warning_list(paper)
