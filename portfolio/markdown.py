"""Markdown to safe HTML: the one renderer for the public page and the admin preview.

Python-Markdown turns the owner's text into HTML (raw HTML allowed, as in any
markdown), then nh3 keeps only what markdown itself produces. Models call this
when they are saved and store the result, so a page view never renders markdown.

Two flavours: `render_markdown` for write-ups (tables, code blocks highlighted by
Pygments into CSS classes, images), and `render_inline_markdown` for a card's
one-paragraph summary (emphasis, code and links only).

Python-Markdown is quadratic on some inputs (its issue #798: ten thousand `[` take
seconds to minutes), and nobody can list every such input. So the text is capped per
field (the validators below), and every render runs in a worker process with a time
limit (RENDER_TIMEOUT): past it, the worker is killed and MarkdownTooSlow raised, so
a request answers a form error or a 400 instead of hanging. The worker is a plain
child process (`python -c ...serve_worker()`), started on the first render (~0.15 s)
and kept for the next ones: no fork of a threaded server, and a render costs one round
trip through a pipe (~0.2 ms; a 20,000-character write-up takes 11-20 ms either way).
Measured on the 2-core dev machine: 10,000 `[` took 8.8 s in-process, "[a](b " x 4,000
3.6 s, 5,000 abbreviation definitions 6.9 s; each now stops at RENDER_TIMEOUT.
"""

import atexit
import functools
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.etree.ElementTree import Element

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedBlockPreprocessor, FencedCodeExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
}

# Only these values survive; anything else in the attribute is dropped.
RESTRICTED_ATTRIBUTE_VALUES = {
    "a": {"target": {"_blank"}},
    "td": {"align": {"left", "center", "right"}},
    "th": {"align": {"left", "center", "right"}},
}

# No javascript:, vbscript: or data: URLs; relative URLs (uploaded images) pass.
URL_SCHEMES = {"http", "https", "mailto"}

# Pygments' short token classes ("k", "s1", ...), its highlighted-line class and the block's
# own: the only classes kept, so the stylesheet's highlighting rules (static/css/site.css) apply
# and nothing else on the site can be borrowed. Never a style attribute: the CSP forbids them.
HIGHLIGHT_CLASSES = {name for name in STANDARD_TYPES.values() if name} | {"hll", "codehilite"}
ALLOWED_CLASSES = {tag: HIGHLIGHT_CLASSES for tag in ("div", "span", "pre", "code")}

# A summary is one line of text on a card: emphasis, code and links, nothing that makes a block.
INLINE_TAGS = {"a", "abbr", "b", "code", "del", "em", "i", "ins", "kbd", "mark", "s", "strong", "sub", "sup"}
INLINE_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
# Block syntax a summary does not interpret: "# x", "- x", "> x" and the like stay as typed.
_BLOCK_PROCESSORS = ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote")


class _FencedBlocks(FencedBlockPreprocessor):
    def handle_attrs(self, attrs):
        # A fence's {key=value} pairs would reach Pygments' formatter as options: "style" fails
        # the render, others write files (cssfile) or inline styles. Only line highlighting stays.
        _, classes, config = super().handle_attrs(attrs)
        return "", classes, {key: value for key, value in config.items() if key == "hl_lines"}


class SafeFencedCodeExtension(FencedCodeExtension):
    """Python-Markdown's fenced code blocks, with only the options a reader's page needs."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.registerExtension(self)
        md.preprocessors.register(_FencedBlocks(md, self.getConfigs()), "fenced_code_block", 25)


MARKDOWN_EXTENSIONS = [
    SafeFencedCodeExtension(),
    # Highlighted here, once, into Pygments' CSS classes (noclasses=False): no script on the page,
    # no inline style. A block without a language stays plain text rather than being guessed at.
    CodeHiliteExtension(css_class="codehilite", guess_lang=False, noclasses=False),
    # The align attribute, not an inline style: the site's CSP forbids inline styles.
    TableExtension(use_align_attribute=True),
    "markdown.extensions.def_list",
    "markdown.extensions.abbr",
    "markdown.extensions.sane_lists",
]


class _ExternalLinksInNewTab(Treeprocessor):
    def run(self, root: Element) -> None:
        for link in root.iter("a"):
            if link.get("href", "").startswith(("http://", "https://")):
                link.set("target", "_blank")


class ExternalLinksExtension(Extension):
    """Markdown links to other sites open in a new tab, as they did on the seed page."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_ExternalLinksInNewTab(md), "external_links", 0)


