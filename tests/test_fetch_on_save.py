"""Adding a card in the admin asks the Hub once: a mistyped id is refused, a real model's card is filled at once.

Against the strict fake Hub over real HTTP; the admin's HfApi reaches it through huggingface_hub's ENDPOINT.
"""

import time

import huggingface_hub
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from huggingface_hub import HfApi

from models_showcase.forms import hub_id_from_input, refusal_message
from models_showcase.hub.fetch import fetch_for_new_card, readme_summary
from models_showcase.models import SUMMARY_LENGTH, HubSnapshot, ModelCard, validate_hub_model_id
from tests.builders import make_card
from tests.fakehub import SEED_READMES, FakeHub, hub_model, seed_models, server_error, slow

pytestmark = pytest.mark.django_db

BGE = "dragonkue/BGE-m3-ko"
ADD = "admin:models_showcase_modelcard_add"


@pytest.fixture
def hub(monkeypatch):
    with FakeHub(seed_models(), tokens={"hf_valid"}) as fake:
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", fake.url)
        yield fake


def card_form(repo_id, **overrides):
    # Nothing about evaluation results: the form shows them read-only and posts none.
    return {"repo_id": repo_id, "title": "", "summary": "", "description": "", "sort_order": 0, **overrides}


def add(client, repo_id, **overrides):
    return client.post(reverse(ADD), card_form(repo_id, **overrides), follow=True)


def page_messages(response) -> list[tuple[str, str]]:
    return [(message.tags, str(message)) for message in response.context["messages"]]


def form_errors(response) -> str:
    return str(response.context["adminform"].form.errors)


# ---- what the owner types or pastes ----


@pytest.mark.parametrize(
    "typed",
    [
        BGE,
        f"  {BGE}  ",
        f"https://huggingface.co/{BGE}",
        f"https://huggingface.co/{BGE}/",
        f"https://huggingface.co/{BGE}/tree/main",
        f"https://huggingface.co/{BGE}/blob/main/README.md",
        f"https://huggingface.co/{BGE}?library=sentence-transformers",
        f"https://huggingface.co/{BGE}#usage",
        f"http://www.huggingface.co/{BGE}",
        f"huggingface.co/{BGE}",
        f"https://hf.co/{BGE}",
        f"hf.co/{BGE}/tree/main/",
        f" https://huggingface.co/{BGE}/tree/main?library=sentence-transformers ",
    ],
)
def test_an_id_or_a_pasted_hub_address_is_read_as_the_id(typed):
    assert hub_id_from_input(typed) == BGE


def test_an_address_of_another_kind_gets_its_own_error():
    cases = [
        ("https://huggingface.co/datasets/nlpai-lab/ko-triplet-v1.0", "model", "among the dataset cards"),
        ("https://hf.co/spaces/a/b", "model", "among the Space cards"),
        ("https://huggingface.co/dragonkue/BGE-m3-ko", "dataset", "among the model cards"),
        ("https://huggingface.co/datasets/a/b", "space", "among the dataset cards"),
    ]
    for address, kind, message in cases:
        with pytest.raises(ValidationError, match=message):
            hub_id_from_input(address, kind)


def test_a_dataset_or_space_address_gives_its_id():
    assert hub_id_from_input("https://huggingface.co/datasets/dragonkue/ko-triplets/viewer", "dataset") == (
        "dragonkue/ko-triplets"
    )
    assert hub_id_from_input("hf.co/spaces/dragonkue/BGE-m3-ko-demo?logs=container", "space") == (
        "dragonkue/BGE-m3-ko-demo"
    )
    assert hub_id_from_input("dragonkue/ko-triplets", "dataset") == "dragonkue/ko-triplets"


def test_the_model_field_accepts_only_the_normalised_id():
    validate_hub_model_id(BGE)
    for value in (f"https://huggingface.co/{BGE}", f"{BGE}/", f" {BGE}"):
        with pytest.raises(ValidationError):
            validate_hub_model_id(value)


