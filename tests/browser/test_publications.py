"""The Publications section in Chromium: grouped by year, the owner's name marked, the abstract folded,
BibTeX copied with one click; desktop and phones, light and dark."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from models_showcase.papers.models import Paper
from portfolio.demo import load_demo
from portfolio.models import Profile
from tests.browser.conftest import screenshot
from tests.browser.test_contribution_notice import CONTRAST, shown_text
from tests.browser.test_home_sections import VIEWPORTS, open_home

pytestmark = pytest.mark.django_db(transaction=True)

LONG_TITLE = "Ｓｏｍｅ　very-long-unbroken-title-" + "x" * 120  # a title that cannot wrap at a space


@pytest.fixture
def site():
    """The demo (six papers the models cite), synced as sync_hub would, the owner an author of one."""
    load_demo()
    Profile.objects.update(display_name="Jianlv Chen")  # an author of BGE M3 (2402.03216)
    Paper.objects.filter(arxiv_id="2402.03216").update(
        upvotes=42, synced_at=timezone.now(), abstract="BGE M3 is a multilingual embedding model. " * 8
    )
    Paper.objects.filter(arxiv_id="2101.06983").update(title=LONG_TITLE)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_publications_by_year_fit_and_read_well(open_page, site, viewport, scheme):
    page = open_home(open_page, viewport, color_scheme=scheme)
    section = page.locator("section[aria-labelledby=publications-heading]")
    assert shown_text(section.locator("h2")) == "Publications"
    assert section.locator("h3.publications__year").all_inner_texts() == ["2024", "2022", "2021", "2019"]
    bge = section.locator("#" + Paper.objects.get(arxiv_id="2402.03216").anchor)
    assert bge.locator(".paper__authors strong").all_inner_texts() == ["Jianlv Chen"]  # the owner, marked
    assert "42 upvotes on the Hub" in shown_text(bge.locator(".paper__meta"))
    abstract = bge.locator("details.paper__details").first
    assert not abstract.locator(".paper__abstract").is_visible()  # folded until asked for
    abstract.locator("summary").click()
    assert abstract.locator(".paper__abstract").is_visible()
    cited = bge.locator(".paper__cited-by a")
    assert cited.all_inner_texts() == ["BGE-m3-ko"] and cited.get_attribute("href") == "/models/dragonkue/BGE-m3-ko/"

    # Nothing wider than the screen: a long title wraps, a BibTeX entry scrolls inside its own box.
    for details in section.locator("details").all():
        details.locator("summary").click() if not details.get_attribute("open") else None
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    outside = page.evaluate(
        """() => { const box = document.querySelector('.publications').getBoundingClientRect();
            return [...document.querySelectorAll('.publications *')].map(e => [e, e.getBoundingClientRect()])
              .filter(([, r]) => r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
              .map(([e]) => e.className || e.tagName); }"""
    )
    assert outside == []
    ratios = {
        "authors": bge.locator(".paper__authors").evaluate(CONTRAST),
        "meta": bge.locator(".paper__meta").evaluate(CONTRAST),
        "bibtex": bge.locator(".paper__bibtex").evaluate(CONTRAST),
        "links": min(link.evaluate(CONTRAST) for link in bge.locator(".paper__links a").all()),
    }
    assert {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < 4.5} == {}
    screenshot(page, f"publications-{viewport}-{scheme}")


def test_the_copy_button_copies_the_bibtex_entry(open_page, site):
    page = open_page("/", permissions=["clipboard-read", "clipboard-write"])
    paper = page.locator("#" + Paper.objects.get(arxiv_id="1908.10084").anchor)
    paper.locator("details.paper__details", has_text="BibTeX").locator("summary").click()
    button = paper.locator("button.copy-button")
    assert button.is_visible()  # shown by the script: a secure context (localhost) with the Clipboard API
    button.click()
    expect(paper.locator(".copy-button__status")).to_have_text("Copied")  # said to screen readers too
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@misc{reimers2019sentence,") and "eprint = {1908.10084}" in copied
    assert copied == paper.locator(".paper__bibtex").inner_text()


def test_the_bib_link_serves_every_published_paper(open_page, site):
    page = open_page("/")
    href = page.locator(".publications__bib a").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "text/x-bibtex; charset=utf-8"
    assert response.text().count("@misc{") == 6


def test_no_serious_accessibility_violations(open_page, axe_source, site):
    for scheme in ("light", "dark"):
        page = open_page("/", bypass_csp=True, color_scheme=scheme)
        page.add_script_tag(content=axe_source)
        result = page.evaluate(
            "async () => (await axe.run({include: [['section[aria-labelledby=publications-heading]']]})).violations"
        )
        serious = [f"{v['id']}: {v['nodes'][0]['target']}" for v in result if v["impact"] in ("serious", "critical")]
        assert serious == [], scheme
