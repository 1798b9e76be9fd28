"""Evaluation results a visitor can read: grouped, labelled, on one scale per source, folded away on the model page."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from models_showcase import evals
from models_showcase.models import EvalResult, ModelCard
from models_showcase.rendering import refresh_card_html
from tests.builders import make_badge, make_card, make_profile
from tests.test_home import HOME_QUERIES

FIXTURES = Path(__file__).parent / "fixtures"
# A model-index as MTEB writes it: 22 datasets in 6 tasks, 1,424 metric rows.
MTEB_INDEX = next(
    path
    for path in [FIXTURES / "hub" / "mteb-shaped.model-index.json", FIXTURES / "mteb-shaped.model-index.json"]
    if path.exists()
)
NBSP = "\u00a0"


def result(metric_type="", value=0.5, *, pk=None, **fields) -> EvalResult:
    """An unsaved row: the module reads attributes only."""
    fields = {"task_type": "Retrieval", "dataset_name": "MTEB AutoRAGRetrieval (default)",
              "dataset_config": "default", "dataset_split": "test", **fields}  # fmt: skip
    row = EvalResult(metric_type=metric_type, metric_value=value, **fields)
    row.pk = pk
    return row


def numbered(*rows: EvalResult) -> list[EvalResult]:
    for pk, row in enumerate(rows, start=1):
        row.pk = pk
    return list(rows)


def load_model_index(card: ModelCard, path: Path = MTEB_INDEX) -> list[EvalResult]:
    """The rows a sync writes for this model-index: one per metric, in the file's order."""
    rows = []
    for model in json.loads(path.read_text()):
        for entry in model["results"]:
            task, dataset, source = entry.get("task", {}), entry.get("dataset", {}), entry.get("source", {})
            for metric in entry["metrics"]:
                rows.append(
                    EvalResult(
                        card=card, position=len(rows), task_type=task.get("type", ""), task_name=task.get("name", ""),
                        dataset_type=dataset.get("type", ""), dataset_name=dataset.get("name", ""),
                        dataset_config=dataset.get("config", ""), dataset_split=dataset.get("split", ""),
                        metric_type=metric["type"], metric_name=metric.get("name", ""), metric_value=metric["value"],
                        verified=metric.get("verified", False), source_name=source.get("name", ""),
                        source_url=source.get("url", ""),
                    )
                )  # fmt: skip
    return EvalResult.objects.bulk_create(rows)


def synced(card: ModelCard) -> ModelCard:
    """The model page shows its Hub sections once the card has synced."""
    ModelCard.objects.filter(pk=card.pk).update(synced_at=timezone.now(), downloads=10, likes=1)
    card.refresh_from_db()
    return card


# ---- labels ----


@pytest.mark.parametrize(
    ("metric_type", "label"),
    [
        ("ndcg_at_10", "NDCG@10"), ("map_at_1000", "MAP@1000"), ("cosine_accuracy@1", "Cosine Accuracy@1"),
        ("nauc_map_at_1000_diff1", "nAUC MAP@1000 (diff1)"), ("nAUC_mrr_std", "nAUC MRR (std)"),
        ("v_measure", "V-measure"), ("v_measure_std", "V-measure (std)"), ("f1", "F1"), ("ap", "AP"),
        ("mrr_at_10", "MRR@10"), ("recall_at_5", "Recall@5"), ("precision_at_1", "Precision@1"),
        ("accuracy", "Accuracy"), ("spearman", "Spearman"), ("cosine_spearman", "Cosine Spearman"),
        ("cosine_f1_threshold", "Cosine F1 (threshold)"), ("f1_weighted", "F1 (weighted)"), ("max_ap", "Max AP"),
        ("main_score", "Main score"), ("", "Score"),
    ],
)  # fmt: skip
def test_metric_types_read_as_words(metric_type, label):
    assert evals.metric_label(result(metric_type)) == label


def test_the_cards_own_metric_name_wins():
    assert evals.metric_label(result("ndcg_at_10", metric_name="nDCG@10 (Korean)")) == "nDCG@10 (Korean)"