def test_a_pasted_address_longer_than_an_id_adds_the_card(staff_client, hub):
    address = f"https://huggingface.co/{BGE}/tree/main?library=sentence-transformers&other=" + "x" * 60
    assert len(address) > 96

    response = add(staff_client, address)

    assert response.status_code == 200 and "adminform" not in response.context, response.content[:500]
    assert ModelCard.objects.get().repo_id == BGE


# ---- an id the Hub does not know ----


def test_an_unknown_id_is_refused_with_the_hubs_answer_and_not_saved(staff_client, hub):
    response = add(staff_client, "https://huggingface.co/dragonkue/BGE-m3-kko")

    errors = form_errors(response)
    assert "The Hub does not know this repository (or it is private: set HF_TOKEN) — HTTP 401" in errors
    assert "Invalid username or password." in errors  # the Hub's own words
    assert not ModelCard.objects.exists()
    assert [request.path for request in hub.requests] == ["/api/models/dragonkue/BGE-m3-kko"]  # no README asked


def test_a_private_model_is_refused_without_a_token(staff_client, hub):
    hub.add(hub_model("dragonkue/secret", private=True))

    response = add(staff_client, "dragonkue/secret")

    assert "or it is private: set HF_TOKEN" in form_errors(response)
    assert not ModelCard.objects.exists()


def test_a_disabled_model_is_refused(staff_client, hub):
    hub.add(hub_model("dragonkue/taken-down", disabled=True))

    response = add(staff_client, "dragonkue/taken-down")

    assert "This repository is disabled on the Hub — HTTP 403: Access to this resource is disabled." in form_errors(
        response
    )
    assert not ModelCard.objects.exists()


def test_with_a_token_the_refusal_says_the_token_may_lack_access(hub):
    result = fetch_for_new_card("dragonkue/missing", timeout=5, api=HfApi(endpoint=hub.url, token="hf_valid"))

    assert result.refused
    assert refusal_message(result) == (
        "The Hub does not know this repository, or HF_TOKEN has no access to it — HTTP 404: Repository not found"
    )


def test_a_card_the_site_already_has_is_refused_without_asking_the_hub(staff_client, hub):
    make_card(BGE)

    response = add(staff_client, f"https://huggingface.co/{BGE.upper()}")

    assert "There is already a card for this Hub repository." in form_errors(response)
    assert hub.requests == []


def test_an_invalid_id_is_refused_without_asking_the_hub(staff_client, hub):
    response = add(staff_client, "dragonkue/bad--name")

    assert "is not a valid Hub id" in form_errors(response)
    assert hub.requests == []


# ---- a model the Hub knows: the card is filled at once ----


def test_a_known_model_fills_the_card_at_once(staff_client, hub):
    response = add(staff_client, f"https://huggingface.co/{BGE}/tree/main")

    card = ModelCard.objects.get()
    assert card.repo_id == BGE and card.title == "BGE-m3-ko"
    assert (card.downloads, card.downloads_all_time, card.likes) == (18342, 287519, 44)
    assert card.license == "apache-2.0" and card.languages == ["ko", "en"]
    assert card.synced_at is not None and card.sync_error_kind == ""
    assert card.eval_results.count() == 30
    assert HubSnapshot.objects.filter(card=card, downloads=18342).exists()
    # The README's summary, front matter, title, badge, comment and code left out.
    assert card.summary == readme_summary(SEED_READMES[BGE]) and 0 < len(card.summary) <= SUMMARY_LENGTH
    assert card.summary.startswith("BGE-m3-ko는 [BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3)")
    assert card.summary_html.startswith('BGE-m3-ko는 <a href="https://huggingface.co/BAAI/bge-m3"')
    assert card.description == ""  # the write-up is the owner's to write
    assert "18.3k" in card.card_html  # the stored card shows the statistics at once
    # One request for the model, one for its README: nothing else.
    assert [request.path for request in hub.requests] == [
        f"/api/models/{BGE}",
        f"/{BGE}/resolve/main/README.md",
    ]
    assert ("success", "Statistics and evaluation results filled in from the Hub.") in page_messages(response)
    assert any("starts from the README" in text for _, text in page_messages(response))


def test_a_summary_the_owner_typed_is_kept_and_the_readme_not_asked(staff_client, hub):
    add(staff_client, BGE, summary="내가 쓴 **요약**")

    card = ModelCard.objects.get()
    assert card.summary == "내가 쓴 **요약**"
    assert card.downloads == 18342
    assert hub.count("/") == 1


