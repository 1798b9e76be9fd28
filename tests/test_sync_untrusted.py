"""Every value from the Hub is untrusted: messy model-indexes, bad numbers, nulls, hostile ids. None of it crashes."""

import copy
import json
import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from huggingface_hub import HfApi, constants

from models_showcase.hub import sync_cards, writer
from models_showcase.models import EvalResult, HubSnapshot, ModelCard
from models_showcase.snippets import usage_snippet
from portfolio.page_cache import content_version
from tests.builders import make_card, make_profile
from tests.fakehub import FakeHub, hub_model, mteb_model_index

pytestmark = pytest.mark.django_db(transaction=True)

MESSY, MTEB, PLAIN = "tester/messy-index", "tester/mteb-sized", "tester/plain"


def messy_model_index() -> list:
    """What the Hub accepts in a card's YAML and huggingface_hub refuses to parse (each one result)."""
    good = {"task": {"type": "Retrieval"}, "dataset": {"name": "Ko-StrategyQA", "type": "taeminlee/Ko-StrategyQA"}}
    return [
        {
            "name": "messy",
            "results": [
                {**good, "metrics": [{"type": "ndcg_at_10", "value": 0.7912}]},
                {"task": {"type": "Retrieval"}, "metrics": [{"type": "ndcg_at_10", "value": 0.5}]},  # no dataset
                {**good, "source": {"name": "leaderboard"}, "metrics": [{"type": "map_at_10", "value": 0.61}]},
                {**good, "source": "a paper", "metrics": [{"type": "mrr_at_10", "value": 0.66}]},
                {**good, "metrics": [{"type": "recall_at_10", "value": math.nan}, {"type": "f1", "value": 0.7}]},
                {**good, "metrics": [{"type": "precision_at_1", "value": "N/A"}, {"type": "x", "value": math.inf}]},
                {**good, "metrics": [{"type": "accuracy", "value": True}, {"value": 0.3}, "not a metric"]},
                "not a result",
            ],
        }
    ]


def listing_models() -> list[dict]:
    mteb = mteb_model_index()
    return [
        hub_model(MESSY, **{"model-index": messy_model_index(), "cardData": {"license": "mit"}}),
        hub_model(MTEB, **{"model-index": mteb, "cardData": {"license": "mit", "model-index": mteb}}),
        hub_model(PLAIN),
    ]


@pytest.fixture
def hub():
    with FakeHub(listing_models()) as fake:
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def cards():
    return [make_card(repo) for repo in (MESSY, MTEB, PLAIN)]


def card(repo_id: str) -> ModelCard:
    return ModelCard.objects.get(repo_id=repo_id)


def result_of(report, repo_id):
    return next(result for result in report.results if result.key == repo_id)


# ---- any model-index the Hub accepts ----


def test_a_malformed_result_costs_only_itself(hub, api, cards):
    hub.reset_requests()
    report = sync_cards(api=api)
    assert report.exit_code == 0 and hub.count() == 1  # one listing: nothing broke it part-way
    rows = list(card(MESSY).eval_results.order_by("position").values_list("metric_type", "metric_value", "source_name"))
    assert rows == [("ndcg_at_10", 0.7912, ""), ("map_at_10", 0.61, "leaderboard"), ("mrr_at_10", 0.66, "a paper"),
                    ("f1", 0.7, "")]  # fmt: skip
    [warning] = result_of(report, MESSY).warnings
    assert warning.startswith("evaluation results: skipped 8 unreadable: result 2 has no dataset;")
    assert report.warning_count == 1 and ", 1 warning in " in report.summary()
    assert card(MESSY).sync_warnings == [warning]  # shown to the owner in the admin
    assert not EvalResult.objects.filter(metric_value__isnull=True).exists()


def test_an_mteb_sized_index_is_stored_and_updated_in_place(hub, api, cards):
    sync_cards(api=api)
    mteb = card(MTEB)
    assert mteb.eval_results.count() == 1424
    ids = dict(mteb.eval_results.values_list("position", "pk"))
    mteb.headline_metric = mteb.eval_results.get(position=0)
    mteb.save()

    index = mteb_model_index()
    index[0]["results"][0]["metrics"][0]["value"] = 99.5
    hub.update(MTEB, **{"model-index": index, "sha": "f" * 40})  # a new revision with one changed number
    report = sync_cards(api=api)
    assert result_of(report, MTEB).changed == ["sha", "eval_results (model-index)"]
    after = card(MTEB)
    assert dict(after.eval_results.values_list("position", "pk")) == ids  # no delete-and-reinsert
    assert after.eval_results.get(position=0).metric_value == 99.5
    assert after.headline_metric_id == ids[0]  # the owner's pick survives


