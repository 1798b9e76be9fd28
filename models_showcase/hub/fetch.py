"""Asking the Hub about one model (dataset, Space) while the owner adds its card: once, with a short timeout.

The admin's card form calls `fetch_for_new_card` before it saves, so a mistyped id is refused with
the Hub's own answer, and a real model's card is filled in the same request, through the sync's
mapping (`read_repo`) and writer (`write_card`), instead of waiting for the next `sync_hub`.
At most two requests: the repo (`GET /api/models/{id}`, `/api/datasets/{id}` or `/api/spaces/{id}`,
with the expand values sync_hub's repo_info asks for), then, only if the owner wrote no summary,
its README for a first one.

Not HubClient: that is made for runs (retries with backoff, waits for the quota, a run's deadline).
An owner waiting on a form gets one try; a Hub that does not answer in time costs only the
statistics, which the next sync brings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import httpx2
from django.db import DatabaseError
from huggingface_hub import HfApi
from huggingface_hub.utils import get_session, hf_raise_for_status

from models_showcase.hub import writer
from models_showcase.hub.client import ENDPOINTS, classify, request_headers
from models_showcase.hub.mapping import HubRepo, UnreadableModel, read_repo
from models_showcase.hub.run import default_api
from models_showcase.models import HUB_PREFIX, SUMMARY_LENGTH, HubCard
from models_showcase.rendering import refresh_card_html
from portfolio.page_cache import content_changed
from portfolio.syncing.errors import SyncError, SyncErrorKind, clean_text

logger = logging.getLogger(__name__)

# What the Hub says when it answered about the model itself: the card is not saved.
REFUSED = frozenset({SyncErrorKind.NOT_FOUND, SyncErrorKind.DISABLED})
# An MTEB-style card's YAML front matter alone can run to hundreds of kB before the first sentence.
MAX_README_BYTES = 1_000_000
SUMMARY_CHARS = SUMMARY_LENGTH  # it becomes the card's summary, which holds this many characters


@dataclass
class FetchResult:
    """What the Hub said about one model: the model, or why not."""

    repo_id: str  # as asked; `model.repo_id` is the Hub's spelling (case, or a rename)
    endpoint: str
    timeout: float
    model: HubRepo | None = None
    summary: str = ""  # the README's first paragraphs, when asked for and found
    error: SyncError | None = None
    status: int = 0  # the HTTP status of an error answer; 0 when there was none
    hub_message: str = ""  # the Hub's own words for it (X-Error-Message), cleaned
    with_token: bool = False  # whether HF_TOKEN was sent

    @property
    def refused(self) -> bool:
        """The Hub answered that it has no such model (for us), or that it is disabled."""
        return self.error is not None and self.error.kind in REFUSED


def fetch_for_new_card(
    repo_id: str, kind: str = "model", *, timeout: float, with_readme: bool = True, api: HfApi | None = None
) -> FetchResult:
    """The model (dataset, Space) as the Hub describes it (one request), and its README's summary (a second)."""
    api = api or default_api()
    endpoint = api.endpoint.rstrip("/")
    headers, with_token = request_headers(api)
    result = FetchResult(repo_id=repo_id, endpoint=endpoint, timeout=timeout, with_token=with_token)
    response = None
    try:
        response = get_session().get(
            f"{endpoint}/api/{ENDPOINTS[kind].path}/{repo_id}",
            params=[("expand", name) for name in ENDPOINTS[kind].detail_expand],
            headers=headers,
            timeout=timeout,
        )
        hf_raise_for_status(response)
        result.model = read_repo(response.json(), kind)
    except UnreadableModel as error:
        result.error = SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer: {error}")
    except Exception as error:  # classify() says what each failure means, as for sync_hub
        result.error = classify(error, with_token=with_token)
        if response is not None and response.status_code >= 400:
            result.status = response.status_code
            result.hub_message = clean_text(response.headers.get("x-error-message", ""), 120)
    if result.model is not None and with_readme:
        path = HUB_PREFIX[kind] + result.model.repo_id
        result.summary = readme_summary(_readme(endpoint, path, headers, timeout))
    return result


def _readme(endpoint: str, repo_path: str, headers: dict[str, str], timeout: float) -> str:
    """The README's text, or "" for any failure: a missing README costs only the summary."""
    data = bytearray()
    try:
        # As hf_hub_url builds it, but on this endpoint: hf_hub_url starts from the endpoint read at import.
        url = f"{endpoint}/{repo_path}/resolve/main/README.md"
        with get_session().stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                return ""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) >= MAX_README_BYTES:
                    break
    except (httpx2.HTTPError, OSError) as error:
        logger.info("%s: README not read (%s)", repo_path, type(error).__name__)
        return ""
    return bytes(data[:MAX_README_BYTES]).decode("utf-8", errors="replace")


