"""The admin site: the content the owner edits first, in the page's order; login lockouts last.

Django sorts the index by app name, then model name, which puts django-axes' tables
between the content and Badges after Model cards. One list here says the order instead.

Also the lists' drag-and-drop ordering (django-admin-sortable2), shared by the apps' admins.
"""

from adminsortable2.admin import SortableAdminMixin
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from portfolio.page_cache import content_changed

# "app_label.model_name", in the order the index shows them; apps follow their first model.
MODEL_ORDER = [
    "portfolio.profile",
    "portfolio.syncrun",
    "models_showcase.modelcard",
    "models_showcase.datasetcard",
    "models_showcase.spacecard",
    "models_showcase.paper",
    "models_showcase.badge",
    "contributions.contribution",
    "contributions.contributiongroup",
    "contributions.githubrepository",
    "auth.user",
    "auth.group",
]


class AdminPillsMedia:
    # The admin shows badges and states as visitors see them, as coloured pills.
    css = {"all": ["portfolio_admin/admin.css"]}


# Apps shown last, under their own heading: django-axes' records of failed and locked-out logins.
LAST_APPS = {"axes": _("Login lockouts")}


def _position(model: dict) -> tuple[int, str]:
    key = model["model"]._meta.label_lower
    return (MODEL_ORDER.index(key) if key in MODEL_ORDER else len(MODEL_ORDER), str(model["name"]))


class PortfolioAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            app["models"].sort(key=_position)
            if app["app_label"] in LAST_APPS:
                app["name"] = LAST_APPS[app["app_label"]]

        def app_position(app: dict) -> tuple[bool, tuple[int, str]]:
            first = min((_position(model) for model in app["models"]), default=(len(MODEL_ORDER), ""))
            return (app["app_label"] in LAST_APPS, first)

        return sorted(app_list, key=app_position)


class SortableAdmin(SortableAdminMixin):
    """A changelist reordered by dragging its rows (the model's first `ordering` field).

    django-admin-sortable2's script numbers a dropped row from its neighbours' numbers, so
    rows that share one (new records left at 0, drafts from a sync) are first numbered apart,
    keeping the order they are shown in.
    """

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and self.has_change_permission(request):
            renumber_ties(self.model.objects.all(), self.default_order_field)
        return super().changelist_view(request, extra_context)

    def update_order(self, request):
        response = super().update_order(request)
        if response.status_code == 200:
            self.order_changed()
        return response

    def order_changed(self) -> None:
        # The library writes with bulk_update, which sends no signal: tell the page cache here.
        content_changed()

    def save_model(self, request, obj, form, change):
        if self.default_order_field in form.fields:
            # The form shows the order (a card's "Publishing" section): what it says stays, also on a new record.
            super(SortableAdminMixin, self).save_model(request, obj, form, change)
        else:
            super().save_model(request, obj, form, change)  # adminsortable2: a new record goes last


def renumber_ties(queryset, field: str) -> int:
    """Number the rows 1, 2, 3... in their current order when two share a number; returns how many changed."""
    if not queryset.order_by().values(field).annotate(rows=Count("pk")).filter(rows__gt=1).exists():
        return 0
    rows = list(queryset.order_by(*queryset.model._meta.ordering, "pk"))
    changed = []
    for number, row in enumerate(rows, start=1):
        if getattr(row, field) != number:
            setattr(row, field, number)
            changed.append(row)
    # Same order as before, only told apart: nothing visitors see changes, so no signal is needed.
    return queryset.model.objects.bulk_update(changed, [field])
