"""Markdown to safe HTML: the one renderer for the public page and the admin preview.

Python-Markdown turns the owner's text into HTML (raw HTML allowed, as in any
markdown), then nh3 keeps only what markdown itself produces. Models call this
when they are saved and store the result, so a page view never renders markdown.

Two flavours: `render_markdown` for write-ups (tables, code blocks highlighted by
Pygments into CSS classes, images), and `render_inline_markdown` for a card's
one-paragraph summary (emphasis, code and links only).
"""

from xml.etree.ElementTree import Element

import markdown
import nh3
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
    """Render the owner's markdown to sanitized HTML (also django-markdownx's preview)."""
    if not text:
        return ""
    # A Markdown instance keeps state between conversions: one per call is thread-safe.
    md = markdown.Markdown(extensions=[*MARKDOWN_EXTENSIONS, ExternalLinksExtension()], output_format="html")
    return sanitize_html(md.convert(text))


def render_inline_markdown(text: str) -> str:
    """Render a short text's inline markdown (emphasis, code, links) to sanitized HTML, without a <p>.

    The text is read as one paragraph: line breaks are spaces, and block syntax (headings,
    lists, quotes, code blocks, tables) is left as typed.
    """
    text = " ".join((text or "").split())
    if not text:
        return ""
    md = markdown.Markdown(extensions=[ExternalLinksExtension()], output_format="html")
    for name in _BLOCK_PROCESSORS:
        md.parser.blockprocessors.deregister(name)
    return sanitize_inline_html(md.convert(text)).strip()
