"""The papers step of a `sync_hub` run: citations from the cards' tags, drafts for cited papers, one request each.

The Hub tags a model, dataset or Space whose card links an arXiv paper with `arxiv:<id>`; cards store
their tags, so which papers each card cites is known without a request, and kept in `Paper.cited_by`.
Then each paper is asked for once (`GET /api/papers/{id}`, as `HfApi.paper_info`): the Hub has no
listing of one author's papers. A paper that fails keeps what was stored and records why; a 404 is
a real arXiv paper the Hub has no page for yet (hub-docs paper-pages.md), named as such.

With `discover`, every arXiv id the cards cite that has no Paper gets an unpublished draft, filled
from the Hub's answer in the same run; one the Hub has no page for is named in a warning, not drafted.
Results go into the run's report as `arxiv:<id>`.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction

from models_showcase.hub.client import HubClient
from models_showcase.papers.mapping import HubPaper, UnreadablePaper, read_paper
from models_showcase.papers.models import Paper, normalize_arxiv_id
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind, clean_text
from portfolio.syncing.progress import RunProgress
from portfolio.syncing.report import ItemResult, Status

logger = logging.getLogger(__name__)

KEY_PREFIX = "arxiv:"
_ARXIV_TAG = re.compile(r"arxiv:(.+)", re.I)
NO_PAGE_YET = "the Hub has no page for this paper yet (HTTP 404); it may get one later"


def item_key(arxiv_id: str) -> str:
    return f"{KEY_PREFIX}{arxiv_id}"


def named_papers(only: Iterable[str]) -> list[str]:
    """The arXiv ids an `--only` list names as `arxiv:<id>` (normalised; "" for one that is no arXiv id)."""
    return [normalize_arxiv_id(item[len(KEY_PREFIX) :]) for item in only if item.lower().startswith(KEY_PREFIX)]


def unknown_papers(only: Iterable[str]) -> list[str]:
    """The `arxiv:<id>` items of `--only` that name no stored paper, as written."""
    items = [item for item in only if item.lower().startswith(KEY_PREFIX)]
    known = set(Paper.objects.filter(arxiv_id__in=named_papers(items)).values_list("arxiv_id", flat=True))
    return [item for item in items if normalize_arxiv_id(item[len(KEY_PREFIX) :]) not in known]


def cited_ids(tags: Any) -> list[str]:
    """The arXiv ids a repo's tags cite (`arxiv:<id>`, any case), each once, in order."""
    if not isinstance(tags, list):
        return []
    found = (_ARXIV_TAG.fullmatch(tag) for tag in tags if isinstance(tag, str))
    return list(dict.fromkeys(arxiv_id for match in found if match and (arxiv_id := normalize_arxiv_id(match[1]))))


# ---------------------------------------------------------------------------
# Citations: which cards cite which papers (the one place that knows the card model's name in the through table)


def _card_model():
    return Paper.cited_by.field.related_model


def citations() -> dict[str, set[int]]:
    """arXiv id → the pks of the cards whose tags cite it; one query."""
    cited: dict[str, set[int]] = defaultdict(set)
    for pk, tags in _card_model().objects.values_list("pk", "tags"):
        for arxiv_id in cited_ids(tags):
            cited[arxiv_id].add(pk)
    return cited


def stored_citations() -> dict[int, set[int]]:
    """Paper pk → the pks of the cards stored as citing it; one query."""
    through = Paper.cited_by.through
    paper_field, card_field = Paper.cited_by.field.m2m_field_name(), Paper.cited_by.field.m2m_reverse_field_name()
    stored: dict[int, set[int]] = defaultdict(set)
    for paper_id, card_id in through.objects.values_list(f"{paper_field}_id", f"{card_field}_id"):
        stored[paper_id].add(card_id)
    return stored


