"""What a sync run keeps while it goes, whatever it syncs: its report, its progress, and whether it wrote."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from portfolio.page_cache import content_changed
from portfolio.syncing.errors import SyncError, SyncErrorKind
from portfolio.syncing.report import ItemResult, SyncReport

Progress = Callable[[int, int, ItemResult], None]


class RunProgress:
    """One run's outcome so far. A sync's run class extends it with its own client and steps."""

    def __init__(self, report: SyncReport, *, progress: Progress | None, now: datetime):
        self.report = report
        self.progress = progress
        self.now = now  # one "synced at" for every item of the run
        self.total = 0
        self.wrote = False

    @property
    def dry_run(self) -> bool:
        return self.report.dry_run

    def finish(self, result: ItemResult) -> None:
        self.report.results.append(result)
        if self.progress:
            self.progress(len(self.report.results), self.total, result)

    def read_each(
        self, pages: Iterable[list[Any]], read: Callable[[Any], Any], unreadable: type[Exception], what: str
    ) -> Iterator[tuple[Any, Any]]:
        """Each item of each page, with what `read` makes of it; one it cannot read is a warning about the run."""
        for page in pages:
            for item in page:
                try:
                    yield item, read(item)
                except unreadable as error:
                    self.report.warnings.append(f"{what} {error}")

    def fail_unreached(
        self, rows: Iterable[Any], done: set[int], fail: Callable[[Any, SyncError], ItemResult], timeout: float
    ) -> None:
        """The run hit its deadline: every row whose pk is not done fails with that reason (and keeps its data)."""
        failure = SyncError(SyncErrorKind.DEADLINE, f"not reached: the run hit --timeout ({timeout:g} s)")
        for row in rows:
            if row.pk not in done:
                self.finish(fail(row, failure))

    @contextmanager
    def telling_the_page_cache(self) -> Iterator[None]:
        """Queryset updates send no signals: whatever happens, a run that wrote tells the page cache itself."""
        try:
            yield
        finally:
            if self.wrote:
                content_changed()


def conclude(report: SyncReport, *, unreachable: str, refused: str) -> None:
    """When every item failed for one reason that is the run's, not theirs, the run could not work (exit 2)."""
    failures = report.failed
    if not failures or len(failures) != len(report.results):
        return
    kinds = {result.error_kind for result in failures}
    if kinds == {SyncErrorKind.NETWORK}:
        report.fatal = report.fatal or unreachable
    elif kinds == {SyncErrorKind.TOKEN_REJECTED}:
        report.fatal = report.fatal or refused
