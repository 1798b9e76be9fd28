"""Asking the Hub about one paper while the owner adds it in the admin: once, with a short timeout.

As models_showcase/hub/fetch.py does for a card: not HubClient (made for runs: retries, the quota,
a deadline), one try. Unlike a card, a paper the Hub does not know is still saved: arXiv has papers
the Hub has no page for yet, and the next sync fills it once it does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from huggingface_hub import HfApi
from huggingface_hub.utils import get_session, hf_raise_for_status

from models_showcase.hub.client import classify, request_headers
from models_showcase.hub.run import default_api
from models_showcase.papers.mapping import HubPaper, UnreadablePaper, read_paper
from models_showcase.papers.models import Paper
from models_showcase.papers.sync import paper_failure, write_paper
from portfolio.page_cache import content_changed
from portfolio.syncing.errors import SyncError, SyncErrorKind, clean_text

logger = logging.getLogger(__name__)


@dataclass
class PaperFetch:
    """What the Hub said about one paper: the paper, or why not."""

    arxiv_id: str
    endpoint: str
    timeout: float
    paper: HubPaper | None = None
    error: SyncError | None = None

    @property
    def no_page_yet(self) -> bool:
        return self.error is not None and self.error.kind == SyncErrorKind.NOT_FOUND


def fetch_paper(arxiv_id: str, *, timeout: float, api: HfApi | None = None) -> PaperFetch:
    """The paper `arxiv_id` as the Hub's paper page describes it: one request."""
    api = api or default_api()
    endpoint = api.endpoint.rstrip("/")
    headers, with_token = request_headers(api)
    result = PaperFetch(arxiv_id=arxiv_id, endpoint=endpoint, timeout=timeout)
    try:
        response = get_session().get(f"{endpoint}/api/papers/{arxiv_id}", headers=headers, timeout=timeout)
        hf_raise_for_status(response)
        result.paper = read_paper(response.json())
    except Exception as error:  # classify() says what each failure means, as for sync_hub
        known = isinstance(error, (SyncError, UnreadablePaper))
        result.error = paper_failure(error if known else classify(error, with_token=with_token))
    return result


def store_fetched(paper: Paper, result: PaperFetch, *, now: datetime) -> None:
    """Write what the Hub said on the paper just saved, as a sync would; or record why it could not."""
    if result.paper is not None:
        try:
            write_paper(paper, result.paper, now=now)
        except DatabaseError as error:
            logger.warning("arXiv:%s: Hub answer not stored: %s", paper.arxiv_id, clean_text(str(error)))
            result.paper = None
            result.error = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
        else:
            content_changed()  # a queryset update sends no signal
            return
    if result.error is not None and result.error.kind == SyncErrorKind.NOT_FOUND:
        # Not a failure of the Hub's: recorded so the list shows why the paper has no title yet.
        Paper.objects.filter(pk=paper.pk).update(
            sync_error=str(result.error)[:300], sync_error_kind=result.error.kind, sync_failed_at=now
        )
