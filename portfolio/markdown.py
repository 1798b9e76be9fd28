"""Markdown to safe HTML: the one renderer for the public page and the admin preview.

Python-Markdown turns the owner's text into HTML (raw HTML allowed, as in any
markdown), then nh3 keeps only what markdown itself produces. Models call this
when they are saved and store the result, so a page view never renders markdown.
"""

from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody",
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

MARKDOWN_EXTENSIONS = [
    "markdown.extensions.fenced_code",
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
