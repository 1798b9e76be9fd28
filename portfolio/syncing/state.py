"""What the last sync of one item said, as columns: shared by the items sync_hub keeps (cards, papers)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.syncing.errors import SyncErrorKind


class SyncState(models.Model):
    """Written only by a sync (queryset updates), never by the owner's form: none of it is editable."""

    synced_at = models.DateTimeField(_("last synced"), null=True, editable=False)
    sync_error = models.CharField(_("sync error"), max_length=300, blank=True, editable=False)
    sync_error_kind = models.CharField(
        _("sync status"), max_length=20, choices=SyncErrorKind.choices, blank=True, editable=False
    )
    sync_failed_at = models.DateTimeField(_("sync failed at"), null=True, editable=False)
    # What the last sync could not read (a malformed evaluation result, a missing number): the item
    # still synced; these say what was skipped or kept from before.
    sync_warnings = models.JSONField(_("sync warnings"), default=list, blank=True, editable=False)

    class Meta:
        abstract = True