def test_the_same_revision_is_not_parsed_again(hub, api, cards):
    sync_cards(api=api)
    hub.update(MTEB, **{"model-index": []})  # impossible without a new commit: the sync trusts the sha
    hub.update(MESSY, downloads=5)
    report = sync_cards(api=api)
    assert result_of(report, MTEB).status == "unchanged"
    assert result_of(report, MESSY).changed == ["downloads"]
    assert result_of(report, MESSY).warnings == card(MESSY).sync_warnings != []  # still said, not re-read
    assert card(MTEB).eval_results.count() == 1424


@pytest.mark.parametrize(
    "index",
    ["not a list", [{"results": ["x", 3]}], [{"results": [{"dataset": {"name": "d"}, "metrics": [{"value": "?"}]}]}]],
)
def test_an_index_that_cannot_be_read_at_all_keeps_the_stored_rows(hub, api, cards, index):
    sync_cards(api=api)
    hub.update(PLAIN, **{"model-index": index, "sha": "e" * 40})
    report = sync_cards(api=api)
    assert report.exit_code == 0
    assert card(PLAIN).eval_results.count() == 1  # as before
    assert any("kept the stored ones" in text for text in result_of(report, PLAIN).warnings)


def test_a_model_that_dropped_its_index_drops_its_rows(hub, api, cards):
    sync_cards(api=api)
    tags = [tag for tag in hub_model(PLAIN)["tags"] if tag != "model-index"]
    hub.update(PLAIN, **{"model-index": None, "cardData": {"license": "mit"}, "tags": tags, "sha": "d" * 40})
    sync_cards(api=api)
    assert card(PLAIN).eval_results.count() == 0


# ---- numbers, nulls and strings ----


def test_out_of_range_and_wrong_typed_values_keep_the_previous_ones(hub, api, cards):
    sync_cards(api=api)
    hub.update(
        PLAIN,
        downloads=-5,
        likes="many",
        downloadsAllTime=2**70,
        trendingScore=math.nan,
        lastModified="yesterday",
        gated="sometimes",
        sha="<script>alert(1)</script>",
        tags=["ok", 3, None, "x" * 5000],
    )
    report = sync_cards(api=api)
    assert report.exit_code == 0
    plain = card(PLAIN)
    assert (plain.downloads, plain.likes, plain.downloads_all_time, plain.trending_score) == (1234, 42, 56789, 3.0)
    assert plain.gated == "" and len(plain.sha) == 40 and plain.tags[0] == "ok" and len(plain.tags[1]) == 100
    warnings = " | ".join(result_of(report, PLAIN).warnings)
    for label in ("downloads (30 days)", "likes", "downloads (all time)", "trending score", "last modified", "gated",
                  "revision", "tags"):  # fmt: skip
        assert label in warnings


def test_nulls_and_missing_keys_are_unknown_not_zero(hub, api, cards):
    sync_cards(api=api)
    hub.update(PLAIN, downloads=None, likes=None, cardData=None, **{"model-index": None})
    report = sync_cards(api=api)
    assert report.exit_code == 0
    plain = card(PLAIN)
    assert (plain.downloads, plain.likes, plain.license) == (1234, 42, "apache-2.0")
    assert plain.eval_results.count() == 1  # the tags still say it has a model-index: unknown, kept
    [snapshot] = HubSnapshot.objects.filter(card=plain)
    assert (snapshot.downloads, snapshot.likes) == (1234, 42)  # never a NULL in the history
    assert any("kept the previous value" in text for text in result_of(report, PLAIN).warnings)