def store_fetched(card: HubCard, result: FetchResult, *, now: datetime) -> None:
    """Write what the Hub said on the card just saved, as a sync would; or mark it not yet synced."""
    if result.model is not None:
        try:
            writer.write_card(card, result.model, writer.changes(card, result.model), now=now)
        except DatabaseError as error:
            # E.g. a value the database refuses: the owner's card is saved, the next sync tries again.
            logger.warning("%s: Hub answer not stored: %s", card.repo_id, clean_text(str(error)))
            result.model = None
            result.error = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
        else:
            content_changed()  # the writer's queryset updates send no signal
            return
    if card.synced_at is not None or card.hub_object_id:
        # An edit that changed the card's model: what was synced described the previous one, and the
        # sync would otherwise follow that model's object id back to it.
        HubCard.objects.filter(pk=card.pk).update(synced_at=None, hub_object_id="", sha="")
        refresh_card_html([card.pk])
        content_changed()


# ---------------------------------------------------------------------------
# The README's summary

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_UNDERLINE = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^[ \t]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
# Lists, quotes, tables and HTML blocks: not the prose a card's description starts from.
_NOT_PROSE = re.compile(
    r"^[ \t]{0,3}(?:[-*+][ \t]|\d+[.)][ \t]|>|\||</?(?:div|p|img|a|table|h[1-6]|center|br|hr|picture|source|details"
    r"|summary|section|figure|iframe|video)\b)",
    re.I,
)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)(?:\s+[\"'][^)]*)?\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s)")


def readme_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first prose paragraph(s) of a model's README, as plain markdown of at most `limit` characters.

    Leaves out the YAML front matter, HTML comments and blocks, headings, badge and image lines,
    code, lists and tables; stops at the first of those after some prose (the next section).
    Images and links that are not absolute http(s) addresses are dropped (their text kept).
    """
    paragraphs: list[str] = []
    for kind, paragraph in _blocks(text):
        if kind == "prose":
            paragraph = _clean(paragraph)
            if not any(char.isalnum() for char in _LINK.sub("", paragraph)):
                continue  # a row of badges or links
            if paragraphs and len("\n\n".join([*paragraphs, paragraph])) > limit:
                break
            paragraphs.append(paragraph)
        elif paragraphs:
            break
    return _shorten("\n\n".join(paragraphs), limit)


def _blocks(text: str):
    """("prose", paragraph) and ("other", "") items, in the README's order."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = _COMMENT.sub("", _FRONT_MATTER.sub("", text, count=1))
    lines = text.split("\n")
    paragraph: list[str] = []
    fence = ""
    for index, line in enumerate(lines):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        opening = _FENCE.match(line)
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        heading = _HEADING.match(line) or (line.strip() and _UNDERLINE.match(next_line) and not paragraph)
        if opening or heading or _RULE.match(line) or not line.strip() or (not paragraph and line.startswith("    ")):
            if paragraph:
                yield _paragraph(paragraph)
                paragraph = []
            if opening:
                fence = opening.group(1)
            if not line.strip() or (_UNDERLINE.match(line) and index and lines[index - 1].strip()):
                continue  # a blank line, or the underline of the heading just left
            yield "other", ""
            continue
        if _UNDERLINE.match(line):
            continue
        paragraph.append(line.strip())
    if paragraph:
        yield _paragraph(paragraph)


def _paragraph(lines: list[str]) -> tuple[str, str]:
    if _NOT_PROSE.match(lines[0]):
        return "other", ""
    return "prose", " ".join(lines)


def _clean(paragraph: str) -> str:
    def link(match: re.Match) -> str:
        label, target = match.group(1), match.group(2)
        return match.group(0) if target.startswith(("https://", "http://")) and label.strip() else label

    text = _LINK.sub(link, _TAG.sub("", _IMAGE.sub("", paragraph)))
    text = re.sub(r"[ \t]+([.,;:!?])(?=\s|$)", r"\1", text)  # where a dropped image stood
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _balanced(text: str) -> bool:
    return text.count("[") == text.count("]") and text.count("(") == text.count(")") and text.count("`") % 2 == 0


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters: cut after a sentence if one ends late enough, else between words."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [match.end() for match in _SENTENCE_END.finditer(head + " ") if match.end() >= limit // 3]
    for end in reversed(ends):
        if _balanced(text[:end]):
            return text[:end].rstrip()
    space = head[: limit - 1].rfind(" ")
    while space > limit // 3 and not _balanced(text[:space]):
        space = text.rfind(" ", 0, space)
    cut = text[:space] if space > limit // 3 else text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"
