"""The owner adds a card by pasting its Hub address, in Chromium, under the site's CSP, against a fake Hub.

The live server runs in a thread of this process, so pointing huggingface_hub's ENDPOINT at the fake Hub
(monkeypatch) is what the admin's save sees.
"""

import re

import huggingface_hub
import pytest

from models_showcase.models import ModelCard
from tests.browser.conftest import screenshot
from tests.fakehub import FakeHub, seed_models

pytestmark = pytest.mark.django_db(transaction=True)

ADD = "/admin/models_showcase/modelcard/add/"


@pytest.fixture
def admin_page(signed_in):
    return signed_in()


@pytest.fixture
def hub(monkeypatch):
    with FakeHub(seed_models()) as fake:
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", fake.url)
        yield fake


def test_owner_pastes_a_hub_address_and_sees_the_statistics(admin_page, hub):
    page = admin_page
    page.goto(ADD)
    # A typo first: refused with the Hub's answer, nothing saved.
    page.fill("#id_repo_id", "https://huggingface.co/dragonkue/BGE-m3-kko")
    page.click("input[name=_continue]")
    error = page.locator(".errorlist").first.inner_text()
    assert "The Hub does not know this repository (or it is private: set HF_TOKEN) — HTTP 401" in error
    assert not ModelCard.objects.exists()

    page.fill("#id_repo_id", "  https://huggingface.co/dragonkue/BGE-m3-ko/tree/main?library=sentence-transformers ")
    page.click("input[name=_continue]")  # save and continue editing: the change page
    page.wait_for_selector(".messagelist .success")

    assert page.input_value("#id_repo_id") == "dragonkue/BGE-m3-ko"
    assert page.input_value("#id_title") == "BGE-m3-ko"
    assert page.input_value("#id_summary").startswith("BGE-m3-ko는 [BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3)")
    assert "filled in from the Hub" in page.inner_text(".messagelist")
    # The Hub's numbers, in the collapsed "From the Hub" section.
    page.locator("fieldset", has=page.locator(".field-downloads")).locator("summary").click()
    assert re.fullmatch(r"18[,.\s]?342", page.inner_text(".field-downloads .readonly").strip())
    assert re.fullmatch(r"44", page.inner_text(".field-likes .readonly").strip())
    assert page.inner_text(".field-synced_at .readonly").strip() not in ("", "-", "–")
    assert page.locator(".field-evaluation_summary table, .field-evaluation_summary li").count() > 0
    screenshot(page, "admin-fetch-on-save")
    assert len(hub.requests) == 2 + 1  # the typo, then the model and its README


def test_owner_adds_a_card_while_the_hub_is_down(admin_page):
    # conftest points huggingface_hub at 127.0.0.1:9, where nothing listens.
    page = admin_page
    page.goto(ADD)
    page.fill("#id_repo_id", "dragonkue/BGE-m3-ko")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .warning")

    warning = page.inner_text(".messagelist .warning")
    assert "Saved, but the Hub could not be reached" in warning
    assert "statistics will appear after the next sync" in warning
    card = ModelCard.objects.get()
    assert card.repo_id == "dragonkue/BGE-m3-ko" and card.synced_at is None