def test_an_unknown_pipeline_tag_never_reaches_the_usage_snippet(hub, api, cards):
    hub.update(PLAIN, library_name="transformers", pipeline_tag='x"); import os; os.system("id')
    report = sync_cards(api=api)
    plain = card(PLAIN)
    assert plain.pipeline_tag == "" and "is not a name the Hub uses" in " ".join(result_of(report, PLAIN).warnings)
    hub.update(PLAIN, pipeline_tag="made-up-task")
    sync_cards(api=api)
    plain = card(PLAIN)
    assert plain.pipeline_tag == "made-up-task"
    _, code = usage_snippet(plain)
    assert "made-up-task" not in code and "AutoModel.from_pretrained" in code


def test_over_long_strings_are_shortened(hub, api, cards):
    hub.update(
        PLAIN, cardData={"license": ["mit"] * 3 + ["x" * 300], "language": ["ko"] * 2000, "datasets": ["d" * 999]}
    )
    sync_cards(api=api)
    plain = card(PLAIN)
    assert len(plain.license) <= 100 and plain.languages == ["ko"] and len(plain.datasets[0]) == 200


# ---- a broken listing item, hostile ids ----


def test_a_broken_item_in_a_listing_costs_only_itself(hub, api, cards):
    hub.add({"id": "tester/x\x1b[31mred", "_id": "0" * 24}, {"id": "tester/<script>", "likes": 1})
    report = sync_cards(api=api)
    assert report.exit_code == 0 and report.count("updated") == 3
    assert len(report.warnings) == 2
    assert all("\x1b" not in text and "invalid id" in text for text in report.warnings)


def test_discover_skips_hostile_ids_and_prints_them_escaped(hub, cards, monkeypatch):
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    make_profile(hub_username="tester")
    hub.add(hub_model("tester/fine"), {"id": "tester/evil\x1b]0;pwned\x07", "author": "tester"})
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", "--discover", "-v", "2", stdout=out, stderr=err)
    assert exit_.value.code == 0
    assert ModelCard.objects.filter(repo_id="tester/fine", is_published=False).exists()
    assert ModelCard.objects.count() == 4
    printed = out.getvalue() + err.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed
    assert "invalid id" in printed and "(discovered 1)" in printed


# ---- a failing write ----


def test_one_card_failing_to_write_still_invalidates_the_page_cache(hub, api, cards, monkeypatch):
    real = writer.write_card
    before = content_version()

    def refuse_messy(card, *args, **kwargs):
        if card.repo_id == MESSY:
            raise DatabaseError("value out of range")
        return real(card, *args, **kwargs)

    monkeypatch.setattr(writer, "write_card", refuse_messy)
    report = sync_cards(api=api)
    assert report.exit_code == 1
    [failed] = report.failed
    assert failed.key == MESSY and failed.error == "could not be stored (DatabaseError)"
    assert card(PLAIN).downloads == 1234 and card(MESSY).downloads is None
    assert content_version() != before


def test_the_admin_action_never_answers_500_on_hostile_hub_data(
    hub, cards, staff_client, monkeypatch, settings, tmp_path
):
    from models_showcase.hub import sync_listed
    from portfolio.syncing import runs as sync_runs

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    settings.SYNC_LOCK_DIR = tmp_path
    # The run's process, done in place (tests/test_admin_sync.py runs it for real).
    monkeypatch.setattr(sync_runs, "start", lambda run: sync_runs.execute("sync_hub", run.pk, sync_listed))
    hostile = copy.deepcopy(listing_models()[0])
    hostile.update(downloads="∞", likes=-1, cardData=[1, 2], tags="<b>x</b>", safetensors={"total": math.inf})
    hub.add(hostile)
    response = staff_client.post(
        reverse("admin:models_showcase_modelcard_changelist"),
        {"action": "sync_selected", "_selected_action": [c.pk for c in ModelCard.objects.all()]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hub sync finished" in page and "synced 3, unchanged 0, failed 0" in page
    assert "likes: -1 is not a count" in page  # the run's warnings, under the status line
    change = staff_client.get(reverse("admin:models_showcase_modelcard_change", args=[card(MESSY).pk]))
    assert change.status_code == 200 and "likes: -1 is not a count" in change.content.decode()


def test_the_json_report_carries_the_warnings(hub, cards, monkeypatch):
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("sync_hub", "--json", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())
    [messy] = [c for c in report["cards"] if c["repo_id"] == MESSY]
    assert messy["warnings"] and messy["status"] == "updated"
