from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from markdownx.admin import MarkdownxModelAdmin

from contributions.models import Contribution, ContributionGroup


@admin.register(ContributionGroup)
class ContributionGroupAdmin(MarkdownxModelAdmin):
    list_display = ["title", "sort_order", "contribution_count"]
    list_editable = ["sort_order"]
    search_fields = ["title", "intro"]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; keep the list (and any autocomplete) in order.
        queryset = super().get_queryset(request).annotate(contribution_count=Count("contributions"))
        return queryset.order_by(*ContributionGroup._meta.ordering)

    @admin.display(description="Pull requests", ordering="contribution_count")
    def contribution_count(self, group):
        return group.contribution_count


@admin.register(Contribution)
class ContributionAdmin(MarkdownxModelAdmin):
    list_display = ["title", "group", "pull_request", "notice_style", "sort_order", "is_published"]
    list_editable = ["sort_order", "is_published"]
    list_filter = ["is_published", "group", "notice_style", "repository"]
    search_fields = ["title", "writeup", "pr_url", "repository"]
    list_select_related = ["group"]
    readonly_fields = ["repository", "number", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["group", "pr_url", "title", "writeup", "notice_style"]}),
        ("Publishing", {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        ("From the URL", {"fields": ["repository", "number"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Pull request", ordering="number")
    def pull_request(self, contribution):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{} #{}</a>',
            contribution.pr_url,
            contribution.repository,
            contribution.number,
        )
