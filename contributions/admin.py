from itertools import pairwise

from adminsortable2.admin import SortableTabularInline
from django.contrib import admin
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin

from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest
from portfolio.admin_site import AdminPillsMedia, SortableAdmin
from portfolio.models import SyncRun
from portfolio.numbers import compact
from portfolio.syncing.admin import SyncActionAdmin, SyncStatusFilter, sync_error_text, sync_state_icon


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


# ---- What sync_github stored: shown beside the owner's write-up, never edited here ----


def never_synced(pr: PullRequest | None) -> bool:
    return pr is None or (pr.synced_at is None and not pr.sync_error)


def attention_reasons(pr: PullRequest, *, errors: bool = True) -> list[str]:
    """Why the owner should look at this pull request; the ⚠ flag's words. Nothing is hidden for it."""
    reasons = []
    if pr.state == PullRequest.State.CLOSED:
        reasons.append(gettext("Closed without being merged"))
    repository = pr.repository
    if repository is not None and repository.archived:
        reasons.append(gettext("The repository is archived"))
    if errors and pr.sync_error:
        reasons.append(gettext("Sync error: %(error)s") % {"error": sync_error_text(pr)})
    if errors and repository is not None and repository.sync_error:
        reasons.append(gettext("Repository sync error: %(error)s") % {"error": sync_error_text(repository)})
    return reasons


def state_pill(pr: PullRequest | None) -> str:
    """The state as a pill, then ⚠ with its reasons on hover (and for screen readers); ○ if never synced."""
    return render_to_string(
        "admin/contributions/_state.html",
        {
            "pull_request": pr,
            "never_synced": never_synced(pr),
            "reasons": "\n".join(attention_reasons(pr)) if pr else "",
        },
    )


def short_datetime(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def figure(value: int | None) -> str:
    return "–" if value is None else formats.number_format(value, force_grouping=True)


def bullet_list(items, css_class: str = "") -> str:
    items = list(items)
    if not items:
        return "–"
    attributes = format_html(' class="{}"', css_class) if css_class else ""
    return format_html("<ul{}>{}</ul>", attributes, format_html_join("", "<li>{}</li>", ((i,) for i in items)))


# Filters: never synced is no pull request row yet, or one whose first sync neither succeeded nor failed.
NEVER_SYNCED = Q(pull_request__isnull=True) | Q(pull_request__synced_at__isnull=True, pull_request__sync_error="")


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Flagged (any reason)")),
            ("closed", _("Closed unmerged")),
            ("archived", _("Archived repository")),
            ("error", _("Sync error")),
            ("never", _("Not synced yet")),
        ]

    def queryset(self, request, queryset):
        closed = Q(pull_request__state=PullRequest.State.CLOSED)
        archived = Q(pull_request__repository__archived=True)
        # A failed pull request, or a failed repository (the pull request itself may have synced).
        error = Q(pull_request__sync_error__gt="") | Q(pull_request__repository__sync_error__gt="")
        chosen = {"any": closed | archived | error, "closed": closed, "archived": archived, "error": error}
        if self.value() == "never":
            return queryset.filter(NEVER_SYNCED)
        if self.value() in chosen:
            return queryset.filter(chosen[self.value()])
        return queryset


class StateFilter(admin.SimpleListFilter):
    title = _("state on GitHub")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*PullRequest.State.choices, ("never", _("Not synced yet"))]

    def queryset(self, request, queryset):
        if self.value() == "never":
            return queryset.filter(NEVER_SYNCED)
        if self.value() in PullRequest.State.values:
            return queryset.filter(pull_request__state=self.value())
        return queryset


# The "On GitHub" section's rows: each reads contribution.github, fetched with the contribution.
GITHUB_ROWS = [
    "github_state", "github_title", "github_dates", "github_changes", "github_commits", "github_comments",
    "github_labels", "github_author", "github_repository", "github_synced", "github_error", "github_warnings",
]  # fmt: skip
RELATED = ("group", "pull_request", "pull_request__repository")