@pytest.mark.parametrize(
    ("task_type", "heading"),
    [("Retrieval", "Retrieval"), ("information-retrieval", "Information retrieval"), ("STS", "STS"),
     ("PairClassification", "Pair classification"), ("text_classification", "Text classification"), ("", "")],
)  # fmt: skip
def test_task_types_read_as_words(task_type, heading):
    assert evals.readable_task(task_type) == heading


def test_task_heading_prefers_the_cards_name():
    assert evals.task_heading(result(task_type="Retrieval", task_name="Korean retrieval")) == "Korean retrieval"
    assert evals.task_heading(result(task_type="", task_name="")) == "Other results"


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({}, ("MTEB AutoRAGRetrieval", "test")),  # "(default)" said twice, and saying nothing
        ({"dataset_name": "MTEB PublicHealthQA (korean)", "dataset_config": "korean"},
         ("MTEB PublicHealthQA", "korean · test")),
        ({"dataset_name": "", "dataset_type": "yjoonjang/markers_bm", "dataset_config": "", "dataset_split": ""},
         ("yjoonjang/markers_bm", "")),
    ],
)  # fmt: skip
def test_dataset_name_with_config_and_split_apart(fields, label):
    assert evals.dataset_label(result(**fields)) == label


@pytest.mark.parametrize(
    ("url", "safe"),
    [("https://mteb-leaderboard.example/ko", True), ("http://example.com", True), ("javascript:alert(1)", False),
     ("data:text/html,x", False), ("/relative", False), ("https://", False), ("", False)],
)  # fmt: skip
def test_only_web_addresses_become_links(url, safe):
    assert evals.safe_url(url) == (url if safe else "")


# ---- scales and numbers ----


@pytest.mark.parametrize(
    ("metric_type", "value", "bounded"),
    [
        ("ndcg_at_10", 65.3, True), ("accuracy", 0.8, True), ("cosine_spearman", 0.7, True), ("v_measure", 40, True),
        ("main_score", 65.3, True), ("max_ap", 0.8, True), ("nauc_map_at_10_diff1", 12.0, False),
        ("nAUC_map_max", 3.0, False), ("v_measure_std", 2.1, False), ("cosine_accuracy_threshold", 0.8, False),
        ("cosine_pearson", -0.1, False), ("perplexity", 12.5, False),
    ],
)  # fmt: skip
def test_bounded_scores_and_plain_statistics(metric_type, value, bounded):
    assert evals.is_bounded(result(metric_type, value)) is bounded


def test_scale_is_read_per_source():
    rows = [
        result("ndcg_at_10", 65.3, source="model-index"),
        result("ndcg_at_10", 0.653, source="eval-results"),
        result("nauc_ndcg_at_10_diff1", 33.8, source="eval-results"),  # large, but no score: no percent
    ]
    assert evals.percent_sources(rows) == {"model-index"}
    assert evals.format_value(rows[0], percent=True) == f"65.30{NBSP}%"
    assert evals.format_value(rows[1], percent=False) == "0.653"


@pytest.mark.parametrize(
    ("metric_type", "value", "percent", "text"),
    [
        ("ndcg_at_10", 0.5, True, f"0.50{NBSP}%"),  # a weak score in a percent source is still a percentage
        ("ndcg_at_10", 0.74312, False, "0.7431"),
        ("accuracy", 1.0, False, "1"),
        ("nauc_map_at_1000_diff1", -33.8138, True, "-33.8138"),
        ("cosine_accuracy_threshold", 0.81234567, True, "0.8123"),
    ],
)
def test_values_are_formatted_with_their_unit(metric_type, value, percent, text):
    assert evals.format_value(result(metric_type, value), percent=percent) == text


# ---- grouping and the main score ----


