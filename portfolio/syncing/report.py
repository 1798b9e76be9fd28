"""One sync run's outcome: each item's result, the summary line for cron, JSON, the exit code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class Status:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass
class ItemResult:
    """One item's outcome; `key` names it as the owner does (a Hub id, a pull request's URL)."""

    key: str
    status: str
    changed: list[str] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    service: str = "the service"  # in the summary: "waited 30 s for GitHub's quota"
    items_name: str = "items"  # the JSON's list of results, and what its entries' `key` is called
    key_name: str = "key"
    results: list[ItemResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the run, not one item
    requests: int = 0
    not_modified: int = 0  # requests answered 304: unchanged, and free of the quota where the service says so
    seconds: float = 0.0
    quota_wait: float = 0.0
    dry_run: bool = False
    fatal: str = ""  # set when the run could not do its work at all (exit code 2)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> list[ItemResult]:
        return [result for result in self.results if result.status == Status.FAILED]

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + sum(len(result.warnings) for result in self.results)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.failed else 0

    def summary(self) -> str:
        """One line for cron logs."""
        synced = self.count(Status.UPDATED) + self.count(Status.CREATED)
        prefix = "dry run: would sync" if self.dry_run else "synced"
        line = f"{prefix} {synced}, unchanged {self.count(Status.UNCHANGED)}, failed {len(self.failed)}"
        if self.count(Status.CREATED):
            line += f" (discovered {self.count(Status.CREATED)})"
        if self.warning_count:
            line += f", {self.warning_count} warning{'s' if self.warning_count != 1 else ''}"
        line += f" in {self.seconds:.1f} s, {self.requests} requests"
        if self.not_modified:
            line += f" ({self.not_modified} not modified)"
        if self.quota_wait:
            line += f" (waited {self.quota_wait:.0f} s for {self.service}'s quota)"
        return f"{line}: {self.fatal}" if self.fatal else line

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == 0,
            "exit_code": self.exit_code,
            "dry_run": self.dry_run,
            "fatal": self.fatal,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "not_modified": self.not_modified,
            "counts": {
                status: self.count(status)
                for status in (Status.CREATED, Status.UPDATED, Status.UNCHANGED, Status.FAILED)
            },
            "warnings": self.warnings,
            self.items_name: [self._item(result) for result in self.results],
        }

    def _item(self, result: ItemResult) -> dict[str, Any]:
        item = asdict(result)
        item[self.key_name] = item.pop("key")
        return {self.key_name: item.pop(self.key_name), **item}
