"""The paper's admin form: an arXiv id or an address as the owner pastes it, asked of the Hub once when added."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from models_showcase.papers.fetch import PaperFetch, fetch_paper
from models_showcase.papers.models import Paper, normalize_arxiv_id
from portfolio.syncing.errors import SyncErrorKind

ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
HUB_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
MAX_PASTED = 500


def arxiv_id_from_input(value: str) -> str:
    """The arXiv id in what the owner typed or pasted: the id (with a version or an "arXiv:" prefix), its arXiv
    abstract or PDF address, or its paper page on the Hub. "" when none is there."""
    text = value.strip()
    if text.lower().startswith("arxiv:"):
        text = text[len("arxiv:") :].strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    path = parts.path.strip("/")
    if host in ARXIV_HOSTS:
        for prefix in ("abs/", "pdf/", "html/"):
            if path.startswith(prefix):
                return normalize_arxiv_id(path[len(prefix) :].removesuffix(".pdf"))
        return ""
    if host in HUB_HOSTS:
        return normalize_arxiv_id(path.removeprefix("papers/")) if path.startswith("papers/") else ""
    return normalize_arxiv_id(text)


def _formfield(field, **kwargs):
    # An address typed without a scheme is https (Django 6's default; 5.2 warns without it).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class PaperForm(forms.ModelForm):
    # Wider than an id, so a pasted address fits before it is read down to the id.
    arxiv_id = forms.CharField(
        label=_("arXiv id"),
        max_length=MAX_PASTED,
        help_text=_(
            "The paper's arXiv id, e.g. 1908.10084, or its address on arXiv (abstract or PDF) or on the Hub "
            "(huggingface.co/papers/…). A new paper is filled in from the Hub when saved."
        ),
    )

    class Meta:
        model = Paper
        fields = ["arxiv_id", "venue", "note", "code_url", "is_published"]
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hub_fetch: PaperFetch | None = None  # what clean() asked the Hub; the admin's save_model writes it

    def clean_arxiv_id(self) -> str:
        arxiv_id = arxiv_id_from_input(self.cleaned_data["arxiv_id"])
        if not arxiv_id:
            raise ValidationError(
                _(
                    "Enter an arXiv id, e.g. 1908.10084 (or cs/0112017), or the paper's address on arxiv.org or "
                    "huggingface.co/papers."
                ),
                code="invalid_arxiv_id",
            )
        return arxiv_id

    def clean(self):
        cleaned = super().clean()
        arxiv_id = cleaned.get("arxiv_id")
        if self.errors or not arxiv_id:
            return cleaned
        paper = self.instance
        if not paper._state.adding and paper.arxiv_id == arxiv_id:
            return cleaned  # an edit of the same paper: sync_hub keeps it up to date
        if Paper.objects.filter(arxiv_id=arxiv_id).exclude(pk=paper.pk).exists():
            return cleaned  # the site has it: the unique check refuses it, no need to ask the Hub
        self.hub_fetch = fetch_paper(arxiv_id, timeout=settings.HUB_FETCH_TIMEOUT)
        return cleaned


def paper_fetch_messages(result: PaperFetch) -> list[tuple[int, str]]:
    """(level, text) for the admin once the paper is saved: what came from the Hub, or why nothing did."""
    if result.paper is not None:
        return [(messages.SUCCESS, gettext("Title, authors, date and abstract filled in from the Hub's paper page."))]
    error = result.error
    if error is None:
        return []
    if error.kind == SyncErrorKind.NOT_FOUND:
        text = gettext(
            "Saved. The Hub has no page for arXiv:%(arxiv_id)s yet: its title and authors will be filled in by a "
            "sync once it has one."
        ) % {"arxiv_id": result.arxiv_id}
        return [(messages.WARNING, text)]
    if error.kind == SyncErrorKind.TIMEOUT:
        reason = gettext("timed out after %(seconds)s s") % {"seconds": f"{result.timeout:g}"}
    elif error.kind == SyncErrorKind.NETWORK:
        reason = gettext("no connection to %(endpoint)s") % {"endpoint": result.endpoint}
    else:
        reason = str(error)
    text = gettext("Saved, but the Hub could not be asked (%(reason)s): the next sync fills the paper in.")
    return [(messages.WARNING, text % {"reason": reason})]
