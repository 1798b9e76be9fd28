from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin

from portfolio.models import Profile, ProfileLink, SyncRun
from portfolio.sections import SectionsField
from portfolio.syncing.admin import SyncRunAdmin

admin.site.site_header = _("Portfolio admin")
admin.site.site_title = _("Portfolio admin")
admin.site.index_title = _("Content")


class ProfileLinkInline(admin.TabularInline):
    model = ProfileLink
    extra = 1
    fields = ["kind", "label", "url", "sort_order"]


@admin.register(Profile)
class ProfileAdmin(MarkdownxModelAdmin):
    """One profile: the changelist goes straight to it, and there is never an "add another"."""

    inlines = [ProfileLinkInline]
    fieldsets = [
        (None, {"fields": ["display_name", "bio", "avatar"]}),
        (_("Accounts"), {"fields": ["hub_username", "github_username"]}),
        (_("Page"), {"fields": ["site_title", "notice_title", "intro"]}),
        (
            _("Sections of the home page"),
            {
                "fields": [
                    "sections",
                    "models_heading",
                    "datasets_heading",
                    "spaces_heading",
                    "publications_heading",
                    "contributions_heading",
                ]
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "sections":  # a table of sections, not the JSON it is kept as
            return SectionsField(label=db_field.verbose_name.capitalize(), help_text=db_field.help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Profile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        profile = Profile.objects.first()
        if profile is None:
            return redirect(reverse("admin:portfolio_profile_add"))
        return redirect(reverse("admin:portfolio_profile_change", args=[profile.pk]))


admin.site.register(SyncRun, SyncRunAdmin)