def sanitize_html(html: str) -> str:
    """Keep the markup markdown produces; drop scripts, handlers, styles and unsafe URLs.

    nh3 adds rel="noopener noreferrer" to every link it keeps.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=RESTRICTED_ATTRIBUTE_VALUES,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def sanitize_inline_html(html: str) -> str:
    """As `sanitize_html`, keeping only inline elements: a block's tags go, its text stays."""
    return nh3.clean(
        html,
        tags=INLINE_TAGS,
        clean_content_tags={"script", "style"},
        attributes=INLINE_ATTRIBUTES,
        tag_attribute_values={"a": RESTRICTED_ATTRIBUTE_VALUES["a"]},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    """Render the owner's markdown to sanitized HTML (also the editor's preview).

    Raises MarkdownTooSlow if the render takes longer than RENDER_TIMEOUT.
    """
    return _render("block", text) if text else ""


def render_inline_markdown(text: str) -> str:
    """Render a short text's inline markdown (emphasis, code, links) to sanitized HTML, without a <p>.

    The text is read as one paragraph: line breaks are spaces, and block syntax (headings,
    lists, quotes, code blocks, tables) is left as typed. Raises MarkdownTooSlow as render_markdown does.
    """
    text = " ".join((text or "").split())
    return _render("inline", text) if text else ""


def _convert_block(text: str) -> str:
    # A Markdown instance keeps state between conversions: one per call.
    md = markdown.Markdown(extensions=[*MARKDOWN_EXTENSIONS, ExternalLinksExtension()], output_format="html")
    return sanitize_html(md.convert(text))


def _convert_inline(text: str) -> str:
    md = markdown.Markdown(extensions=[ExternalLinksExtension()], output_format="html")
    for name in _BLOCK_PROCESSORS:
        md.parser.blockprocessors.deregister(name)
    return sanitize_inline_html(md.convert(text)).strip()


_CONVERTERS = {"block": _convert_block, "inline": _convert_inline}


# ---- Limits: what a field may hold, and how long a render may take

# Characters of markdown. A long write-up (this project's README) is ~20,000; an intro is a paragraph or two.
WRITEUP_MAX_LENGTH = 20_000
INTRO_MAX_LENGTH = 5_000
# The longest any field accepts: the editor's preview does not know the field, and answers 400 past this.
MARKDOWN_MAX_LENGTH = max(WRITEUP_MAX_LENGTH, INTRO_MAX_LENGTH)
# Seconds. The longest write-up renders in 11-20 ms; a render that is still running after this
# is one of Python-Markdown's slow cases, and would otherwise hold a server worker for minutes.
RENDER_TIMEOUT = 2.0
# Seconds for a new worker to import markdown, Pygments and nh3 (~0.2 s), on a busy machine.
START_TIMEOUT = 30.0


class MarkdownTooSlow(Exception):
    """The text took longer than RENDER_TIMEOUT to render; `message` says so to its writer."""

    message = _(
        "This markdown takes too long to render. Long runs of brackets ([), links or "
        "abbreviation definitions (*[…]: …) are the usual cause: shorten or split them."
    )


def validate_markdown_renders(value: str) -> None:
    """A field's validator: the text renders within RENDER_TIMEOUT (the save renders it again, from the cache)."""
    if len(value) > MARKDOWN_MAX_LENGTH:
        return  # the field's MaxLengthValidator says so; not worth a render
    try:
        render_markdown(value)
    except MarkdownTooSlow as error:
        raise ValidationError(error.message, code="markdown_too_slow") from None


# ---- The worker process


@functools.lru_cache(maxsize=64)
def _render(kind: str, text: str) -> str:
    # Cached: a form's validation and the model's save() render the same text one after the other.
    return _worker.render(kind, text)


class _Worker:
    """One child process that renders, one request at a time; killed and replaced when a render runs too long."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner = 0  # the pid that started the process: a forked server process starts its own

    def render(self, kind: str, text: str) -> str:
        request = (json.dumps({"kind": kind, "text": text}) + "\n").encode("ascii")
        with self._lock:
            process = self._running()
            try:
                process.stdin.write(request)
                process.stdin.flush()
                line = self._read_line(process, RENDER_TIMEOUT)
            except (OSError, ValueError):
                line = None
            if line is None:
                self.stop()
                raise MarkdownTooSlow
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"The markdown worker failed: {answer['error']}")
        return answer["html"]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and self._owner == os.getpid():
            process.kill()
            process.wait()
            process.stdin.close()
            process.stdout.close()

    def _running(self) -> subprocess.Popen:
        if self._process is not None and self._owner != os.getpid():
            self._process = None  # inherited through a fork: the parent's, not ours to use or to kill
        if self._process is not None and self._process.poll() is not None:
            self.stop()  # died (killed from outside?): start another
        if self._process is None:
            root = str(Path(__file__).resolve().parent.parent)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
            self._process = subprocess.Popen(  # our own interpreter and code, no shell
                [sys.executable, "-c", "from portfolio.markdown import serve_worker; serve_worker()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=root,
                env=env,
                close_fds=True,
            )
            self._owner = os.getpid()
            if self._read_line(self._process, START_TIMEOUT) != b"ready\n":
                self.stop()
                raise RuntimeError("The markdown worker did not start.")
        return self._process

    @staticmethod
    def _read_line(process: subprocess.Popen, timeout: float) -> bytes | None:
        """One line from the worker, or None if none came within `timeout` seconds (or it died)."""
        deadline = time.monotonic() + timeout
        out = process.stdout
        with selectors.DefaultSelector() as selector:
            selector.register(out, selectors.EVENT_READ)
            chunks = []
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(out.fileno(), 1 << 16)
                if not chunk:
                    return None
                chunks.append(chunk)
                if chunk.endswith(b"\n"):
                    return b"".join(chunks)


_worker = _Worker()
atexit.register(_worker.stop)


def serve_worker() -> None:
    """The worker's loop: a JSON request per line on stdin, a JSON answer per line on stdout, until stdin closes."""
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            answer = {"html": _CONVERTERS[request["kind"]](request["text"])}
        except Exception as error:  # reported to the server, which raises it
            answer = {"error": f"{type(error).__name__}: {error}"}
        out.write((json.dumps(answer) + "\n").encode("ascii"))
        out.flush()