def write_citations(paper_id: int, *, add: set[int], remove: set[int]) -> None:
    through = Paper.cited_by.through
    paper_field, card_field = Paper.cited_by.field.m2m_field_name(), Paper.cited_by.field.m2m_reverse_field_name()
    if remove:
        through.objects.filter(**{f"{paper_field}_id": paper_id, f"{card_field}_id__in": remove}).delete()
    if add:
        through.objects.bulk_create(
            [through(**{f"{paper_field}_id": paper_id, f"{card_field}_id": card_id}) for card_id in sorted(add)],
            ignore_conflicts=True,  # a card saved meanwhile by another path: the row is there, which is all we want
        )


# ---------------------------------------------------------------------------
# Writing what the Hub said (queryset updates: the owner's fields are never touched, as for cards)


def changes(paper: Paper, hub: HubPaper) -> list[str]:
    changed = [name for name, value in hub.fields.items() if getattr(paper, name) != value]
    if hub.warnings != paper.sync_warnings:
        changed.append("sync_warnings")
    if paper.sync_error_kind or paper.synced_at is None:
        changed.append("sync_error" if paper.sync_error_kind else "synced_at")
    return changed


def write_paper(paper: Paper, hub: HubPaper, *, now: datetime) -> None:
    Paper.objects.filter(pk=paper.pk).update(
        **hub.fields,
        sync_warnings=hub.warnings,
        synced_at=now,
        sync_error="",
        sync_error_kind="",
        sync_failed_at=None,
    )


def record_failure(paper: Paper, failure: SyncError, *, now: datetime) -> None:
    # What was stored stays; only the error is recorded.
    Paper.objects.filter(pk=paper.pk).update(
        sync_error=str(failure)[:300], sync_error_kind=failure.kind, sync_failed_at=now
    )


def paper_failure(error: Exception) -> SyncError:
    """What a failed paper request means, for a paper: a 404 is a paper the Hub has not indexed."""
    if isinstance(error, UnreadablePaper):
        return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer: {error}")
    if not isinstance(error, SyncError):
        return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer ({type(error).__name__})")
    if error.kind == SyncErrorKind.NOT_FOUND:
        return SyncError(SyncErrorKind.NOT_FOUND, NO_PAGE_YET)
    return error


# ---------------------------------------------------------------------------
# The step


class _PaperStep:
    def __init__(self, run: RunProgress, client: HubClient):
        self.run = run
        self.client = client
        self.unchanged: list[int] = []

    def sync(self, paper: Paper, citing: set[int], stored: set[int]) -> ItemResult:
        key = item_key(paper.arxiv_id)
        cited_changed = ["cited_by"] if citing != stored else []
        try:
            hub = read_paper(self.client.paper_info(paper.arxiv_id))
        except DeadlineExceeded:
            raise
        except Exception as error:  # one paper failing never stops the others
            failure = paper_failure(error)
            if not self.run.dry_run:
                record_failure(paper, failure, now=self.run.now)
                self._cite(paper, citing, stored)
            return ItemResult(key, Status.FAILED, error=str(failure), error_kind=failure.kind)
        if hub.arxiv_id and hub.arxiv_id != paper.arxiv_id:
            hub.warnings.append(f"the Hub answered for arXiv:{clean_text(hub.arxiv_id, 40)}")
        changed = [*changes(paper, hub), *cited_changed]
        if not changed:
            self.unchanged.append(paper.pk)
            return ItemResult(key, Status.UNCHANGED, warnings=hub.warnings)
        if not self.run.dry_run:
            try:
                with transaction.atomic():
                    write_paper(paper, hub, now=self.run.now)
                    self._cite(paper, citing, stored)
            except DatabaseError as error:
                logger.warning("%s: could not be stored: %s", key, clean_text(str(error), 200))
                failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
                return ItemResult(key, Status.FAILED, error=str(failure), error_kind=failure.kind)
            self.run.wrote = True
        return ItemResult(key, Status.UPDATED, changed, warnings=hub.warnings)

    def draft(self, arxiv_id: str, citing: set[int]) -> None:
        """A draft for a paper the cards cite and no Paper holds yet, filled from the Hub in the same request.

        A paper the Hub has no page for (404) is not drafted, only named in a warning: a draft that
        could never sync would fail every run, and come back on the next --discover if deleted.
        """
        key = item_key(arxiv_id)
        try:
            hub = read_paper(self.client.paper_info(arxiv_id))
        except DeadlineExceeded:
            raise
        except Exception as error:
            failure = paper_failure(error)
            reason = NO_PAGE_YET if failure.kind == SyncErrorKind.NOT_FOUND else str(failure)
            self.run.report.warnings.append(f"{key}: cited by a card, not drafted: {reason}")
            return
        self.run.total += 1
        if not self.run.dry_run:
            with transaction.atomic():
                paper, created = Paper.objects.get_or_create(arxiv_id=arxiv_id, defaults={"is_published": False})
                if not created:
                    return  # drafted meanwhile (the admin): the next run syncs it
                write_paper(paper, hub, now=self.run.now)
                self._cite(paper, citing, set())
            self.run.wrote = True
        self.run.finish(ItemResult(key, Status.CREATED, ["created as a draft"], warnings=hub.warnings))

    def _cite(self, paper: Paper, citing: set[int], stored: set[int]) -> None:
        if citing != stored:
            write_citations(paper.pk, add=citing - stored, remove=stored - citing)
            self.run.wrote = True

    def fail_unreached(self, papers: list[Paper], done: set[int]) -> None:
        failure = SyncError(SyncErrorKind.DEADLINE, "not reached: the run hit --timeout")
        for paper in papers:
            if paper.pk in done:
                continue
            if not self.run.dry_run:
                record_failure(paper, failure, now=self.run.now)
            self.run.finish(
                ItemResult(item_key(paper.arxiv_id), Status.FAILED, error=str(failure), error_kind=failure.kind)
            )


