"""What visitors see of the Hub statistics: the card on the home page and each model's own page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from models_showcase.models import EvalResult, HubSnapshot
from models_showcase.rendering import refresh_card_html
from models_showcase.snippets import usage_snippet
from models_showcase.stats import compact, line_chart, parameters
from tests.builders import make_badge, make_card, make_profile

pytestmark = pytest.mark.django_db


def synced_card(repo_id="dragonkue/BGE-m3-ko", *, history=(), **fields):
    """A card as sync_hub leaves it, with (days ago, downloads, likes) snapshots."""
    fields = {
        "downloads": 12345, "downloads_all_time": 99000, "likes": 45, "library_name": "sentence-transformers",
        "pipeline_tag": "sentence-similarity", "license": "apache-2.0", "languages": ["ko", "en"],
        "base_models": ["BAAI/bge-m3"], "parameters": 567754752, "tags": ["sentence-transformers", "ko"],
        "synced_at": timezone.now() - timedelta(minutes=5), "hub_created_at": timezone.now() - timedelta(days=400),
        **fields,
    }  # fmt: skip
    card = make_card(repo_id)
    type(card).objects.filter(pk=card.pk).update(**fields)
    today = timezone.localdate()
    for days_ago, downloads, likes in history:
        HubSnapshot.objects.create(card=card, date=today - timedelta(days=days_ago), downloads=downloads, likes=likes)
    refresh_card_html([card.pk])  # as sync_hub does after writing
    card.refresh_from_db()
    return card


@pytest.mark.parametrize(
    ("number", "text"),
    [(None, "–"), (0, "0"), (999, "999"), (1000, "1k"), (12345, "12.3k"), (1_250_000, "1.2M"), (3e9, "3B")],
)
def test_compact_numbers(number, text):
    assert compact(number) == text


def test_parameter_counts():
    assert parameters(567754752) == "568M"
    assert parameters(7_241_732_096) == "7.2B"
    assert parameters(None) == ""


def test_line_chart_needs_two_points_and_fits_its_box():
    today = timezone.localdate()
    assert line_chart([(today, 5)]) is None
    chart = line_chart([(today - timedelta(days=2), 10), (today - timedelta(days=1), None), (today, 30)])
    assert chart.points == "0.0,22.5 100.0,1.5"
    assert (chart.low, chart.high) == (10, 30)


def test_home_card_shows_compact_numbers_change_and_sparkline(client):
    make_profile()
    synced_card(history=[(20, 10000, 40), (10, 11000, 43), (0, 12345, 45)])
    page = client.get("/").content.decode()
    assert ">12.3k <" in page
    assert "+23%" in page  # 10000 -> 12345 monthly downloads
    assert ">+5<" in page  # likes gained in 30 days
    assert '<svg class="sparkline"' in page and "<polyline points=" in page
    assert "updated <time" in page and "data-relative" in page
    assert 'href="/models/dragonkue/BGE-m3-ko/"' in page


def test_a_card_never_synced_shows_no_numbers(client):
    make_card("dragonkue/fresh")
    page = client.get("/").content.decode()
    assert "stats__numbers" not in page and "updated <time" not in page


def test_detail_page_shows_everything_the_hub_says(client):
    make_profile()
    card = synced_card(history=[(60, 8000, 30), (30, 10000, 40), (0, 12345, 45)], gated="manual")
    card.badges.add(make_badge("SOTA", emoji="🏆"))
    card.description = "**한국어** 설명"
    card.save()
    EvalResult.objects.create(
        card=card, task_type="Retrieval", dataset_name="MTEB Ko-Retrieval", dataset_split="test",
        metric_name="NDCG@10", metric_value=0.7431,
    )  # fmt: skip
    response = client.get(card.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    for expected in [
        "<strong>한국어</strong> 설명", "🏆 SOTA", "12.3k", "99k", "568M", "sentence-similarity", "apache-2.0",
        "ko, en", 'href="https://huggingface.co/BAAI/bge-m3"', "Gated (manual)", "MTEB Ko-Retrieval", "NDCG@10",
        "0.7431", "sentence-transformers</li>", ">+23%<", "SentenceTransformer(&quot;dragonkue/BGE-m3-ko&quot;)",
        'class="chart__plot"', "Downloads (30 days)",
    ]:  # fmt: skip
        assert expected in page, expected


def test_reranker_gets_the_cross_encoder_snippet():
    card = synced_card("dragonkue/bge-reranker-v2-m3-ko", pipeline_tag="text-ranking", tags=["cross-encoder"])
    language, code = usage_snippet(card)
    assert language == "python" and 'CrossEncoder("dragonkue/bge-reranker-v2-m3-ko")' in code


def test_transformers_snippet_follows_the_pipeline_tag():
    card = synced_card("org/classifier", library_name="transformers", pipeline_tag="text-classification")
    assert 'pipeline("text-classification", model="org/classifier")' in usage_snippet(card)[1]


@pytest.mark.parametrize("path", ["/models/dragonkue/unknown/", "/models/dragonkue/draft/", "/models/x/"])
def test_unknown_or_unpublished_models_get_the_404(client, path):
    make_card("dragonkue/draft", is_published=False)
    assert client.get(path).status_code == 404


def test_one_address_per_model(client):
    synced_card("dragonkue/BGE-m3-ko")
    response = client.get("/models/DRAGONKUE/bge-m3-KO/")
    assert response.status_code == 301
    assert response["Location"] == reverse("models_showcase:detail", args=["dragonkue", "BGE-m3-ko"])


def test_names_with_dots_resolve(client):
    synced_card("dragonkue/snowflake-arctic-embed-l-v2.0-ko")
    assert client.get("/models/dragonkue/snowflake-arctic-embed-l-v2.0-ko/").status_code == 200


@pytest.mark.parametrize("snapshots", [0, 5, 200])
def test_detail_page_query_count_does_not_grow_with_history(client, django_assert_num_queries, snapshots):
    make_profile()
    card = synced_card(history=[(day, 1000 + day, 10) for day in range(snapshots)])
    card.badges.add(make_badge(), make_badge())
    for position in range(5):
        EvalResult.objects.create(card=card, position=position, metric_value=position)
    # card, badges, evaluation results, snapshots, profile, profile links
    with django_assert_num_queries(6):
        assert client.get(card.get_absolute_url()).status_code == 200