def test_a_model_without_readme_is_filled_without_description(staff_client, hub):
    hub.add(hub_model("tester/plain", readme=None))

    add(staff_client, "tester/plain")

    card = ModelCard.objects.get()
    assert card.summary == "" and card.downloads == 1234
    assert hub.count("/") == 2


def test_the_hubs_spelling_of_the_id_is_kept(staff_client, hub):
    add(staff_client, "DRAGONKUE/bge-m3-KO")

    assert ModelCard.objects.get().repo_id == BGE


def test_a_renamed_model_gets_its_new_id(staff_client, hub):
    hub.add(hub_model("tester/old-name"))
    hub.rename("tester/old-name", "tester/new-name")

    response = add(staff_client, "tester/old-name")

    assert ModelCard.objects.get().repo_id == "tester/new-name"
    assert ("info", "The Hub knows tester/old-name as tester/new-name now: the card uses that id.") in page_messages(
        response
    )


# ---- the Hub unreachable, slow or failing: the card is saved, not yet synced ----


def test_hub_down_saves_the_card_not_yet_synced_with_a_warning(staff_client):
    # conftest points huggingface_hub at 127.0.0.1:9, where nothing listens.
    response = add(staff_client, BGE)

    card = ModelCard.objects.get()
    assert card.synced_at is None and card.downloads is None and card.title == "BGE-m3-ko"
    assert (
        "warning",
        "Saved, but the Hub could not be reached (no connection to http://127.0.0.1:9): "
        "statistics will appear after the next sync.",
    ) in page_messages(response)
    assert any(tags == "success" and "was added successfully" in text for tags, text in page_messages(response))


def test_hub_slow_saves_the_card_after_the_timeout(staff_client, hub, settings):
    settings.HUB_FETCH_TIMEOUT = 1
    hub.script(BGE, slow(10))

    started = time.monotonic()
    response = add(staff_client, BGE)

    assert time.monotonic() - started < 5
    card = ModelCard.objects.get()
    assert card.synced_at is None and card.summary == ""
    assert (
        "warning",
        "Saved, but the Hub could not be reached (timed out after 1 s): statistics will appear after the next sync.",
    ) in page_messages(response)
    assert hub.count("/") == 1  # asked once, no retry, no README


def test_hub_error_saves_the_card_with_the_hubs_answer(staff_client, hub):
    hub.script(BGE, server_error(503))

    response = add(staff_client, BGE)

    assert ModelCard.objects.get().synced_at is None
    assert any("could not be used (HTTP 503)" in text for tags, text in page_messages(response) if tags == "warning")
    assert hub.count("/") == 1


def test_a_slow_readme_costs_only_the_description(staff_client, hub, settings):
    settings.HUB_FETCH_TIMEOUT = 1
    hub.script(f"resolve:{BGE}", slow(10))

    add(staff_client, BGE)

    card = ModelCard.objects.get()
    assert card.downloads == 18342 and card.summary == ""


# ---- editing ----


def change(client, card, **overrides):
    data = card_form(
        **{
            "repo_id": card.repo_id,
            "title": card.title,
            "summary": card.summary,
            "description": card.description,
            **overrides,
        }
    )
    return client.post(reverse("admin:models_showcase_modelcard_change", args=[card.pk]), data, follow=True)


def test_editing_a_card_does_not_ask_the_hub(staff_client, hub):
    card = make_card(BGE, description="old")

    change(staff_client, card, description="new")

    card.refresh_from_db()
    assert card.description == "new" and card.synced_at is None
    assert hub.requests == []


def test_pointing_a_card_at_another_model_fills_it_from_that_model(staff_client, hub):
    card = make_card("dragonkue/old-model", summary="kept")

    change(staff_client, card, repo_id=f"https://huggingface.co/{BGE}")

    card.refresh_from_db()
    assert card.repo_id == BGE and card.summary == "kept"
    assert card.downloads == 18342 and card.synced_at is not None
    assert hub.count("/") == 1


