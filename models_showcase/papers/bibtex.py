"""BibTeX entries from the stored data: what a reader copies, or downloads for every paper as one .bib file.

Values come from the Hub, untrusted: every character BibTeX or LaTeX reads as markup is escaped, so a
title cannot close its field or run a command, and braces stay balanced whatever the Hub sent. Names
stay in UTF-8 (Korean as Korean): biber and modern BibTeX read it, and a transliteration would be wrong.

Keys are Google Scholar's shape, `reimers2019sentence` (first author's family name, year, first word of
the title that is not a stop word), in ASCII, and unique among the papers given: papers sharing a key
get a, b, c… in arXiv id order, which does not change when the page is rendered again.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from models_showcase.papers.models import Paper

# One pass over the text, so no escape's own backslash or braces are escaped again.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
STOP_WORDS = frozenset(
    ["a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "by", "at", "is", "are", "towards", "via"]
)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def escape(value: str) -> str:
    """Text as a BibTeX field's value inside braces: markup characters escaped, no control characters."""
    text = " ".join("".join(char for char in value if unicodedata.category(char)[0] != "C").split())
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], text)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(char for char in folded if char.isascii() and char.isalnum()).lower()


def author_field(authors: list[dict]) -> str:
    """The `author` value: names joined by " and "; a name that holds " and " or a comma is braced as one name."""
    names = []
    for author in authors:
        name = escape(str(author.get("name", "")))
        if not name:
            continue
        if re.search(r"\band\b", name, re.I) or "," in name:
            name = "{" + name + "}"
        names.append(name)
    return " and ".join(names)


def base_key(paper: Paper) -> str:
    family = ""
    if paper.authors:
        parts = str(paper.authors[0].get("name", "")).split()
        family = _ascii_word(parts[-1]) if parts else ""
    words = [_ascii_word(word) for word in re.split(r"[\s\-–—:/]+", paper.title or "")]
    first = next((word for word in words if word and word not in STOP_WORDS), "")
    year = str(paper.year or "")
    key = f"{family or 'arxiv'}{year}{first}"
    return key if family or first else f"arxiv{re.sub(r'[^0-9a-z]', '', paper.arxiv_id.lower())}"


def keys_for(papers: Iterable[Paper]) -> dict[int, str]:
    """Paper pk → its key, unique among `papers`."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        groups[base_key(paper)].append(paper)
    keys: dict[int, str] = {}
    for key, group in groups.items():
        if len(group) == 1:
            keys[group[0].pk] = key
            continue
        for index, paper in enumerate(sorted(group, key=lambda p: p.arxiv_id)):
            keys[paper.pk] = key + _suffix(index)
    return keys


def _suffix(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def entry(paper: Paper, key: str) -> str:
    """One paper's `@misc` entry, arXiv's way (eprint, archivePrefix), with the venue as a note."""
    fields: list[tuple[str, str]] = [("title", escape(paper.display_title))]
    authors = author_field(paper.authors or [])
    if authors:
        fields.append(("author", authors))
    if paper.year:
        fields.append(("year", str(paper.year)))
    if paper.published_on:
        fields.append(("month", MONTHS[paper.published_on.month - 1]))
    fields += [("eprint", escape(paper.arxiv_id)), ("archivePrefix", "arXiv"), ("url", escape(paper.arxiv_url))]
    if paper.venue:
        fields.append(("note", escape(paper.venue)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def bibliography(papers: list[Paper]) -> str:
    """Every paper's entry, in the order given, blank lines between them."""
    keys = keys_for(papers)
    return "\n".join(entry(paper, keys[paper.pk]) for paper in papers)
