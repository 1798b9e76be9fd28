"""The admin's side of the syncs: a "Sync from …" action that does not block, its status line, and the runs.

A list's admin mixes `SyncActionAdmin` in and says which sync it starts (`sync_kind`) and how
its rows are named to that sync (`sync_item_names`); the run itself happens in a process of
its own (runs.py), and the list shows its progress.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portfolio.models import SyncRun
from portfolio.syncing import runs
from portfolio.syncing.errors import SyncErrorKind


def name_items(items: list[str], shown: int = 3) -> str:
    """The items as they are written, the first few of many."""
    if len(items) <= shown:
        return ", ".join(items)
    more = len(items) - shown
    return ngettext("%(items)s and %(count)d more", "%(items)s and %(count)d more", more) % {
        "items": ", ".join(items[:shown]),
        "count": more,
    }


def sync_error_text(item) -> str:
    """A synced row's error with its kind as the admin words it: "Not found (…): not found on GitHub (…)"."""
    if not item.sync_error_kind:
        return item.sync_error
    return f"{item.get_sync_error_kind_display()}: {item.sync_error}"


def sync_warning_list(item) -> str:
    """What the last sync could not read (the item still synced), escaped, one per line; a dash if nothing."""
    if not item.sync_warnings:
        return "–"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((text,) for text in item.sync_warnings)))


def sync_state_icon(item) -> str:
    """✓, ⚠ or ○ for a synced row (`synced_at`, `sync_error`, `sync_error_kind`); what it means on hover,
    and for screen readers. The filter "sync status" lists each kind."""
    if item.sync_error_kind or item.sync_error:
        icon, state, text = "⚠", "failed", sync_error_text(item)
    elif item.synced_at:
        when = formats.date_format(timezone.localtime(item.synced_at), "SHORT_DATETIME_FORMAT")
        icon, state, text = "✓", "ok", gettext("Synced %(when)s") % {"when": when}
    else:
        icon, state, text = "○", "never", gettext("Never synced")
    return format_html(
        '<span class="sync-state sync-state--{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        state,
        text,
        icon,
        text,
    )


class SyncStatusFilter(admin.SimpleListFilter):
    """For a list of synced rows: synced, never synced, failed (any reason, or each kind)."""

    title = _("sync status")
    parameter_name = "sync"

    def lookups(self, request, model_admin):
        return [("ok", _("Synced")), ("never", _("Never synced")), ("failed", _("Failed (any reason)"))] + [
            (kind, format_lazy(_("Failed: {}"), label)) for kind, label in SyncErrorKind.choices
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


class SyncActionAdmin:
    """For a ModelAdmin: the "sync_selected" action, and the latest run's status line above the list.

    The list's template includes "admin/portfolio/_sync_status_box.html" and
    static/portfolio_admin/sync_status.js.
    """

    sync_kind: str = ""  # a SyncRun.Kind

    def sync_item_names(self, queryset) -> list[str]:
        raise NotImplementedError

    @admin.action(description=_("Sync selected now"), permissions=["change"])
    def sync_selected(self, request, queryset):
        try:
            run = runs.queue(self.sync_kind, items=self.sync_item_names(queryset), user=request.user)
        except runs.AlreadyRunning:
            message = _("This sync is already running: its progress shows above the list. Try again when it is done.")
            self.message_user(request, message, messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "%(sync)s queued for %(count)d item: %(items)s. Its progress shows above the list.",
                "%(sync)s queued for %(count)d items: %(items)s. Its progress shows above the list.",
                run.total,
            )
            % {"sync": run.get_kind_display(), "count": run.total, "items": name_items(run.items)},
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
        run = runs.latest(self.sync_kind)
        site = self.admin_site.name
        return {
            "sync_run": run,
            "sync_status_url": reverse(f"{site}:{self.opts.app_label}_{self.opts.model_name}_sync_status"),
            "sync_runs_url": reverse(f"{site}:portfolio_syncrun_changelist") + f"?kind__exact={self.sync_kind}",
            "sync_run_url": run and reverse(f"{site}:portfolio_syncrun_change", args=[run.pk]),
        }

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**self.sync_status_context(request), **(extra_context or {})})

    def sync_status_view(self, request):
        """The latest run's status line, as JSON, for static/portfolio_admin/sync_status.js to poll."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = self.sync_status_context(request)
        run = context["sync_run"]
        html = render_to_string("admin/portfolio/_sync_status.html", context, request=request)
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


class SyncRunAdmin(admin.ModelAdmin):
    """Every sync started from the admin, newest first; written by the runs, read here."""

    list_display = ["queued_at", "kind", "status_icon", "started_by", "item_names", "counts", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["started_by"]
    fields = [
        "kind", "status", "started_by", "queued_at", "started_at", "finished_at", "item_names", "counts", "summary",
        "error_list", "warning_list",
    ]  # fmt: skip
    readonly_fields = fields

    class Media:
        css = {"all": ["portfolio_admin/admin.css"]}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Status"), ordering="status")
    def status_icon(self, run):
        return render_to_string("admin/portfolio/_sync_run_state.html", {"run": run})

    @admin.display(description=_("Items"))
    def item_names(self, run):
        return name_items(run.items)

    @admin.display(description=_("Outcome"))
    def counts(self, run):
        if run.is_active:
            return gettext("%(done)d of %(total)d done") % {"done": run.done, "total": run.total}
        if run.status == SyncRun.Status.FAILED and not run.done:
            return gettext(run.summary)
        return render_to_string("admin/portfolio/_sync_run_counts.html", {"run": run})

    @admin.display(description=_("Errors"))
    def error_list(self, run):
        items = ((error["item"], error["error"]) for error in run.errors)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items)) if run.errors else "–"

    @admin.display(description=_("Warnings"))
    def warning_list(self, run):
        items = ((w["item"] or gettext("the run"), w["warning"]) for w in run.warnings)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items)) if run.warnings else "–"