def test_pointing_a_card_at_an_unknown_model_is_refused(staff_client, hub):
    card = make_card(BGE)

    response = change(staff_client, card, repo_id="dragonkue/nope")

    assert "The Hub does not know this repository" in form_errors(response)
    card.refresh_from_db()
    assert card.repo_id == BGE


def test_pointing_a_synced_card_at_another_model_with_the_hub_down_marks_it_not_synced(staff_client, hub, settings):
    add(staff_client, BGE, summary="mine")
    card = ModelCard.objects.get()
    assert card.synced_at is not None and card.hub_object_id
    hub.stop()

    response = change(staff_client, card, repo_id="dragonkue/bge-reranker-v2-m3-ko")

    card.refresh_from_db()
    assert card.repo_id == "dragonkue/bge-reranker-v2-m3-ko"
    assert card.synced_at is None and card.hub_object_id == ""
    assert any("could not be reached" in text for _, text in page_messages(response))


# ---- the README's summary ----

FRONT_MATTER = """---
license: apache-2.0
language:
- ko
model-index:
- name: x
  results:
  - task: {type: Retrieval}
---
"""


@pytest.mark.parametrize(
    ("readme", "summary"),
    [
        (FRONT_MATTER + "\n# Title\n\nThe first paragraph.\n\n## Usage\n\nNot this.\n", "The first paragraph."),
        (
            "<!-- Provide a quick summary of what the model is/does. -->\n# T\n<!--\nmulti-line\ncomment\n-->\n"
            "First, over\ntwo lines.\n\nSecond paragraph.\n\n- a list ends it\n\nNot this.",
            "First, over two lines.\n\nSecond paragraph.",
        ),
        (
            "# T\n\n[![CI](https://img.shields.io/badge/ci-passing-green)](https://ci) "
            "![Downloads](https://img.shields.io/d.svg)\n\n[Paper](https://arxiv.org/abs/1) | [Code](https://x)\n\n"
            '<p align="center">\n  <img src="logo.png" width="200">\n</p>\n\nThe prose.',
            "The prose.",
        ),
        ("```python\nprint('code first')\n```\n\nProse after the code.\n", "Prose after the code."),
        ("    indented code\n\nProse after indented code.", "Prose after indented code."),
        ("Title\n=====\n\nSubtitle\n--------\n\nProse under setext headings.", "Prose under setext headings."),
        (
            "# T\n\nSee [the docs](./docs/usage.md), ![logo](logo.png) and [BAAI/bge-m3](https://hf.co/BAAI/bge-m3).",
            "See the docs, and [BAAI/bge-m3](https://hf.co/BAAI/bge-m3).",
        ),
        ("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> [!NOTE]\n> a note\n\n<b>Bold</b> prose.", "Bold prose."),
        ("\ufeff---\r\nlicense: mit\r\n---\r\n# T\r\n\r\nWindows line ends.\r\n", "Windows line ends."),
        (FRONT_MATTER + "\n# Only a title\n\n```\ncode\n```\n", ""),
        ("", ""),
    ],
)
def test_readme_summary_keeps_the_first_prose(readme, summary):
    assert readme_summary(readme) == summary


def test_readme_summary_is_at_most_600_characters_cut_after_a_sentence():
    sentence = "이 모델은 한국어 검색을 위한 임베딩 모델입니다. "
    summary = readme_summary("# T\n\n" + sentence * 40 + "\n\nSecond paragraph.")

    assert len(summary) <= 600
    assert summary.endswith("모델입니다.")
    assert "Second" not in summary


def test_readme_summary_without_sentences_is_cut_between_words_and_never_inside_a_link():
    words = "word " * 110 + "[a link](https://example.com/" + "x" * 80 + ") " + "more " * 50
    summary = readme_summary(words)

    assert len(summary) <= 600 and summary.endswith("…")
    assert summary.count("[") == summary.count("]") and summary.count("(") == summary.count(")")


def test_readme_summary_takes_paragraphs_while_they_fit():
    first, second = "A" * 200 + ".", "B" * 250 + "."
    assert readme_summary(f"{first}\n\n{second}") == first
    assert readme_summary(f"{first}\n\nShort.") == f"{first}\n\nShort."
