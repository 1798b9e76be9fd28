"""The owner's side of datasets and Spaces: a list of each kind in the admin, added by id or address.

Against the strict fake Hub over real HTTP, as the model cards' admin is (tests/test_fetch_on_save.py).
"""

from functools import partial

import huggingface_hub
import pytest
from django.urls import reverse
from huggingface_hub import HfApi

from models_showcase.hub import sync_listed
from models_showcase.models import DatasetCard, HubCard, ModelCard, SpaceCard
from portfolio.models import SyncRun
from portfolio.syncing import runs
from tests.builders import make_badge
from tests.fakehub import FakeHub, seed_datasets, seed_models, seed_spaces

pytestmark = pytest.mark.django_db

TRIPLETS = "dragonkue/ko-retrieval-triplets"
DEMO = "dragonkue/BGE-m3-ko-demo"


@pytest.fixture
def hub(monkeypatch):
    with FakeHub(seed_models(), datasets=seed_datasets(), spaces=seed_spaces()) as fake:
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", fake.url)
        yield fake


def form(repo_id, **overrides):
    return {"repo_id": repo_id, "title": "", "summary": "", "description": "", "sort_order": 0, **overrides}


def add(client, kind, repo_id, **overrides):
    return client.post(reverse(f"admin:models_showcase_{kind}card_add"), form(repo_id, **overrides), follow=True)


def errors(response) -> str:
    return str(response.context["adminform"].form.errors)


def test_a_dataset_added_by_its_address_is_filled_from_the_hub(staff_client, hub):
    response = add(staff_client, "dataset", f"https://huggingface.co/datasets/{TRIPLETS}/viewer/default/train")
    assert response.status_code == 200
    card = DatasetCard.objects.get()
    assert (card.kind, card.repo_id) == ("dataset", TRIPLETS)
    assert card.row_count == 487113 and card.synced_at is not None
    assert card.summary  # the README's opening, offered as the summary
    assert [request.path for request in hub.requests] == [
        f"/api/datasets/{TRIPLETS}",
        f"/datasets/{TRIPLETS}/resolve/main/README.md",
    ]


def test_a_space_added_by_its_id_is_filled_from_the_hub(staff_client, hub):
    add(staff_client, "space", DEMO, summary="Try it")
    card = SpaceCard.objects.get()
    assert (card.kind, card.sdk, card.stage, card.summary) == ("space", "gradio", "running", "Try it")


def test_an_unknown_dataset_is_refused_with_the_hubs_answer(staff_client, hub):
    response = add(staff_client, "dataset", "dragonkue/no-such-dataset")
    assert "The Hub does not know this repository" in errors(response)
    assert not HubCard.objects.exists()


def test_an_address_of_another_kind_is_refused_in_the_list_it_does_not_belong_to(staff_client, hub):
    response = add(staff_client, "space", f"https://huggingface.co/datasets/{TRIPLETS}")
    assert "add it among the dataset cards" in errors(response)
    assert hub.requests == [] and not HubCard.objects.exists()


def test_one_card_per_repository_per_kind(staff_client, hub):
    DatasetCard.objects.create(repo_id=TRIPLETS)
    response = add(staff_client, "dataset", TRIPLETS.upper())
    assert "There is already a card for this Hub repository." in errors(response)
    # A model may carry the same name: another repository.
    hub.add({**seed_models()[0], "id": TRIPLETS, "_id": "0" * 24}, kind="models")
    add(staff_client, "model", TRIPLETS)
    assert sorted(HubCard.objects.values_list("kind", flat=True)) == ["dataset", "model"]


def test_each_list_shows_its_kind_only(staff_client):
    ModelCard.objects.create(repo_id="a/model-one")
    DatasetCard.objects.create(repo_id="a/data-one")
    SpaceCard.objects.create(repo_id="a/space-one")
    pages = {
        kind: staff_client.get(reverse(f"admin:models_showcase_{kind}card_changelist")).content.decode()
        for kind in ("model", "dataset", "space")
    }
    assert "a/model-one" in pages["model"] and "a/data-one" not in pages["model"]
    assert "a/data-one" in pages["dataset"] and "a/space-one" not in pages["dataset"]
    assert "a/space-one" in pages["space"] and "a/model-one" not in pages["space"]


@pytest.mark.parametrize("kind", ["dataset", "space"])
def test_change_form_shows_what_the_hub_says_of_the_kind(staff_client, kind):
    proxy = {"dataset": DatasetCard, "space": SpaceCard}[kind]
    card = proxy.objects.create(repo_id="a/thing", size_category="1K<n<10K", sdk="gradio", runtime_stage="SLEEPING")
    page = staff_client.get(reverse(f"admin:models_showcase_{kind}card_change", args=[card.pk])).content.decode()
    assert ("1K&lt;n&lt;10K" in page) == (kind == "dataset")
    assert ("gradio" in page) == (kind == "space")
    assert "headline_metric" not in page and "Evaluation results" not in page  # models only


@pytest.mark.parametrize("kind", ["dataset", "space"])
@pytest.mark.parametrize("cards", [1, 20])
def test_list_queries_do_not_grow_with_the_cards(staff_client, django_assert_max_num_queries, kind, cards):
    proxy = {"dataset": DatasetCard, "space": SpaceCard}[kind]
    badge = make_badge("SOTA")
    for number in range(cards):
        proxy.objects.create(repo_id=f"a/card-{number}", sort_order=number).badges.set([badge])
    with django_assert_max_num_queries(15):  # as the model cards' list (tests/test_admin.py)
        assert staff_client.get(reverse(f"admin:models_showcase_{kind}card_changelist")).status_code == 200


def test_sync_selected_runs_the_selected_datasets_and_spaces(
    staff_client, hub, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SYNC_LOCK_DIR = tmp_path
    started = []
    monkeypatch.setattr("portfolio.syncing.runs.start", started.append)  # its process is this test, below
    dataset = DatasetCard.objects.create(repo_id=TRIPLETS)
    other = DatasetCard.objects.create(repo_id="dragonkue/ko-hard-negatives-raw")
    url = reverse("admin:models_showcase_datasetcard_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "sync_selected", "_selected_action": [dataset.pk]})
    [run] = started
    assert run.items == [f"datasets/{TRIPLETS}"] and SyncRun.objects.get() == run  # named as sync_hub names it
    done = runs.execute("sync_hub", run.pk, partial(sync_listed, api=HfApi(endpoint=hub.url, token=False)))
    assert done.status == SyncRun.Status.DONE, done.errors
    dataset.refresh_from_db()
    other.refresh_from_db()
    assert dataset.synced_at is not None and other.synced_at is None
