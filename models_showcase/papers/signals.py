"""A paper saved, deleted or re-cited changes the home page and the .bib file: the page cache is told.

Signals, as for the other content models (portfolio/page_cache.py says why): the admin writes papers
through its form, list_editable and bulk delete. The sync's queryset updates send none; it tells the
cache itself once per run.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from models_showcase.papers.models import Paper
from portfolio.page_cache import content_changed


def _changed(sender, **kwargs):
    content_changed()


def connect() -> None:
    post_save.connect(_changed, sender=Paper, dispatch_uid="page-cache-save-paper")
    post_delete.connect(_changed, sender=Paper, dispatch_uid="page-cache-delete-paper")
    m2m_changed.connect(_changed, sender=Paper.cited_by.through, dispatch_uid="page-cache-paper-cited-by")
