"""The pull request's line under each notice, in Chromium: laid out on a desktop and a phone, readable in dark mode."""

from datetime import UTC, datetime

import pytest

from contributions.models import PullRequest
from portfolio.demo import load_demo
from tests.browser.conftest import DESKTOP, screenshot
from tests.builders import make_contribution
from tests.test_contribution_notice import add_star_history, make_pull_request, make_repository

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}  # the narrowest phone the site is laid out for
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE, "narrow": NARROW}
LONG_NAME = "an-organisation-with-a-long-name/a-repository-whose-name-goes-on-and-on-without-a-break"


@pytest.fixture
def notices():
    """The demo page (both pull requests merged, the stars' month), and one closed in an archived repository."""
    load_demo()
    repository = PullRequest.objects.select_related("repository").first().repository
    add_star_history(repository, {30: 17480, 15: 17550, 0: 17600})
    closed = make_contribution(
        "https://github.com/example/project/pull/12", group=PullRequest.objects.first().contribution.group
    )
    make_pull_request(
        closed,
        repository=make_repository(LONG_NAME, stars=1_234_567, language="Jupyter Notebook", archived=True),
        state=PullRequest.State.CLOSED,
        merged_at=None,
        closed_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        additions=12_345,
        deletions=6_789,
        changed_files=120,
    )


def shown_text(locator) -> str:
    """What a sighted reader sees in the element: its text without the screen readers' labels."""
    return locator.evaluate(
        """element => { const copy = element.cloneNode(true);
                        copy.querySelectorAll('.visually-hidden, [aria-hidden=true]').forEach(e => e.remove());
                        return copy.textContent.replace(/\\s+/g, ' ').trim(); }"""
    )


OUTSIDE_THEIR_NOTICE = """() => [...document.querySelectorAll('.notice')].flatMap(notice => {
    const box = notice.getBoundingClientRect();
    return [...notice.querySelectorAll('*')]
        .filter(e => !e.closest('.visually-hidden'))
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([, r]) => r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
        .map(([e, r]) => `${e.className || e.tagName}: ${Math.round(r.left)}..${Math.round(r.right)}`
                         + ` outside ${Math.round(box.left)}..${Math.round(box.right)}`);
})"""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_the_line_is_shown_and_fits(open_page, notices, viewport):
    page = open_page("/", viewport=VIEWPORTS[viewport], is_mobile=viewport != "desktop")
    first = page.locator("#pr-ukplab-sentence-transformers-2946 .notice")
    pill = first.locator(".pill--merged")
    assert pill.is_visible() and shown_text(pill) == "Merged"  # the tests' site speaks English
    assert shown_text(first.locator(".pull-request__diff")) == "+187 −24 · 3 files"
    assert first.locator(".pull-request time").inner_text() == "2024-10-08"
    line = first.locator(".repository-line")
    assert line.is_visible() and shown_text(line) == "UKPLab/sentence-transformers 17.6k +120 in 30 days Python"
    assert line.locator("[aria-hidden=true]").inner_text() == "★"
    second = page.locator("#pr-ukplab-sentence-transformers-3299 .notice")
    assert shown_text(second.locator(".pull-request__diff")).startswith("+243 −61 · 4")
    closed = page.locator("#pr-example-project-12 .notice")
    assert closed.locator(".pill--closed").is_visible() and closed.locator(".pill--archived").is_visible()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(OUTSIDE_THEIR_NOTICE) == []
    # A pill is one line of text, never squeezed into two.
    heights = page.evaluate("[...document.querySelectorAll('.notice .pill')].map(p => p.clientHeight)")
    assert len(heights) == 4 and max(heights) < 2 * min(heights)
    if viewport == "desktop":
        # The state, its date and the diff side by side.
        tops = first.locator(".pull-request > *").evaluate_all("items => items.map(i => i.getBoundingClientRect().top)")
        assert len(tops) == 3 and max(tops) - min(tops) < 8, tops
    first.scroll_into_view_if_needed()
    screenshot(page, f"contribution-notice-{viewport}")


CONTRAST = """element => {
    // Any CSS colour (rgb(), color-mix(), color(srgb ...)) to sRGB through a pixel of a canvas.
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d', {willReadFrequently: true});
    const rgb = colour => { context.clearRect(0, 0, 1, 1); context.fillStyle = colour; context.fillRect(0, 0, 1, 1);
                            return [...context.getImageData(0, 0, 1, 1).data]; };
    const background = e => {  // the nearest opaque background: the pill's own, else the notice's
        for (; e; e = e.parentElement) {
            const colour = rgb(getComputedStyle(e).backgroundColor);
            if (colour[3] === 255) return colour;
        }
        return [255, 255, 255, 255];
    };
    const luminance = ([r, g, b]) => [r, g, b].map(v => v / 255)
        .map(v => v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(background(element))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_pills_and_numbers_are_readable(open_page, notices, scheme):
    page = open_page("/", color_scheme=scheme)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    selectors = [".pill--merged", ".pill--closed", ".pill--archived", ".pull-request__added", ".pull-request__deleted",
                 ".repository-line__trend", ".repository-line a", ".pull-request time"]  # fmt: skip
    ratios = {}
    for selector in selectors:
        elements = page.locator(f".notice {selector}")
        assert elements.count(), selector
        ratios[selector] = min(elements.nth(i).evaluate(CONTRAST) for i in range(elements.count()))
    assert {selector: round(ratio, 2) for selector, ratio in ratios.items() if ratio < 4.5} == {}
    # The pills are coloured by state, not all alike.
    colours = {
        state: page.locator(f".notice .pill--{state}").first.evaluate("e => getComputedStyle(e).backgroundColor")
        for state in ("merged", "closed")
    }
    assert colours["merged"] != colours["closed"]
    screenshot(page, f"contribution-notice-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_other_states_are_readable_too(open_page, notices, scheme):
    """Open and draft pills, which the demo has none of."""
    for number, state in [(13, PullRequest.State.OPEN), (14, PullRequest.State.DRAFT)]:
        contribution = make_contribution(f"https://github.com/example/project/pull/{number}")
        make_pull_request(contribution, state=state, merged_at=None, closed_at=None)
    page = open_page("/", color_scheme=scheme)
    for state in ("open", "draft"):
        pill = page.locator(f".notice .pill--{state}")
        assert pill.is_visible()
        assert pill.evaluate(CONTRAST) >= 4.5, state


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(open_page, axe_source, notices, scheme):
    page = open_page("/", bypass_csp=True, color_scheme=scheme)
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => (await axe.run(document, {include: ['.notice']})).violations")
    assert [f"{v['id']}: {v['nodes'][0]['target']}" for v in result if v["impact"] in ("serious", "critical")] == []


def test_nothing_is_asked_of_github_by_the_browser(browser, live_server, notices):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    context.close()
    assert [url for url in requested if not url.startswith(live_server.url)] == []
