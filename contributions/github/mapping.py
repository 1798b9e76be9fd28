"""From GitHub's raw JSON to what sync_github stores: a pull request, a repository, a search result.

Every value from GitHub is untrusted: a count may be negative, a string, NaN or too big for its
column; a string may carry control or bidi characters, or be far too long; any field may be
missing or of another type. Nothing here raises on such data: what cannot be read costs only
itself, with a warning, and its name goes into `unknown`, which tells the writer to keep the
stored value. A value GitHub sends as null because the pull request has none (no merge date,
no description, no language) is not unknown: it is stored empty.

Only an answer that cannot be matched to anything (not an object, no number, no full name)
raises UnreadableAnswer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from contributions.models import PullRequest, PullRequestRef, parse_pull_request_url
from portfolio.syncing.errors import clean_text

MAX_COUNT = 2**31 - 1  # PositiveIntegerField's limit on every database
MAX_ID = 2**63 - 1
MAX_LABELS = 20
TITLE_LENGTH = PullRequest._meta.get_field("title").max_length
DESCRIPTION_LENGTH = 350
LANGUAGE_LENGTH = 60
LABEL_LENGTH = 100
DRAFT_TITLE_LENGTH = 200  # Contribution.title
# GitHub logins: letters, digits and hyphens, 39 at most, not starting with a hyphen; apps add "[bot]".
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_BOT_SUFFIX = "[bot]"


class UnreadableAnswer(Exception):
    """An answer that names no pull request or repository: nothing of it can be matched or stored."""


@dataclass
class PullRequestData:
    number: int
    repository: str = ""  # owner/name as GitHub names it now
    repository_id: int | None = None  # base.repo.id: the same across renames and transfers
    html_url: str = ""  # normalised, and only when it agrees with the number and repository
    title: str = ""
    state: str = ""  # a PullRequest.State value
    opened_at: datetime | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    commits: int | None = None
    comments: int | None = None
    review_comments: int | None = None
    labels: list[str] = field(default_factory=list)
    author_login: str = ""
    warnings: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # fields not read: the writer keeps their stored values


@dataclass
class RepositoryData:
    full_name: str
    github_id: int | None = None
    description: str = ""
    stars: int | None = None
    language: str = ""
    archived: bool | None = None
    warnings: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DiscoveredPull:
    """A merged pull request found by search, for a draft contribution."""

    url: str
    repository: str
    number: int
    title: str


# What GitHub's names look like


def is_login(value: Any) -> bool:
    return isinstance(value, str) and bool(_LOGIN.match(value))


def is_full_name(value: Any) -> bool:
    """owner/name, as a pull request URL may name it (one definition: contributions.models)."""
    return (
        isinstance(value, str)
        and (ref := _pull_ref(f"https://github.com/{value}/pull/1")) is not None
        and (ref.repository == value)
    )


def _pull_ref(value: Any) -> PullRequestRef | None:
    if not isinstance(value, str) or len(value) > 300:
        return None
    try:
        return parse_pull_request_url(value)
    except ValidationError:
        return None


def _show(value: Any) -> str:
    """A value from outside, quoted for a warning: short and printable."""
    return clean_text(repr(value), 40)


# The three answers


def read_pull(raw: Any) -> PullRequestData:
    """One `GET /repos/{owner}/{repo}/pulls/{number}` answer."""
    if not isinstance(raw, dict):
        raise UnreadableAnswer(f"a pull request answer that is not an object: {_show(raw)}")
    number = _whole(raw.get("number"))
    if number is None or not 1 <= number <= MAX_COUNT:
        raise UnreadableAnswer(f"a pull request without a number: {_show(raw.get('number'))}")
    pull = PullRequestData(number=number)
    fields = _Fields(raw, pull.warnings, pull.unknown)
    base = raw.get("base")
    base_repo = base.get("repo") if isinstance(base, dict) else None
    base_repo = base_repo if isinstance(base_repo, dict) else {}
    _read_place(pull, raw.get("html_url"), base_repo.get("full_name"))
    pull.repository_id = fields.identifier(base_repo.get("id"), "repository_id", "repository id")
    pull.title = fields.text(raw.get("title"), "title", "title", TITLE_LENGTH, required=True)
    pull.opened_at = fields.date(raw.get("created_at"), "opened_at", "opened", required=True)
    pull.merged_at = fields.date(raw.get("merged_at"), "merged_at", "merged")
    pull.closed_at = fields.date(raw.get("closed_at"), "closed_at", "closed")
    pull.state = _state(raw, fields)
    for name in ("additions", "deletions", "changed_files", "commits", "comments", "review_comments"):
        setattr(pull, name, fields.count(raw.get(name), name, name.replace("_", " ")))
    pull.labels = _labels(raw.get("labels"), fields)
    pull.author_login = _author(raw.get("user"), fields)
    return pull


def read_repo(raw: Any) -> RepositoryData:
    """One `GET /repos/{owner}/{repo}` answer."""
    if not isinstance(raw, dict):
        raise UnreadableAnswer(f"a repository answer that is not an object: {_show(raw)}")
    full_name = raw.get("full_name")
    if not is_full_name(full_name):
        raise UnreadableAnswer(f"a repository without a valid full name: {_show(full_name)}")
    repo = RepositoryData(full_name=full_name)
    fields = _Fields(raw, repo.warnings, repo.unknown)
    repo.github_id = fields.identifier(raw.get("id"), "github_id", "repository id")
    repo.description = fields.text(raw.get("description"), "description", "description", DESCRIPTION_LENGTH)
    repo.stars = fields.count(raw.get("stargazers_count"), "stars", "stars")
    repo.language = fields.text(raw.get("language"), "language", "language", LANGUAGE_LENGTH)
    archived = raw.get("archived")
    if isinstance(archived, bool):
        repo.archived = archived
    else:
        fields.unreadable("archived", "archived", archived, "is not true or false")
    return repo


def read_search_item(raw: Any) -> DiscoveredPull:
    """One item of `GET /search/issues`: a pull request to draft a contribution for."""
    if not isinstance(raw, dict) or not isinstance(raw.get("pull_request"), dict):
        raise UnreadableAnswer(f"a search result that is not a pull request: {_show(raw)}")
    ref = _pull_ref(raw["pull_request"].get("html_url")) or _pull_ref(raw.get("html_url"))
    if ref is None:
        raise UnreadableAnswer(f"a search result without a pull request address: {_show(raw.get('html_url'))}")
    title = raw.get("title")
    title = clean_text(title, DRAFT_TITLE_LENGTH) if isinstance(title, str) else ""
    return DiscoveredPull(ref.url, ref.repository, ref.number, title or f"{ref.repository}#{ref.number}")


# Field by field


class _Fields:
    """Reads single values, noting a warning and an unknown field for each it cannot read."""

    def __init__(self, raw: dict[str, Any], warnings: list[str], unknown: set[str]):
        self.raw = raw
        self.warnings = warnings
        self.unknown = unknown

    def unreadable(self, name: str, label: str, value: Any, why: str) -> None:
        self.warnings.append(f"{label}: {_show(value)} {why}; kept the previous value")
        self.unknown.add(name)

    def missing(self, name: str, label: str) -> None:
        self.warnings.append(f"{label}: missing from GitHub's answer; kept the previous value")
        self.unknown.add(name)

    def count(self, value: Any, name: str, label: str) -> int | None:
        return self.whole(value, name, label, 0, MAX_COUNT, "is not a count")

    def identifier(self, value: Any, name: str, label: str) -> int | None:
        return self.whole(value, name, label, 1, MAX_ID, "is not an id")

    def whole(self, value: Any, name: str, label: str, least: int, most: int, why: str) -> int | None:
        number = _whole(value)
        if value is None:
            self.missing(name, label)
        elif number is None or not least <= number <= most:
            self.unreadable(name, label, value, why)
        else:
            return number
        return None

    def text(self, value: Any, name: str, label: str, limit: int, *, required: bool = False) -> str:
        if value is None and required:
            self.missing(name, label)
        elif value is not None and not isinstance(value, str):
            self.unreadable(name, label, value, "is not text")
        elif value is not None:
            text = clean_text(value, limit)
            if len(value.strip()) > limit:
                self.warnings.append(f"{label}: longer than {limit} characters; shortened")
            return text
        return ""

    def date(self, value: Any, name: str, label: str, *, required: bool = False) -> datetime | None:
        if value is None:
            if required:
                self.missing(name, label)
            return None  # not merged, not closed: nothing to store
        try:
            parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
        except ValueError:  # well formed, but no such day or hour
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.unreadable(name, label, value, "is not a date")
            return None
        return parsed


def _read_place(pull: PullRequestData, html_url: Any, full_name: Any) -> None:
    """Where the pull request is now: base.repo.full_name, and its address if that agrees."""
    ref = _pull_ref(html_url)
    if is_full_name(full_name):
        pull.repository = full_name
    elif ref is not None:
        pull.repository = ref.repository
        pull.warnings.append(f"repository: {_show(full_name)} is not a repository name; read it from the address")
    else:
        pull.warnings.append(f"repository: {_show(full_name)} is not a repository name; kept the previous one")
        pull.unknown.add("repository")
    if ref is None:
        pull.warnings.append(f"address: {_show(html_url)} is not a GitHub pull request address; kept the previous one")
    elif ref.number != pull.number or ref.repository.lower() != pull.repository.lower():
        pull.warnings.append(f"address: {_show(html_url)} names another pull request; kept the previous one")
    else:
        pull.html_url = ref.url
        return
    pull.unknown.add("html_url")


def _state(raw: dict[str, Any], fields: _Fields) -> str:
    state = raw.get("state")
    if raw.get("merged_at") or raw.get("merged") is True:
        return PullRequest.State.MERGED
    if state == "open":
        return PullRequest.State.DRAFT if raw.get("draft") is True else PullRequest.State.OPEN
    if state == "closed":
        return PullRequest.State.CLOSED
    fields.unreadable("state", "state", state, "is not open or closed")
    return ""


def _labels(value: Any, fields: _Fields) -> list[str]:
    if not isinstance(value, list):
        fields.unreadable("labels", "labels", value, "is not a list")
        return []
    names: list[str] = []
    unreadable = 0
    for label in value:
        name = label.get("name") if isinstance(label, dict) else None
        text = clean_text(name, LABEL_LENGTH) if isinstance(name, str) else ""
        if not text:
            unreadable += 1
        elif text not in names and len(names) < MAX_LABELS:
            names.append(text)
    if unreadable:
        fields.warnings.append(f"labels: {unreadable} unreadable left out")
    return names


def _author(user: Any, fields: _Fields) -> str:
    login = user.get("login") if isinstance(user, dict) else None
    app = isinstance(login, str) and login.endswith(_BOT_SUFFIX)
    if is_login(login.removesuffix(_BOT_SUFFIX) if app else login) and len(login) <= 39:
        return login
    fields.unreadable("author_login", "author", login, "is not a GitHub login")
    return ""


def _whole(value: Any) -> int | None:
    """An integer, or a float with no fraction; never a bool, a string or NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)
