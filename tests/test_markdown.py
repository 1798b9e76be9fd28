import pytest

from portfolio.markdown import render_markdown


def test_markdown_features_survive_sanitizing():
    html = render_markdown(
        "## Heading\n\n"
        "- **bold** and *italic*\n- `code`\n\n"
        "1. first\n2. second\n\n"
        "```python\nprint('hi')\n```\n\n"
        "| model | score |\n|:--|--:|\n| bge | 0.91 |\n\n"
        "> quoted\n\n"
        "![chart](https://example.com/chart.png)\n"
    )
    for fragment in [
        "<h2>Heading</h2>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        "<code>code</code>",
        "<ol>",
        "<pre><code",
        "print('hi')",
        '<th align="left">model</th>',
        '<td align="right">0.91</td>',
        "<blockquote>",
        '<img alt="chart" src="https://example.com/chart.png" loading="lazy">',
    ]:
        assert fragment in html


def test_korean_emphasis_next_to_hangul():
    html = render_markdown("**GISTEmbedLoss 네거티브 확장 기여**를 통해")
    assert html == "<p><strong>GISTEmbedLoss 네거티브 확장 기여</strong>를 통해</p>"


def test_external_links_open_in_a_new_tab_safely():
    html = render_markdown("[Hub](https://huggingface.co/dragonkue)")
    assert html == (
        '<p><a href="https://huggingface.co/dragonkue" target="_blank" rel="noopener noreferrer">Hub</a></p>'
    )


def test_relative_links_stay_in_the_tab():
    html = render_markdown("[home](/)")
    assert 'href="/"' in html
    assert "target" not in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
        "<iframe src=https://evil.example></iframe>",
        '<a href="https://ok.example" target="_top" onmouseover="alert(1)">x</a>',
    ],
)
def test_executable_markup_never_survives(payload):
    html = render_markdown(payload).lower()
    for dangerous in [
        "<script",
        "onerror",
        "onclick",
        "onmouseover",
        "javascript:",
        "data:",
        "<iframe",
        "style=",
        "_top",
    ]:
        assert dangerous not in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
