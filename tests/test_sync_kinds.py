"""Datasets and Spaces: curated as model cards, synced by the same run, from their own listings.

The fake Hub serves `/api/datasets` and `/api/spaces` as strictly as `/api/models` (an
expand value the listing does not accept is a 400), with real-shaped and messy answers.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huggingface_hub import HfApi

from models_showcase.hub.client import DATASET_EXPAND, SPACE_EXPAND
from models_showcase.models import DatasetCard, HubCard, HubSnapshot, ModelCard, SpaceCard
from tests.builders import make_profile
from tests.fakehub import (
    FakeHub,
    hub_dataset,
    hub_space,
    messy_datasets,
    messy_spaces,
    seed_datasets,
    seed_models,
    seed_spaces,
)
from tests.test_sync import sync

pytestmark = pytest.mark.django_db

TRIPLETS = "dragonkue/ko-retrieval-triplets"
RAW = "dragonkue/ko-hard-negatives-raw"
DEMO = "dragonkue/BGE-m3-ko-demo"
ARENA = "dragonkue/ko-reranker-arena"
BGE = "dragonkue/BGE-m3-ko"


@pytest.fixture
def hub():
    with FakeHub(seed_models(), datasets=seed_datasets(), spaces=seed_spaces()) as fake:
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


def make(proxy, repo_id, **fields):
    return proxy.objects.create(repo_id=repo_id, is_published=True, **fields)


def test_datasets_and_spaces_sync_from_one_listing_each(hub, api):
    make(ModelCard, BGE)
    make(DatasetCard, TRIPLETS)
    make(DatasetCard, RAW)
    make(SpaceCard, DEMO)
    make(SpaceCard, ARENA)
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0, report.as_dict()
    assert report.count("updated") == 5
    # One listing per kind, whatever the number of cards: nothing per card.
    assert sorted(request.path for request in hub.requests) == ["/api/datasets", "/api/models", "/api/spaces"]
    expands = {request.path: set(request.query["expand"]) for request in hub.requests}
    assert expands["/api/datasets"] == set(DATASET_EXPAND) and expands["/api/spaces"] == set(SPACE_EXPAND)
    assert {result.key for result in report.results} == {
        BGE, f"datasets/{TRIPLETS}", f"datasets/{RAW}", f"spaces/{DEMO}", f"spaces/{ARENA}"
    }  # fmt: skip

    triplets = DatasetCard.objects.get(repo_id=TRIPLETS)
    assert (triplets.downloads, triplets.likes) == (hub_number(hub, "datasets", TRIPLETS, "downloads"), triplets.likes)
    assert triplets.size_category == "100K<n<1M"
    assert triplets.task_categories == ["sentence-similarity", "text-retrieval"]
    assert triplets.row_count == 482113 + 5000  # the card's declared splits
    assert (triplets.license, triplets.languages) == ("apache-2.0", ["ko"])
    assert "arxiv:2402.03216" in triplets.tags

    raw = DatasetCard.objects.get(repo_id=RAW)  # no README: no card metadata, nothing to declare
    assert (raw.size_category, raw.task_categories, raw.row_count, raw.license) == ("", [], None, "")
    assert raw.downloads == 96 and raw.sync_warnings == []

    demo = SpaceCard.objects.get(repo_id=DEMO)
    assert (demo.sdk, demo.runtime_stage, demo.stage, demo.hardware) == ("gradio", "RUNNING", "running", "cpu-basic")
    assert demo.models_used == [BGE, "dragonkue/bge-reranker-v2-m3-ko"]
    assert demo.datasets == [TRIPLETS] and demo.likes == 9 and demo.downloads is None
    arena = SpaceCard.objects.get(repo_id=ARENA)
    assert (arena.stage, arena.hardware) == ("sleeping", "cpu-basic")  # asleep: the hardware it asks for


def hub_number(hub, kind, repo_id, key):
    [item] = [item for item in {"datasets": seed_datasets()}[kind] if item["id"] == repo_id]
    return item[key]


def test_an_unchanged_resync_changes_nothing(hub, api):
    make(DatasetCard, TRIPLETS)
    make(SpaceCard, DEMO)
    assert sync(api).count("updated") == 2
    report = sync(api)
    assert report.count("unchanged") == 2 and report.count("updated") == 0 and report.requests == 2


def test_a_model_and_a_dataset_may_share_a_name(hub, api):
    """Different repositories on the Hub: two cards, each synced from its own listing; --only tells them apart."""
    hub.add(hub_dataset(BGE), kind="datasets")
    model = make(ModelCard, BGE)
    dataset = make(DatasetCard, BGE)
    hub.reset_requests()
    report = sync(api, only=[f"datasets/{BGE}"])
    assert [result.key for result in report.results] == [f"datasets/{BGE}"]
    assert [request.path for request in hub.requests] == ["/api/datasets"]
    dataset.refresh_from_db()
    model.refresh_from_db()
    assert dataset.synced_at is not None and model.synced_at is None
    assert model.get_absolute_url() == f"/models/{BGE}/" and dataset.get_absolute_url() == f"/datasets/{BGE}/"


def test_a_dataset_missing_from_its_listing_is_asked_for_at_its_own_address(hub, api):
    make(DatasetCard, TRIPLETS)
    hub.rename(TRIPLETS, "dragonkue/ko-triplets-v2", kind="datasets")
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0, report.as_dict()
    assert any(request.path == f"/api/datasets/{TRIPLETS}" for request in hub.requests)
    assert DatasetCard.objects.get().repo_id == "dragonkue/ko-triplets-v2"  # followed the rename


def test_discover_drafts_the_owners_datasets_and_spaces(hub, api):
    make_profile(hub_username="dragonkue")
    report = sync(api, discover=True)
    assert report.exit_code == 0, report.as_dict()
    drafts = {(card.kind, card.repo_id) for card in HubCard.objects.filter(is_published=False)}
    assert {("dataset", TRIPLETS), ("dataset", RAW), ("space", DEMO), ("space", ARENA)} <= drafts
    assert DatasetCard.objects.get(repo_id=TRIPLETS).row_count == 487113  # filled in the same run


def test_messy_datasets_and_spaces_are_read_without_failing(api, hub):
    hub.add(*messy_datasets(), kind="datasets")
    hub.add(*messy_spaces(), kind="spaces")
    for item in messy_datasets():
        make(DatasetCard, item["id"])
    for item in messy_spaces():
        make(SpaceCard, item["id"])
    report = sync(api)
    assert report.exit_code == 0, report.as_dict()
    assert report.count("failed") == 0
    one_size = DatasetCard.objects.get(repo_id="tester/one-size")
    assert (one_size.size_category, one_size.languages, one_size.row_count) == ("n<1K", ["ko"], 812 + 96)
    assert DatasetCard.objects.get(repo_id="tester/no-card").size_category == ""
    stages = {card.repo_id: card.stage for card in SpaceCard.objects.all()}
    assert stages["tester/broken"] == "error"
    assert stages["tester/no-runtime"] == "" and stages["tester/new-stage"] == ""  # unknown: no pill
    static = SpaceCard.objects.get(repo_id="tester/static-page")
    assert (static.sdk, static.models_used, static.stage) == ("static", [], "running")


def test_hostile_values_from_the_hub_are_left_out(api, hub):
    hub.add(
        hub_space(
            "tester/hostile",
            sdk="<script>alert(1)</script>",
            models=["ok/model", "<img src=x onerror=alert(1)>", 7],
            runtime={"stage": "<b>RUNNING</b>", "hardware": {"current": 'a100" onmouseover="x'}},
        ),
        kind="spaces",
    )
    hub.add(hub_dataset("tester/hostile-data", cardData={"size_categories": ["<svg/onload=1>"], "dataset_info": {
        "splits": [{"num_examples": -5}, {"num_examples": "many"}, {"num_examples": 2**70}]
    }}), kind="datasets")  # fmt: skip
    make(SpaceCard, "tester/hostile")
    make(DatasetCard, "tester/hostile-data")
    report = sync(api)
    assert report.exit_code == 0, report.as_dict()
    space = SpaceCard.objects.get()
    assert (space.sdk, space.runtime_stage, space.hardware, space.models_used) == ("", "", "", ["ok/model"])
    dataset = DatasetCard.objects.get()
    assert dataset.size_category == "" and dataset.row_count is None
    html = space.card_html + dataset.card_html
    assert "<script>alert" not in html and "onerror" not in html and "<svg/onload" not in html


# ---- the pages ----


def home_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("portfolio:home")).content.decode()
    return len(queries), page


def test_home_shows_each_kind_in_its_own_section_with_a_demo_link(client, hub, api):
    make(ModelCard, BGE)
    models_only, _ = home_queries(client)
    make(DatasetCard, TRIPLETS)
    make(SpaceCard, DEMO)
    sync(api)
    queries, page = home_queries(client)
    assert queries == models_only  # the cards of every kind come in one query (pinned in test_home)
    assert 'id="datasets-heading"' in page and 'id="spaces-heading"' in page
    assert f'href="https://huggingface.co/spaces/{DEMO}"' in page and "Open the demo" in page
    assert "<iframe" not in page
    assert f'href="https://huggingface.co/datasets/{TRIPLETS}"' in page and "487.1k rows" in page
    assert f'href="/datasets/{TRIPLETS}/"' in page and f'href="/spaces/{DEMO}/"' in page


def test_a_kind_without_published_cards_has_no_section(client):
    make(ModelCard, BGE)
    DatasetCard.objects.create(repo_id=TRIPLETS, is_published=False)
    page = client.get(reverse("portfolio:home")).content.decode()
    assert 'id="datasets-heading"' not in page and 'id="spaces-heading"' not in page


def test_dataset_and_space_pages(client, hub, api):
    make(DatasetCard, TRIPLETS)
    make(SpaceCard, DEMO)
    sync(api)
    dataset = client.get(f"/datasets/{TRIPLETS}/")
    assert dataset.status_code == 200
    assert "load_dataset(&quot;dragonkue/ko-retrieval-triplets&quot;)" in dataset.content.decode()
    space = client.get(f"/spaces/{DEMO}/").content.decode()
    assert "Open the demo" in space and "gradio" in space and f"https://huggingface.co/{BGE}" in space
    # Each kind at its own address only.
    assert client.get(f"/models/{TRIPLETS}/").status_code == 404
    assert client.get(f"/spaces/{TRIPLETS}/").status_code == 404
    assert client.get(f"/datasets/{TRIPLETS.upper()}/").status_code == 301


@pytest.mark.parametrize("proxy", [DatasetCard, SpaceCard])
@pytest.mark.parametrize("days", [0, 30])
def test_a_dataset_or_space_page_costs_what_a_model_page_does(client, django_assert_num_queries, proxy, days):
    """The card, its badges, evaluation rows (none), snapshots, the profile, its links: as tests/test_model_pages.py."""
    make_profile()
    card = make(proxy, "dragonkue/thing")
    HubSnapshot.objects.bulk_create(
        HubSnapshot(card=card, date=date.today() - timedelta(days=day), downloads=day, likes=day) for day in range(days)
    )
    with django_assert_num_queries(6):
        assert client.get(card.get_absolute_url()).status_code == 200
