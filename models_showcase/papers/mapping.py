"""From `paper_info`'s raw JSON (`GET /api/papers/{arxiv_id}`) to a paper's fields.

As for models (models_showcase/hub/mapping.py), every value is untrusted: nothing here raises on
bad data. What cannot be read is left out of `fields`, and a warning says so; "left out" means
*unknown*, so the writer keeps the stored value. What the Hub simply omits (no GitHub repository,
no date) is returned empty.

Hidden authors (`"hidden": true`) are still in the Hub's `authors` list; its own page leaves
them out, and so do we.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from models_showcase.hub.eval_rows import show
from models_showcase.hub.mapping import FieldReader, whole_number
from models_showcase.papers.models import normalize_arxiv_id
from portfolio.syncing.errors import clean_text

MAX_INT = 2**31 - 1
TITLE_LENGTH = 500
ABSTRACT_LENGTH = 10_000
NAME_LENGTH = 200
# Collaboration papers list thousands; a page and a BibTeX entry need no more than this.
MAX_AUTHORS = 500
URL_LENGTH = 500
# A Hub username (huggingface_hub's rules for a namespace, loosely): nothing else goes into a link.
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_GITHUB_PATH = re.compile(r"^/[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}/?$")


class UnreadablePaper(Exception):
    """An answer that is not a paper at all (not a JSON object)."""


@dataclass
class HubPaper:
    arxiv_id: str  # as the answer names it, normalised; "" if it named none
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_paper(raw: Any) -> HubPaper:
    """Everything a paper stores, from one `paper_info` answer."""
    if not isinstance(raw, dict):
        raise UnreadablePaper(f"an answer that is not an object: {show(raw)}")
    raw_id = raw.get("id")
    paper = HubPaper(arxiv_id=normalize_arxiv_id(raw_id) if isinstance(raw_id, str) else "")
    reader = _Reader(raw, paper)
    reader.title()
    reader.abstract()
    reader.authors()
    reader.published_on()
    reader.upvotes()
    reader.github_url()
    return paper


def one_line(value: str, limit: int) -> str:
    """White space (line breaks included) folded to single spaces, control characters out, at most `limit`."""
    return clean_text(" ".join(value.split()), limit)


class _Reader(FieldReader):
    """Reads one paper's properties (a HubPaper's fields)."""

    def text(self, key: str, name: str, label: str, limit: int) -> None:
        value = self.raw.get(key)
        if value is None:
            self.warn(f"{label}: missing from the Hub's answer; kept the previous value")
        elif not isinstance(value, str) or not one_line(value, limit):
            self.warn(f"{label}: {show(value)} is not text; kept the previous value")
        else:
            if len(" ".join(value.split())) > limit:
                self.warn(f"{label}: longer than {limit} characters; shortened")
            self.fields[name] = one_line(value, limit)

    def title(self) -> None:
        self.text("title", "title", "title", TITLE_LENGTH)

    def abstract(self) -> None:
        self.text("summary", "abstract", "abstract", ABSTRACT_LENGTH)

    def authors(self) -> None:
        value = self.raw.get("authors")
        if value is None:
            self.fields["authors"] = []  # the Hub leaves the key out of a paper it lists no author for
            return
        if not isinstance(value, list):
            self.warn(f"authors: {show(value)} is not a list; kept the previous value")
            return
        authors: list[dict[str, str]] = []
        unreadable = 0
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                unreadable += 1
                continue
            if item.get("hidden") is True:
                continue  # the Hub's page does not show it either
            name = one_line(item["name"], NAME_LENGTH)
            if not name:
                unreadable += 1
                continue
            if len(authors) >= MAX_AUTHORS:
                self.warn(f"authors: only the first {MAX_AUTHORS} kept")
                break
            authors.append({"name": name, "user": _username(item.get("user"))})
        if unreadable:
            self.warn(f"authors: {unreadable} unreadable entries left out")
        self.fields["authors"] = authors

    def published_on(self) -> None:
        value = self.raw.get("publishedAt")
        if value is None:
            self.fields["published_on"] = None  # the Hub has no date for it
            return
        parsed: date | None = None
        if isinstance(value, str) and len(value) <= 40:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            # The day as arXiv announced it (UTC), not as a server's time zone would shift it.
            parsed = moment.date() if moment is not None and 1991 <= moment.year <= 9999 else None
        if parsed is None:
            self.warn(f"date: {show(value)} is not a date; kept the previous value")
            return
        self.fields["published_on"] = parsed

    def upvotes(self) -> None:
        value = self.raw.get("upvotes")
        if value is None:
            self.warn("upvotes: missing from the Hub's answer; kept the previous value")
            return
        number = whole_number(value)
        if number is None or not 0 <= number <= MAX_INT:
            self.warn(f"upvotes: {show(value)} is not a count; kept the previous value")
            return
        self.fields["upvotes"] = number

    def github_url(self) -> None:
        value = self.raw.get("githubRepo")
        if value is None or value == "":
            self.fields["github_url"] = ""
            return
        if isinstance(value, str) and _github_repo_url(value.strip()):
            self.fields["github_url"] = value.strip()
            return
        self.warn(f"GitHub repository: {show(value)} is not a GitHub repository's address; left empty")
        self.fields["github_url"] = ""


def _username(user: Any) -> str:
    """The Hub account of an author who claimed the paper (`user.user`), if it reads as one."""
    name = user.get("user") if isinstance(user, dict) else None
    return name if isinstance(name, str) and _USERNAME.match(name) else ""


def _github_repo_url(value: str) -> bool:
    """https://github.com/owner/repo, nothing else: the address becomes a link on the page."""
    if len(value) > URL_LENGTH:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.netloc.lower() in ("github.com", "www.github.com")
        and not parts.query
        and not parts.fragment
        and bool(_GITHUB_PATH.match(parts.path))
    )
