from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from markdownx.admin import MarkdownxModelAdmin

from models_showcase.models import Badge, ModelCard


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
        return super().get_queryset(request).annotate(card_count=Count("cards"))

    @admin.display(description="Looks like")
    def preview(self, badge):
        return badge_pill(badge)

    @admin.display(description="Cards", ordering="card_count")
    def card_count(self, badge):
        return badge.card_count


@admin.register(ModelCard)
class ModelCardAdmin(MarkdownxModelAdmin):
    list_display = ["repo_id", "title", "badge_pills", "sort_order", "is_published", "updated_at"]
    list_display_links = ["repo_id"]
    list_editable = ["sort_order", "is_published"]
    list_filter = ["is_published", "badges"]
    search_fields = ["repo_id", "title", "description"]
    autocomplete_fields = ["badges"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["repo_id", "title", "badges", "description", "cover_image"]}),
        ("Publishing", {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
    ]
    Media = AdminPillsMedia

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("badges")

    @admin.display(description="Badges")
    def badge_pills(self, card):
        return format_html_join(" ", "{}", ((badge_pill(badge),) for badge in card.badges.all()))
