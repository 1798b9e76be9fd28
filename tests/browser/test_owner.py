"""The owner's whole workflow in the admin, in Chromium, under the site's Content-Security-Policy."""

import pytest
from PIL import Image

from models_showcase.models import ModelCard
from portfolio.demo import load_demo
from tests.browser.conftest import ROOT, screenshot
from tests.test_i18n import foreign_strings, read_po, visible_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["ko", "en"])
def language(request) -> str:
    """The owner's browser language: the admin follows it, all in one language (tests/test_i18n.py's check)."""
    return request.param


@pytest.fixture
def admin_page(signed_in, language):
    """The owner signed in, their browser in `language`, with the demo content."""
    load_demo()
    return signed_in(locale=language)


def cover_png(tmp_path):
    path = tmp_path / "cover.png"
    Image.new("RGB", (320, 180), "teal").save(path, "PNG")
    return path


def card_titles(page) -> list[str]:
    page.goto("/")
    return page.locator(".model-card--model .model-card__link").all_inner_texts()


CATALOGUES = {code: read_po(ROOT / "locale" / code / "LC_MESSAGES" / "django.po") for code in ("ko", "en")}


def in_one_language(page, language: str) -> None:
    """Nothing of ours on the admin page in the other language, and the page says which one it is in."""
    assert page.locator("html").get_attribute("lang") == language
    text = visible_text(page.content())
    assert foreign_strings(text, CATALOGUES[language], language) == [], page.url


def save_changelist(page):
    page.click("#changelist-form input[name=_save]")
    page.wait_for_selector(".messagelist .success")


def test_owner_adds_publishes_reorders_and_unpublishes_a_card(admin_page, tmp_path, language, open_page):
    page = admin_page
    # A new badge, from its own page.
    page.goto("/admin/models_showcase/badge/add/")
    in_one_language(page, language)
    page.fill("#id_label", "Brand new")
    page.fill("#id_emoji", "✨")
    page.check("input[name=color][value=violet]")  # the palette's swatches
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # A card by its Hub id, written in the markdown editor with its live preview.
    page.goto("/admin/models_showcase/modelcard/add/")
    in_one_language(page, language)
    page.fill("#id_repo_id", "dragonkue/new-model")
    page.fill("#id_summary", "새 모델: **굵은 글씨** and [a link](https://example.com)")
    page.fill("#id_description", "새 모델: **굵은 글씨** and [a link](https://example.com)")
    page.wait_for_selector(".markdownx-preview strong")
    assert page.inner_text(".markdownx-preview strong") == "굵은 글씨"
    page.set_input_files("#id_cover_image", cover_png(tmp_path))
    page.click("#id_badges + .select2 .select2-selection")
    page.keyboard.type("Brand")
    # The search's answer, not the first of the whole list shown meanwhile (a new badge is listed last).
    page.wait_for_selector(".select2-results__option--highlighted:text-is('✨ Brand new')")
    page.keyboard.press("Enter")
    page.check("#id_is_published")
    page.fill("#id_sort_order", "0")
    screenshot(page, f"admin-editor-{language}")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    in_one_language(page, language)  # the changelist, with the save's messages

    # On the public page, first, with its badge and its picture.
    titles = card_titles(page)
    assert titles[0] == "new-model"
    card = page.locator(".model-card").first
    assert card.locator(".badge").inner_text() == "✨ Brand new"
    assert card.locator(".model-card__description strong").inner_text() == "굵은 글씨"
    assert card.locator("img.model-card__cover").evaluate("img => img.complete && img.naturalWidth") == 320

    # Reordered from the changelist, its row dragged to the bottom: last.
    new = ModelCard.objects.get(repo_id="dragonkue/new-model")
    page.goto("/admin/models_showcase/modelcard/")
    last = page.locator("#result_list tbody tr").last
    with page.expect_response(lambda r: "adminsortable2_update" in r.url and r.status == 200):
        page.locator(f"tr:has(a:text-is('{new.repo_id}')) .drag.handle").drag_to(
            last, target_position={"x": 20, "y": last.bounding_box()["height"] - 2}
        )
    assert card_titles(page)[-1] == "new-model"

    # Unpublished from the changelist: gone for visitors (the owner still sees it, marked as a draft).
    page.goto("/admin/models_showcase/modelcard/")
    page.uncheck(f"tr:has(a:text-is('{new.repo_id}')) input[name$=is_published]")
    save_changelist(page)
    in_one_language(page, language)
    assert "new-model" not in card_titles(open_page("/"))
    assert "new-model" in card_titles(page)


def test_owner_edits_the_profile_intro_and_a_write_up(admin_page, language):
    page = admin_page
    page.goto("/admin/portfolio/profile/")  # goes straight to the one profile
    in_one_language(page, language)
    page.fill("#id_intro", "새 소개: *연구자*입니다.")
    page.wait_for_selector(".markdownx-preview em")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto("/admin/contributions/contribution/")
    in_one_language(page, language)
    page.click("text=🎯 GISTEmbedLoss 1차 개선 (Multiple Negative 지원):")
    page.fill("#id_writeup", "- **새 설명**: 고친 글")
    page.wait_for_selector(".markdownx-preview li strong")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto("/")
    assert page.inner_text(".notice--primary .prose") == "새 소개: 연구자입니다."
    assert page.locator(".notice--primary .prose em").inner_text() == "연구자"
    first = page.locator(".contribution").first
    assert first.locator(".prose li").inner_text() == "새 설명: 고친 글"
    assert first.locator(".notice__title").inner_text() == "GitHub Contribution #1"
