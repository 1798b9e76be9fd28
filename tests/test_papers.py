"""Papers without the network: arXiv ids, reading paper_info's answers, BibTeX, the .bib file, the Publications section.

The Hub's side (sync_hub, the admin's fetch on save) is in test_papers_sync.py.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from models_showcase.papers import bibtex
from models_showcase.papers.mapping import MAX_AUTHORS, UnreadablePaper, read_paper
from models_showcase.papers.models import Paper, normalize_arxiv_id, validate_arxiv_id, year_of_id
from models_showcase.papers.views import publications
from tests.builders import make_card, make_profile
from tests.fakehub import hub_paper, load_fixture, messy_papers, paper_author

SBERT = "1908.10084"


def make_paper(arxiv_id: str, *, is_published=True, cited_by=(), **fields) -> Paper:
    """A paper as a sync leaves it (the Hub's fields written around save(), as the sync does)."""
    owner = {name: fields.pop(name) for name in ("venue", "note", "code_url") if name in fields}
    paper = Paper.objects.create(arxiv_id=arxiv_id, is_published=is_published, **owner)
    if fields:
        Paper.objects.filter(pk=paper.pk).update(**fields)
        paper.refresh_from_db()
    paper.cited_by.set(cited_by)
    return paper


def sbert(**overrides) -> Paper:
    fields = {
        "title": "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks",
        "authors": [{"name": "Nils Reimers", "user": "nreimers"}, {"name": "Iryna Gurevych", "user": ""}],
        "published_on": date(2019, 8, 27),
        "abstract": "Siamese networks.",
        "upvotes": 9,
        **overrides,
    }
    return make_paper(SBERT, **fields)


# ---- arXiv ids ----


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1908.10084", "1908.10084"),
        (" 1908.10084v3 ", "1908.10084"),
        ("0704.0001", "0704.0001"),
        ("cs/0112017", "cs/0112017"),
        ("CS/0112017v1", "cs/0112017"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_arxiv_ids_are_stored_without_version(typed, stored):
    assert normalize_arxiv_id(typed) == stored
    validate_arxiv_id(stored)


@pytest.mark.parametrize(
    "value", ["", "1908.1008", "1412.00001", "1908.100845", "19081.0084", "cs0112017", "cs/011201", "x" * 50]
)
def test_what_is_not_an_arxiv_id_is_refused(value):
    assert normalize_arxiv_id(value) == ""
    with pytest.raises(ValidationError):
        validate_arxiv_id(value)


def test_the_year_comes_from_the_id_when_the_month_is_real():
    assert (year_of_id("1908.10084"), year_of_id("cs/9912017"), year_of_id("cs/0112017")) == (2019, 1999, 2001)
    assert year_of_id("2099.00001") is None  # month 99: no arXiv paper


# ---- reading paper_info's answers ----


def test_a_real_shaped_answer_is_read_whole():
    paper = read_paper(load_fixture("papers/2402.03216.json"))
    assert paper.warnings == []
    fields = paper.fields
    assert fields["title"].startswith("BGE M3-Embedding: Multi-Lingual")
    assert fields["authors"][0] == {"name": "Jianlv Chen", "user": ""} and len(fields["authors"]) == 6
    assert fields["published_on"] == date(2024, 2, 5)
    assert (fields["upvotes"], fields["github_url"]) == (6, "https://github.com/FlagOpen/FlagEmbedding")
    assert paper.arxiv_id == "2402.03216"


def test_messy_shapes_become_values_or_warnings_never_errors():
    hidden, undated, organised = (read_paper(raw) for raw in messy_papers())
    assert hidden.fields["authors"] == [{"name": "Tester Lee", "user": "tester"}]  # the hidden author left out
    assert undated.fields["published_on"] is None and undated.fields["authors"] == []
    assert organised.fields["upvotes"] == 0
    assert [hidden.warnings, undated.warnings, organised.warnings] == [[], [], []]


@pytest.mark.parametrize(
    ("override", "field", "warning"),
    [
        ({"title": 42}, "title", "title: 42 is not text"),
        ({"title": None}, "title", "title: missing"),
        ({"upvotes": -1}, "upvotes", "upvotes: -1 is not a count"),
        ({"upvotes": "many"}, "upvotes", "upvotes: 'many' is not a count"),
        ({"upvotes": float("nan")}, "upvotes", "upvotes: nan is not a count"),
        ({"upvotes": 2**40}, "upvotes", "is not a count"),
        ({"publishedAt": "yesterday"}, "published_on", "date: 'yesterday' is not a date"),
        ({"authors": "Kim"}, "authors", "authors: 'Kim' is not a list"),
    ],
)
def test_a_bad_value_keeps_the_stored_one_and_says_so(override, field, warning):
    paper = read_paper(hub_paper("2099.00001", **override) | override)
    assert field not in paper.fields
    assert any(warning in text for text in paper.warnings), paper.warnings


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(1)", "http://github.com/a/b", "https://evil.example/a/b", "https://github.com/a/b?x=1", 7],
)
def test_only_a_github_repository_address_becomes_the_code_link(address):
    paper = read_paper(hub_paper("2099.00001", githubRepo=address))
    assert paper.fields["github_url"] == ""
    assert any("GitHub repository" in text for text in paper.warnings)


def test_strings_are_cleaned_and_capped():
    raw = hub_paper(
        "2099.00001",
        title="A\x00 title\u202e with\ncontrol characters " + "x" * 600,
        authors=[paper_author("Kim\x07 Ji-woo"), {"name": 5}, "nobody", paper_author("  ")],
        summary="Line one.\n\nLine two.",
    )
    paper = read_paper(raw)
    assert paper.fields["title"].startswith("A title with control characters x") and len(paper.fields["title"]) == 500
    assert paper.fields["authors"] == [{"name": "Kim Ji-woo", "user": ""}]
    assert paper.fields["abstract"] == "Line one. Line two."
    assert "authors: 3 unreadable entries left out" in paper.warnings


def test_a_huge_author_list_is_capped():
    raw = hub_paper("2099.00001", authors=[paper_author(f"Author {n}") for n in range(MAX_AUTHORS + 5)])
    assert len(read_paper(raw).fields["authors"]) == MAX_AUTHORS


def test_an_answer_that_is_no_object_is_unreadable():
    with pytest.raises(UnreadablePaper):
        read_paper(["not", "a", "paper"])


def test_an_author_user_that_is_no_username_is_dropped():
    author = paper_author("Kim", user="tester")
    author["user"]["user"] = "<script>"
    assert read_paper(hub_paper("2099.00001", authors=[author])).fields["authors"] == [{"name": "Kim", "user": ""}]


# ---- BibTeX ----


@pytest.mark.django_db
def test_a_bibtex_entry_from_stored_data():
    paper = sbert(venue="EMNLP 2019")
    assert bibtex.entry(paper, bibtex.base_key(paper)) == (
        "@misc{reimers2019sentence,\n"
        "  title = {Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks},\n"
        "  author = {Nils Reimers and Iryna Gurevych},\n"
        "  year = {2019},\n"
        "  month = {aug},\n"
        "  eprint = {1908.10084},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://arxiv.org/abs/1908.10084},\n"
        "  note = {EMNLP 2019}\n"
        "}\n"
    )


def test_markup_characters_are_escaped_and_braces_stay_balanced():
    escaped = bibtex.escape("50% of {A} & B_1 $x$ #2 ~ ^ \\cite} \\end{document}")
    assert escaped == (
        r"50\% of \textbraceleft{}A\textbraceright{} \& B\_1 \$x\$ \#2 \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{}cite\textbraceright{} \textbackslash{}end\textbraceleft{}document\textbraceright{}"
    )
    depth = 0
    for char in escaped:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


@pytest.mark.django_db
def test_korean_names_stay_utf8_and_a_name_with_and_is_one_name():
    paper = make_paper(
        "2099.00001",
        title="한국어 검색",
        authors=[{"name": "김지우", "user": ""}, {"name": "Ministry of Science and ICT", "user": ""}],
    )
    entry = bibtex.entry(paper, "key")
    assert "  author = {김지우 and {Ministry of Science and ICT}},\n" in entry
    assert "  title = {한국어 검색},\n" in entry
    assert bibtex.base_key(paper) == "arxiv209900001"  # nothing ASCII to build a key from, and no year


@pytest.mark.django_db
def test_keys_are_unique_and_stable():
    kim = [{"name": "Ji Kim"}]
    first = make_paper("2001.00002", title="Dense Retrieval", authors=kim, published_on=date(2020, 1, 2))
    second = make_paper("2001.00001", title="The Dense Way", authors=kim, published_on=date(2020, 1, 3))
    keys = bibtex.keys_for([first, second])
    assert keys == {second.pk: "kim2020densea", first.pk: "kim2020denseb"}  # in arXiv id order
    assert bibtex.keys_for([second, first]) == keys


# ---- the .bib file ----


# The profile's language (LanguageMiddleware), then the papers.
BIB_QUERIES = 2


@pytest.mark.django_db
def test_the_bib_file_holds_every_published_paper(client, django_assert_num_queries):
    sbert()
    make_paper("2402.03216", title="BGE M3", authors=[{"name": "Jianlv Chen"}], published_on=date(2024, 2, 5))
    make_paper("2099.00001", title="Secret draft", is_published=False)
    with django_assert_num_queries(BIB_QUERIES):
        response = client.get(reverse("models_showcase:publications_bib"))
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    text = response.content.decode()
    assert text.index("@misc{chen2024bge,") < text.index("@misc{reimers2019sentence,")
    assert "Secret draft" not in text
    assert client.get(reverse("models_showcase:publications_bib")).content == response.content  # from the cache


@pytest.mark.django_db
def test_the_bib_file_is_empty_without_papers(client):
    response = client.get(reverse("models_showcase:publications_bib"))
    assert response.status_code == 200 and response.content == b""


@pytest.mark.django_db
def test_a_saved_paper_reaches_the_cached_bib_file(client):
    url = reverse("models_showcase:publications_bib")
    assert client.get(url).content == b""
    sbert()
    assert b"reimers2019sentence" in client.get(url).content


# ---- the Publications section ----


@pytest.mark.django_db
def test_papers_are_grouped_by_year_newest_first_undated_last():
    sbert()
    make_paper("2402.16829", published_on=date(2024, 2, 26))
    make_paper("2402.03216", published_on=date(2024, 2, 5))
    make_paper("2099.00002")  # no date, and no month in its id
    make_paper("2412.04506", published_on=None)  # no date: the id says December 2024
    groups = publications()
    assert [(year, [paper.arxiv_id for paper in papers]) for year, papers in groups] == [
        (2024, ["2402.16829", "2402.03216", "2412.04506"]),
        (2019, [SBERT]),
        (None, ["2099.00002"]),
    ]


@pytest.mark.django_db
def test_drafts_only_when_asked():
    make_paper("2099.00001", is_published=False)
    assert publications() == []
    assert [paper.arxiv_id for _, papers in publications(drafts=True) for paper in papers] == ["2099.00001"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("profile", "owner"),
    [
        ({"hub_username": "nreimers", "display_name": "Someone"}, "Nils Reimers"),  # the account that claimed it
        ({"hub_username": "other", "display_name": "iryna gurevych"}, "Iryna Gurevych"),  # the name, any case
        ({"hub_username": "other", "display_name": "Someone"}, None),
    ],
)
def test_the_owner_is_highlighted(profile, owner):
    make_profile(**profile)
    sbert()
    [(_, [paper])] = publications()
    assert [author.name for author in paper.author_list if author.is_owner] == ([owner] if owner else [])
    html = render_to_string("models_showcase/_publications.html", {"publications": publications()})
    if owner:
        assert f"<strong>{owner}</strong>" in html
    else:
        assert "<strong>" not in html


@pytest.mark.django_db
def test_the_section_shows_links_citations_abstract_and_bibtex():
    make_profile(hub_username="nreimers")
    cited = make_card("dragonkue/BGE-m3-ko", title="BGE-m3-ko")
    draft_card = make_card("dragonkue/draft", is_published=False)
    sbert(venue="EMNLP 2019", note="Oral", github_url="https://github.com/UKPLab/sentence-transformers")
    Paper.objects.get().cited_by.set([cited, draft_card])
    html = render_to_string("models_showcase/_publications.html", {"publications": publications()})
    for expected in (
        'id="paper-1908-10084"',
        'href="https://huggingface.co/papers/1908.10084"',
        'href="https://arxiv.org/abs/1908.10084"',
        'href="https://arxiv.org/pdf/1908.10084"',
        'href="https://github.com/UKPLab/sentence-transformers"',
        f'href="{cited.get_absolute_url()}">BGE-m3-ko</a>',
        "EMNLP 2019",
        "Oral",
        "9 upvotes on the Hub",
        "<summary>Abstract</summary>",
        "@misc{reimers2019sentence,",
        'data-copy-target="bibtex-paper-1908-10084"',
        f'href="{reverse("models_showcase:publications_bib")}"',
        "js/copy-button.js",
        '<time datetime="2019-08-27">',
    ):
        assert expected in html, expected
    assert "dragonkue/draft" not in html  # a draft card is no citation a visitor may follow


@pytest.mark.django_db
def test_the_owners_code_address_replaces_the_hubs():
    sbert(code_url="https://example.com/code", github_url="https://github.com/UKPLab/sentence-transformers")
    html = render_to_string("models_showcase/_publications.html", {"publications": publications()})
    assert 'href="https://example.com/code"' in html and "github.com/UKPLab" not in html


def test_without_papers_the_section_is_not_shown():
    assert render_to_string("models_showcase/_publications.html", {"publications": []}).strip() == ""


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.mark.django_db
def test_hostile_hub_strings_are_escaped(client):
    make_profile()
    make_paper(
        "2099.00001",
        title=HOSTILE,
        authors=[{"name": HOSTILE, "user": ""}],
        abstract=HOSTILE,
        venue=HOSTILE,
        note=HOSTILE,
        published_on=date(2024, 1, 1),
    )
    html = render_to_string("models_showcase/_publications.html", {"publications": publications()})
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    bib = client.get(reverse("models_showcase:publications_bib")).content.decode()
    assert 'title = {<script>alert(1)</script>"><img src=x onerror=alert(1)>}' in bib  # text, served as BibTeX


# Papers, then the published cards citing them (the profile is given by the home page, which has it).
PUBLICATION_QUERIES = 2


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 3, 60])
def test_query_count_does_not_grow_with_papers(count, django_assert_num_queries):
    profile = make_profile()
    cards = [make_card() for _ in range(3)]
    for index in range(count):
        make_paper(f"24{index % 12 + 1:02d}.{index:05d}", authors=[{"name": "Test Owner"}], cited_by=cards)
    # No paper, no citations to ask for.
    with django_assert_num_queries(PUBLICATION_QUERIES if count else 1):
        groups = publications(profile=profile)
        html = render_to_string("models_showcase/_publications.html", {"publications": groups})
    assert html.count('class="paper"') == count
    assert html.count("<strong>Test Owner</strong>") == count
    with django_assert_num_queries((PUBLICATION_QUERIES if count else 1) + 1):
        publications()  # reads the profile itself
