from adminsortable2.admin import SortableTabularInline
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin

from contributions.models import Contribution, ContributionGroup
from portfolio.admin_site import SortableAdmin


@admin.display(description=_("Pull request"), ordering="number")
def pull_request(contribution):
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{} #{}</a>',
        contribution.pr_url,
        contribution.repository,
        contribution.number,
    )


class ContributionInline(SortableTabularInline):
    """The group's pull requests, in their order on the page: drag a row to move it within the group."""

    model = Contribution
    fields = ["title", pull_request, "is_published"]
    readonly_fields = ["title", pull_request]
    ordering = ["sort_order", "pk"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("Pull requests in this group (drag to reorder)")

    def has_add_permission(self, request, obj=None):
        return False  # a contribution is written on its own page, with its write-up


@admin.register(ContributionGroup)
class ContributionGroupAdmin(SortableAdmin, MarkdownxModelAdmin):
    # Groups are reordered by dragging the rows; their pull requests on the group's own page.
    list_display = ["title", "contribution_count"]
    search_fields = ["title", "intro"]
    inlines = [ContributionInline]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; keep the list (and any autocomplete) in order.
        queryset = super().get_queryset(request).annotate(contribution_count=Count("contributions"))
        return queryset.order_by(*ContributionGroup._meta.ordering)

    @admin.display(description=_("Pull requests"), ordering="contribution_count")
    def contribution_count(self, group):
        return group.contribution_count


@admin.register(Contribution)
class ContributionAdmin(MarkdownxModelAdmin):
    list_display = ["title", "group", pull_request, "notice_style", "sort_order", "is_published"]
    list_editable = ["sort_order", "is_published"]
    list_filter = ["is_published", "group", "notice_style", "repository"]
    search_fields = ["title", "writeup", "pr_url", "repository"]
    list_select_related = ["group"]
    readonly_fields = ["repository", "number", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["group", "pr_url", "title", "writeup", "notice_style"]}),
        (_("Publishing"), {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        (_("From the URL"), {"fields": ["repository", "number"], "classes": ["collapse"]}),
    ]