def test_results_group_by_task_then_dataset_in_the_cards_order():
    rows = numbered(
        result("ndcg_at_10", 0.7, dataset_name="A"),
        result("accuracy", 0.8, task_type="Classification", dataset_name="C"),
        result("ndcg_at_10", 0.6, dataset_name="B"),
        result("map_at_10", 0.5, dataset_name="A"),
        result("ndcg_at_10", 0.6, dataset_name="B", dataset_split="dev"),
    )
    tasks = evals.summarize(rows).tasks
    assert [task.heading for task in tasks] == ["Retrieval", "Classification"]
    assert [(d.name, d.details) for d in tasks[0].datasets] == [("A", "test"), ("B", "test"), ("B", "dev")]
    first = tasks[0].datasets[0]
    assert (first.main.label, first.main.value) == ("NDCG@10", "0.7")  # no main_score: the first metric
    assert [metric.label for metric in first.others] == ["MAP@10"]


def test_main_score_is_named_after_the_metric_it_repeats():
    rows = numbered(
        result("main_score", 65.303), result("map_at_10", 50.1), result("ndcg_at_10", 65.303), result("mrr_at_10", 70)
    )
    dataset = evals.summarize(rows).tasks[0].datasets[0]
    assert (dataset.main.label, dataset.main.value) == ("NDCG@10", f"65.30{NBSP}%")
    assert [metric.label for metric in dataset.others] == ["MAP@10", "MRR@10"]  # NDCG@10 is not said twice


def test_main_score_without_a_twin_is_main_score():
    rows = numbered(result("cosine_pearson", 80.1, task_type="STS"), result("main_score", 79.9, task_type="STS"))
    dataset = evals.summarize(rows).tasks[0].datasets[0]
    assert (dataset.main.label, [m.label for m in dataset.others]) == ("Main score", ["Cosine Pearson"])


def test_sources_and_verification_are_kept():
    rows = numbered(
        result("ndcg_at_10", 0.7, verified=True, source_name="MTEB", source_url="https://example.com/mteb"),
        result("map_at_10", 0.6, source_name="MTEB", source_url="javascript:alert(1)"),
    )
    dataset = evals.summarize(rows).tasks[0].datasets[0]
    assert dataset.main.verified
    assert dataset.sources == [evals.Source("MTEB", "https://example.com/mteb"), evals.Source("MTEB", "")]


def test_headline_and_admin_choices_read_like_the_page():
    rows = numbered(
        result("main_score", 83.2), result("ndcg_at_10", 83.2), result("map_at_10", 70.0),
        result("accuracy", 90.0, task_type="Classification", dataset_name="KLUE-TC", dataset_config=""),
    )  # fmt: skip
    evaluation = evals.summarize(rows)
    assert str(evaluation.headline(1)) == f"NDCG@10 · MTEB AutoRAGRetrieval · 83.20{NBSP}%"
    assert str(evaluation.headline(3)) == f"MAP@10 · MTEB AutoRAGRetrieval · 70.00{NBSP}%"
    assert evaluation.headline(99) is None and evaluation.headline(None) is None
    main, other = evaluation.choices()
    assert main == [
        (1, f"Retrieval · MTEB AutoRAGRetrieval · NDCG@10 · 83.20{NBSP}%"),
        (4, f"Classification · KLUE-TC · Accuracy · 90.00{NBSP}%"),
    ]
    assert [pk for pk, _ in other] == [3, 2]  # every result can be picked, the repeated one too


def test_nothing_to_show():
    evaluation = evals.summarize([])
    assert not evaluation and evaluation.dataset_count == 0 and evaluation.choices() == ([], [])


# ---- the model page with MTEB's 1,424 rows ----


@pytest.fixture
def mteb_card(db):
    make_profile()
    card = synced(make_card("dragonkue/BGE-m3-ko"))
    load_model_index(card)
    return card


def test_mteb_index_loads_as_the_sync_writes_it(mteb_card):
    assert mteb_card.eval_results.count() == 1424
    evaluation = evals.summarize(mteb_card.eval_results.order_by("position"))
    assert evaluation.dataset_count == 22
    assert [task.heading for task in evaluation.tasks] == [
        "Retrieval", "Reranking", "STS", "Pair classification", "Classification", "Clustering",
    ]  # fmt: skip
    assert evals.percent_sources(mteb_card.eval_results.all()) == {"model-index"}


