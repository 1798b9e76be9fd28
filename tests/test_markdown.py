import re

import pytest

from portfolio.markdown import HIGHLIGHT_CLASSES, render_inline_markdown, render_markdown


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
        '<div class="codehilite"><pre><span></span><code>',
        '<span class="nb">print</span><span class="p">(</span><span class="s1">\'hi\'</span>',
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


# ---- Code blocks: highlighted once, into Pygments' classes ----


def test_code_blocks_are_highlighted_with_classes_not_styles():
    html = render_markdown('```python\ndef f(x):\n    return "s"  # note\n```')
    assert html.startswith('<div class="codehilite"><pre>')
    assert '<span class="k">def</span><span class="w"> </span><span class="nf">f</span>' in html
    assert '<span class="c1"># note</span>' in html
    assert "style=" not in html
    classes = {name for value in re.findall(r'class="([^"]*)"', html) for name in value.split()}
    assert classes and classes <= HIGHLIGHT_CLASSES


def test_a_block_without_a_language_is_plain_text_not_guessed():
    html = render_markdown("```\n<b>not bold</b> SELECT 1;\n```\n\n    indented code")
    assert html.count('<div class="codehilite">') == 2
    assert "&lt;b&gt;not bold&lt;/b&gt; SELECT 1;" in html
    assert '<span class="k' not in html  # no keyword guessed


def test_highlighted_lines_and_unknown_languages():
    html = render_markdown('```{.python hl_lines="1"}\nx = 1\n```\n\n```no-such-language\nx = 1\n```')
    assert '<span class="hll">' in html
    assert "x = 1" in html  # the unknown language is shown as it is


@pytest.mark.parametrize(
    "payload",
    [
        '<span class="k notice--danger model-card" style="color:red" onclick="alert(1)">x</span>',
        '<div class="codehilite layout" style="position:fixed">x</div>',
        '<pre class="evil"><code class="language-js" onmouseover="alert(1)">x</code></pre>',
        '```python" onmouseover="alert(1)\nx\n```',
        '```{.python #id onclick="alert(1)" style="x"}\nx\n```',
        "```python\n</code></pre><script>alert(1)</script>\n```",
    ],
)
def test_only_highlight_classes_survive_on_code(payload):
    html = render_markdown(payload)
    attributes = {name for tag in re.findall(r"<[a-z][^>]*>", html) for name in re.findall(r"\s([\w-]+)=", tag)}
    assert attributes <= {"class"}, attributes
    assert "<script" not in html
    classes = {name for value in re.findall(r'class="([^"]*)"', html) for name in value.split()}
    assert classes <= HIGHLIGHT_CLASSES, classes


@pytest.mark.parametrize(
    "options",
    ['style="monokai"', 'pygments_style="monokai"', 'noclasses="true"', 'full="true" cssfile="x.css"', "linenums"],
)
def test_a_fences_options_never_reach_pygments(options, tmp_path, monkeypatch):
    """Only hl_lines is read: the rest could fail the render, write a file, or add inline styles."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    html = render_markdown(f"```{{.python {options}}}\nx = 1\n```")
    assert html.startswith('<div class="codehilite"><pre>')
    assert '<span class="n">x</span>' in html
    assert "style" not in html and "<table" not in html
    assert list(workdir.iterdir()) == []


# ---- A card's summary: inline markdown only ----


def test_inline_markdown_keeps_emphasis_code_and_links():
    html = render_inline_markdown("The **best** *Korean* `bge-m3` on [the Hub](https://huggingface.co/x).")
    assert html == (
        "The <strong>best</strong> <em>Korean</em> <code>bge-m3</code> on "
        '<a href="https://huggingface.co/x" target="_blank" rel="noopener noreferrer">the Hub</a>.'
    )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("# Not a heading", "# Not a heading"),
        ("- not a list", "- not a list"),
        ("1. not a list", "1. not a list"),
        ("> not a quote", "&gt; not a quote"),
        ("    not code", "not code"),
        ("two\n\nparagraphs\non lines", "two paragraphs on lines"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "| a | b | |---|---| | 1 | 2 |"),
        ("A ![picture](https://example.com/a.png) here", "A  here"),
        ("<div>raw <b>block</b></div>", "raw <b>block</b>"),
        ("", ""),
    ],
)
def test_inline_markdown_makes_no_block(text, html):
    assert render_inline_markdown(text) == html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>x",
        "[x](javascript:alert(1))",
        '<a href="https://ok.example" onclick="alert(1)" style="x" target="_top">x</a>',
        '<span class="k">not highlighted</span>',
        "<img src=x onerror=alert(1)>",
    ],
)
def test_inline_markdown_is_sanitized(payload):
    html = render_inline_markdown(payload).lower()
    for dangerous in ["<script", "javascript:", "onclick", "onerror", "style=", "_top", "class=", "<img", "<span"]:
        assert dangerous not in html