@admin.register(Contribution)
class ContributionAdmin(SyncActionAdmin, MarkdownxModelAdmin):
    list_display = ["title", "group", pull_request, "github_column", "notice_style", "sort_order", "is_published"]
    list_editable = ["sort_order", "is_published"]
    list_filter = ["is_published", NeedsAttentionFilter, StateFilter, "group", "notice_style", "repository"]
    search_fields = ["title", "writeup", "pr_url", "repository"]
    list_select_related = RELATED
    # Everything GitHub says is a row of its own (PullRequest), written by sync_github only: the
    # form below has no field for it, so saving the write-up can never change or overwrite it.
    readonly_fields = ["repository", "number", "created_at", "updated_at", *GITHUB_ROWS]
    fieldsets = [
        (None, {"fields": ["group", "pr_url", "title", "writeup", "notice_style"]}),
        (_("On GitHub (filled by sync_github; not editable)"), {"fields": GITHUB_ROWS}),
        (_("Publishing"), {"fields": ["is_published", "sort_order", "created_at", "updated_at"]}),
        (_("From the URL"), {"fields": ["repository", "number"], "classes": ["collapse"]}),
    ]
    Media = AdminPillsMedia
    actions = ["sync_selected"]
    sync_kind = SyncRun.Kind.GITHUB
    # The list with sync_github's status line above it, while a run started here goes on.
    change_list_template = "admin/contributions/contribution/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*RELATED)

    def sync_item_names(self, queryset):
        return list(queryset.order_by("pk").values_list("pr_url", flat=True))

    @admin.action(description=_("Sync selected from GitHub"), permissions=["change"])
    def sync_selected(self, request, queryset):
        super().sync_selected(request, queryset)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # a contribution being added has not been synced
            return [fieldset for fieldset in fieldsets if fieldset[1]["fields"] != GITHUB_ROWS]
        if never_synced(obj.github):
            return [
                (title, {**options, "fields": ["github_state"]})
                if options["fields"] == GITHUB_ROWS
                else (title, options)
                for title, options in fieldsets
            ]
        return fieldsets

    @admin.display(description=_("On GitHub"), ordering="pull_request__state")
    def github_column(self, contribution):
        return state_pill(contribution.github)

    @admin.display(description=_("State"))
    def github_state(self, contribution):
        pr = contribution.github
        if never_synced(pr):
            return gettext("Not synced yet: the next sync_github run fills this in.")
        # The errors have their own row below; here what GitHub says of the pull request itself.
        reasons = attention_reasons(pr, errors=False)
        return format_html("{}{}", state_pill(pr), bullet_list(reasons, "gh-attention") if reasons else "")

    @admin.display(description=_("Title on GitHub"))
    def github_title(self, contribution):
        pr = contribution.github
        if not pr.title:
            return "–"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', contribution.pr_url, pr.title
        )

    @admin.display(description=_("Dates"))
    def github_dates(self, contribution):
        pr = contribution.github
        dates = [
            (gettext("Opened %(date)s"), pr.opened_at),
            (gettext("Merged %(date)s"), pr.merged_at),
            (gettext("Closed %(date)s"), None if pr.merged_at else pr.closed_at),
        ]
        shown = [text % {"date": formats.date_format(timezone.localtime(when))} for text, when in dates if when]
        return " · ".join(shown) or "–"

    @admin.display(description=_("Changes"))
    def github_changes(self, contribution):
        pr = contribution.github
        if pr.additions is None and pr.deletions is None and pr.changed_files is None:
            return "–"
        # The public page's words (templates/contributions/_pull_request.html), so one translation serves both.
        files = ngettext("%(files)s file", "%(files)s files", pr.changed_files or 0) % {
            "files": figure(pr.changed_files)
        }
        return format_html(
            '<span class="gh-added">+{}<span class="visually-hidden"> {}</span></span> '
            '<span class="gh-deleted">−{}<span class="visually-hidden"> {}</span></span> · {}',
            figure(pr.additions),
            gettext("lines added"),
            figure(pr.deletions),
            gettext("lines deleted"),
            files,
        )

    @admin.display(description=_("Commits"))
    def github_commits(self, contribution):
        return figure(contribution.github.commits)

    @admin.display(description=_("Comments"))
    def github_comments(self, contribution):
        pr = contribution.github
        if pr.comments is None and pr.review_comments is None:
            return "–"
        comments = ngettext("%(count)s comment", "%(count)s comments", pr.comments or 0)
        reviews = ngettext("%(count)s review comment", "%(count)s review comments", pr.review_comments or 0)
        return " · ".join([comments % {"count": figure(pr.comments)}, reviews % {"count": figure(pr.review_comments)}])

    @admin.display(description=_("Labels"))
    def github_labels(self, contribution):
        labels = [str(label) for label in contribution.github.labels or []]
        if not labels:
            return "–"
        return format_html_join(" ", '<span class="gh-label">{}</span>', ((label,) for label in labels))

    @admin.display(description=_("Author"))
    def github_author(self, contribution):
        login = contribution.github.author_login
        if not login:
            return "–"
        return format_html(
            '<a href="https://github.com/{}" target="_blank" rel="noopener noreferrer">@{}</a>', login, login
        )

    @admin.display(description=_("Repository"))
    def github_repository(self, contribution):
        repository = contribution.github.repository
        if repository is None:
            return "–"
        change_url = reverse(f"{self.admin_site.name}:contributions_githubrepository_change", args=[repository.pk])
        return render_to_string(
            "admin/contributions/_repository.html", {"repository": repository, "change_url": change_url}
        )

    @admin.display(description=_("Last synced"))
    def github_synced(self, contribution):
        synced_at = contribution.github.synced_at
        return short_datetime(synced_at) if synced_at else gettext("Never synced")

    @admin.display(description=_("Sync error"))
    def github_error(self, contribution):
        """The pull request's and its repository's: the data above is what the last good sync stored."""
        pr = contribution.github
        errors = [sync_error_text(pr)] if pr.sync_error else []
        if pr.repository is not None and pr.repository.sync_error:
            errors.append(gettext("Repository: %(error)s") % {"error": sync_error_text(pr.repository)})
        return bullet_list(errors, "gh-errors")

    @admin.display(description=_("Sync warnings"))
    def github_warnings(self, contribution):
        return bullet_list(str(warning) for warning in contribution.github.sync_warnings or [])