def test_mteb_model_page_is_small_and_folded(client, mteb_card):
    response = client.get(mteb_card.get_absolute_url())
    assert response.status_code == 200
    size = len(response.content)
    assert size < 150_000, f"{size} bytes"
    page = response.content.decode()
    section = page[page.index('id="eval-heading"') :]
    # One <details> per dataset, closed, its summary showing the dataset and its main score.
    assert page.count("<details") == 22 and "<details open" not in page
    assert section.count('<h3 class="evals__task">') == 6
    summaries = re.findall(r"<summary[^>]*>(.*?)</summary>", page, re.S)
    assert len(summaries) == 22
    assert "MTEB AutoRAGRetrieval" in summaries[0] and f"<strong>23.62{NBSP}%</strong>" in summaries[0]
    assert "Main score" in summaries[0]
    # Every metric is there once unfolded, bounded ones as percentages, nAUC statistics as plain numbers.
    assert '<th scope="row">nAUC MAP@1000 (diff1)</th><td>-33.8138</td>' in page
    assert f'<th scope="row">MAP@1</th><td>81.60{NBSP}%</td>' in page
    assert "<script" not in section and "style=" not in section


@pytest.mark.parametrize("rows", ["few", "mteb"])
def test_model_page_query_count_does_not_grow_with_results(client, db, django_assert_num_queries, rows):
    make_profile()
    card = synced(make_card())
    card.badges.add(make_badge())
    if rows == "mteb":
        load_model_index(card)
    else:
        EvalResult.objects.create(card=card, metric_type="accuracy", metric_value=0.9)
    ModelCard.objects.filter(pk=card.pk).update(headline_metric=card.eval_results.first())
    # card, badges, evaluation results, snapshots, profile, profile links
    with django_assert_num_queries(6):
        assert client.get(card.get_absolute_url()).status_code == 200


def test_source_links_open_safely_and_only_on_the_web(client, db):
    make_profile()
    card = synced(make_card())
    EvalResult.objects.create(
        card=card, metric_type="ndcg_at_10", metric_value=0.7, verified=True, source_name="Leaderboard",
        source_url="https://example.com/board",
    )  # fmt: skip
    EvalResult.objects.create(
        card=card, dataset_name="Other", metric_type="accuracy", metric_value=0.8, source_name="Sneaky",
        source_url="javascript:alert(1)",
    )  # fmt: skip
    page = client.get(card.get_absolute_url()).content.decode()
    assert '<a href="https://example.com/board" target="_blank" rel="noopener noreferrer">Leaderboard</a>' in page
    assert "javascript:" not in page and "Source: Sneaky" in page
    assert 'title="Verified by the Hub"' in page


# ---- the headline on the home page ----


def test_card_shows_its_headline_next_to_its_badges(client, mteb_card):
    mteb_card.badges.add(make_badge("SOTA", emoji="🏆"))
    mteb_card.headline_metric = mteb_card.eval_results.get(
        dataset_name__startswith="MTEB AutoRAG", metric_type="ndcg_at_10"
    )
    mteb_card.save()
    page = client.get("/").content.decode()
    headline = f"NDCG@10 · MTEB AutoRAGRetrieval · <strong>{mteb_card.headline_metric.metric_value:.2f}{NBSP}%</strong>"
    assert headline in page
    assert page.index("🏆 SOTA") < page.index(headline) < page.index('class="model-card__title"')
    # The stored fragment (rendered once, not per request) holds it; the model page says the same.
    assert headline in ModelCard.objects.get(pk=mteb_card.pk).card_html
    assert headline in client.get(mteb_card.get_absolute_url()).content.decode()


def test_a_main_score_headline_is_named_after_its_metric(client, db):
    make_profile()
    card = make_card()
    main, _ = EvalResult.objects.bulk_create(
        EvalResult(card=card, position=position, dataset_name="AutoRAG", metric_type=metric_type, metric_value=83.2)
        for position, metric_type in enumerate(["main_score", "ndcg_at_10"])
    )
    card.headline_metric = main
    card.save()
    assert f"NDCG@10 · AutoRAG · <strong>83.20{NBSP}%</strong>" in client.get("/").content.decode()