def sync_papers(
    run: RunProgress,
    client: HubClient,
    *,
    only: Iterable[str] = (),
    cards_selected: bool = False,
    discover: bool = False,
) -> None:
    """The papers step of a run, after its cards (whose tags say what they cite).

    Every paper when the run is a whole sync; with `only`, the papers it names as `arxiv:<id>`; none
    when the run was given cards to sync (`cards_selected`, or `only` naming only cards). Citations
    are brought up to date for every paper in any case: they cost no request.
    """
    only = list(only)
    named = set(named_papers(only))
    selecting = bool(only) or cards_selected
    cited = citations()
    stored = stored_citations()
    papers = list(Paper.objects.order_by("arxiv_id"))

    step = _PaperStep(run, client)
    if discover:
        known = {paper.arxiv_id for paper in papers}
        try:
            for arxiv_id in sorted(arxiv_id for arxiv_id in cited if arxiv_id not in known):
                step.draft(arxiv_id, cited[arxiv_id])
        except DeadlineExceeded:
            run.report.warnings.append("discovery of cited papers stopped: the run hit --timeout")
            return

    to_sync = [paper for paper in papers if not selecting or paper.arxiv_id in named]
    chosen = {paper.pk for paper in to_sync}
    if not run.dry_run:
        # Papers left out of this run still follow the cards' tags: no request needed.
        for paper in papers:
            if paper.pk not in chosen and cited.get(paper.arxiv_id, set()) != stored.get(paper.pk, set()):
                citing, had = cited.get(paper.arxiv_id, set()), stored.get(paper.pk, set())
                write_citations(paper.pk, add=citing - had, remove=had - citing)
                run.wrote = True

    run.total += len(to_sync)
    done: set[int] = set()
    try:
        for paper in to_sync:
            citing = cited.get(paper.arxiv_id, set())
            run.finish(step.sync(paper, citing, stored.get(paper.pk, set())))
            done.add(paper.pk)
    except DeadlineExceeded:
        step.fail_unreached(to_sync, done)
    if step.unchanged and not run.dry_run:
        Paper.objects.filter(pk__in=step.unchanged).update(synced_at=run.now)
        run.wrote = True  # "last synced" moved