@admin.register(GitHubRepository)
class GitHubRepositoryAdmin(admin.ModelAdmin):
    """The repositories sync_github describes; read-only, since the next sync would replace any edit."""

    list_display = ["full_name", "stars_column", "language", "archived_pill", "sync_column", "pull_request_count"]
    list_filter = ["archived", SyncStatusFilter, "language"]
    search_fields = ["full_name", "description"]
    fields = [
        "github_link", "description", "stars", "language", "archived", "synced_at", "sync_column", "star_history_table",
        "contribution_list",
    ]  # fmt: skip
    readonly_fields = fields
    Media = AdminPillsMedia

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering.
        queryset = super().get_queryset(request).annotate(pull_request_count=Count("pull_requests"))
        return queryset.order_by(*GitHubRepository._meta.ordering)

    def has_add_permission(self, request):
        return False  # a repository is added by syncing a contribution to it

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Full name"))
    def github_link(self, repository):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', repository.url, repository.full_name
        )

    @admin.display(description=_("Stars"), ordering="stars")
    def stars_column(self, repository):
        return compact(repository.stars)

    @admin.display(description=_("Archived"), ordering="archived")
    def archived_pill(self, repository):
        # A flag, not the admin's ✓/✗ icons: an archived repository is something to look at, not a success.
        if not repository.archived:
            return ""
        return format_html('<span class="gh-state gh-state--archived">{}</span>', gettext("archived"))

    @admin.display(description=_("Sync"), ordering="sync_error_kind")
    def sync_column(self, repository):
        return sync_state_icon(repository)

    @admin.display(description=_("Pull requests"), ordering="pull_request_count")
    def pull_request_count(self, repository):
        return repository.pull_request_count

    @admin.display(description=_("Star history"))
    def star_history_table(self, repository):
        """The last 30 days with a count, newest first, each with its change from the day before."""
        days = list(repository.star_history.order_by("-date")[:31])
        if not days:
            return "–"
        rows = [(day, day.stars - earlier.stars if earlier else None) for day, earlier in pairwise([*days, None])]
        return render_to_string("admin/contributions/_star_history.html", {"rows": rows[:30]})

    @admin.display(description=_("Contributions"))
    def contribution_list(self, repository):
        prs = repository.pull_requests.select_related("contribution").order_by("contribution__number")
        links = (
            (reverse(f"{self.admin_site.name}:contributions_contribution_change", args=[pr.pk]), pr.contribution)
            for pr in prs
        )
        return bullet_list(format_html('<a href="{}">{}</a>', url, contribution) for url, contribution in links)