@pytest.mark.parametrize("cards", [0, 3, 30])
def test_headlines_add_no_query_to_the_home_page(client, db, django_assert_num_queries, cards):
    make_profile().links.create(kind="website", url="https://example.com")
    for _ in range(cards):
        card = make_card(badges=[make_badge()])
        card.headline_metric = EvalResult.objects.create(card=card, metric_type="accuracy", metric_value=0.9)
        card.save()
    # as many as without headlines (tests/test_home.py; no papers here)
    with django_assert_num_queries(HOME_QUERIES - 1):
        page = client.get("/").content.decode()
    assert page.count('class="headline"') == cards


# ---- picking the headline in the admin ----


def change_form(card, **overrides):
    return {"repo_id": card.repo_id, "title": card.title, "description": card.description, "sort_order": 0,
            "is_published": "on", **overrides}  # fmt: skip


def test_owner_picks_the_headline_among_the_cards_own_results(staff_client, mteb_card):
    other = make_card("someone/else")
    foreign = EvalResult.objects.create(card=other, metric_type="accuracy", metric_value=0.99)
    url = reverse("admin:models_showcase_modelcard_change", args=[mteb_card.pk])
    page = staff_client.get(url).content.decode()
    # The form posts nothing about the results themselves: no inline formset, only a summary to read.
    assert "eval_results-" not in page and "TOTAL_FORMS" not in page
    assert "MTEB AutoRAGRetrieval" in page and "By task and dataset" in page
    field = staff_client.get(url).context["adminform"].form.fields["headline_metric"]
    groups = [group for group, _ in field.choices if group]
    assert groups == ["Main score per dataset", "Other results"]
    main_choices = dict(field.choices)["Main score per dataset"]
    assert len(main_choices) == 22
    assert main_choices[0][1] == f"Retrieval · MTEB AutoRAGRetrieval · Main score · 23.62{NBSP}%"

    refused = staff_client.post(url, change_form(mteb_card, headline_metric=foreign.pk))
    assert refused.status_code == 200 and "headline_metric" in refused.context["adminform"].form.errors

    pick = mteb_card.eval_results.get(dataset_name__startswith="MTEB KorSTS", metric_type="cosine_spearman")
    response = staff_client.post(url, change_form(mteb_card, headline_metric=pick.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    mteb_card.refresh_from_db()
    assert mteb_card.headline_metric == pick
    assert f"Cosine Spearman · MTEB KorSTS · <strong>{pick.metric_value:.2f}{NBSP}%</strong>" in mteb_card.card_html


def test_a_result_replaced_by_a_sync_meanwhile_gets_a_clear_error(staff_client, db):
    card = make_card()
    stale = EvalResult.objects.create(card=card, metric_type="accuracy", metric_value=0.9)
    url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
    staff_client.get(url)
    stale_pk = stale.pk
    stale.delete()  # as a sync that replaced the rows would
    response = staff_client.post(url, change_form(card, headline_metric=stale_pk))
    assert response.status_code == 200
    assert "a Hub sync may have replaced them" in str(response.context["adminform"].form.errors)
    assert staff_client.post(url, change_form(card)).status_code == 302  # and saves without it


def test_a_new_card_offers_no_results(staff_client):
    form = staff_client.get(reverse("admin:models_showcase_modelcard_add")).context["adminform"].form
    assert list(form.fields["headline_metric"].choices) == [("", "---------")]


def test_refresh_ignores_a_headline_from_another_card(db):
    card, other = make_card(), make_card()
    foreign = EvalResult.objects.create(card=other, metric_type="accuracy", metric_value=0.9)
    ModelCard.objects.filter(pk=card.pk).update(headline_metric=foreign)
    refresh_card_html([card.pk])
    assert 'class="headline"' not in ModelCard.objects.get(pk=card.pk).card_html
