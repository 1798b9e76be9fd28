"""What visitors see of a model: its card on the home page (summary, Hub statistics) and its own page (write-up)."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from models_showcase.models import EvalResult, HubSnapshot, ModelCard
from models_showcase.rendering import refresh_card_html
from models_showcase.snippets import usage_snippet
from models_showcase.stats import line_chart, parameters
from portfolio.numbers import compact
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


# ---- The card's summary, the model page's write-up ----

WRITE_UP = (
    "## Benchmarks\n\n| model | NDCG@10 |\n|:--|--:|\n| BGE-m3-ko | 0.7431 |\n\n"
    '```python\nmodel = SentenceTransformer("dragonkue/BGE-m3-ko")\n```\n'
)


def test_the_card_shows_the_summary_and_the_model_page_the_write_up_too(client):
    make_profile()
    card = make_card(
        "dragonkue/BGE-m3-ko", summary="The **best** Korean [retriever](https://example.com).", description=WRITE_UP
    )
    home = client.get("/").content.decode()
    summary_html = (
        'The <strong>best</strong> Korean <a href="https://example.com" target="_blank" '
        'rel="noopener noreferrer">retriever</a>.'
    )
    assert f'<p class="model-card__description">{summary_html}</p>' in home
    assert "Benchmarks" not in home and "<table" not in home and "codehilite" not in home
    detail = client.get(card.get_absolute_url()).content.decode()
    assert f'<p class="model-detail__summary">{summary_html}</p>' in detail
    assert "<h2>Benchmarks</h2>" in detail
    assert '<td align="right">0.7431</td>' in detail
    assert '<div class="codehilite"><pre><span></span><code><span class="n">model</span>' in detail


def test_saving_a_card_renders_its_summary(client):
    card = make_card(summary="Old")
    card.summary = "New *summary*"
    card.save()
    card.refresh_from_db()
    assert card.summary_html == "New <em>summary</em>"
    assert "New <em>summary</em>" in card.card_html


def test_the_summary_is_at_most_300_characters_in_the_form_and_the_model():
    form_class = modelform_factory(ModelCard, fields=["repo_id", "summary"])
    assert form_class({"repo_id": "tester/a", "summary": "x" * 300}).is_valid()
    form = form_class({"repo_id": "tester/a", "summary": "x" * 301})
    assert not form.is_valid() and "summary" in form.errors
    assert 'maxlength="300"' in str(form["summary"])
    with pytest.raises(ValidationError) as error:
        ModelCard(repo_id="tester/b", summary="x" * 301).full_clean()
    assert "summary" in error.value.message_dict


# ---- Migration 0006: descriptions written before summaries existed ----


@pytest.mark.parametrize(
    ("description", "summary", "kept"),
    [
        # The seed's one-liners move, markdown and all; the write-up is left empty.
        ("임베딩 모델에서 한국어 IR 벤치마크(**MTEB-ko-retrieval Leaderboard**) 종합 SOTA 모델",
         "임베딩 모델에서 한국어 IR 벤치마크(**MTEB-ko-retrieval Leaderboard**) 종합 SOTA 모델", ""),
        ("  A one-liner with a [link](https://x.example).  ", "A one-liner with a [link](https://x.example).", ""),
        ("", "", ""),
        # Longer ones stay, and their first paragraph of text becomes the summary, plain.
        ("## Results\n\nThe *best* model. Really.\n\n| a |\n|---|\n| 1 |", "The best model. Really.", None),
        ("- a list\n- of points", "", None),
        ("First line\nsecond line of the same paragraph.", "First line second line of the same paragraph.", None),
        ("Uses `a_b` and 2*3 [x].\n\nMore.", "Uses a\\_b and 2\\*3 \\[x\\].", None),
        ("x" * 301, "x" * 299 + "…", None),
        ("One. " + "Two is long. " * 30, "One.", None),
        ("![only a picture](https://x.example/a.png)\n\nThen text.", "Then text.", None),
    ],
)  # fmt: skip
def test_splitting_an_old_description(description, summary, kept):
    split_description = import_module("models_showcase.migrations.0006_card_summary").split_description
    assert split_description(description) == (summary, description if kept is None else kept)
    assert len(split_description(description)[0]) <= 300


@pytest.mark.django_db(transaction=True)
def test_migration_0006_gives_old_cards_a_summary():
    before, after = [("models_showcase", "0005_sync_against_real_hub")], [("models_showcase", "0006_card_summary")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldCard = executor.loader.project_state(before).apps.get_model("models_showcase", "ModelCard")  # noqa: N806
    OldCard.objects.create(repo_id="a/one-liner", description="The **best**.", card_html="<p>old</p>")
    OldCard.objects.create(repo_id="a/write-up", description="## Results\n\nFirst *paragraph*.\n\nMore.")
    OldCard.objects.create(repo_id="a/empty", description="")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    NewCard = executor.loader.project_state(after).apps.get_model("models_showcase", "ModelCard")  # noqa: N806
    rows = {
        card.repo_id: (card.summary, card.summary_html, card.description, card.card_html)
        for card in NewCard.objects.all()
    }
    assert rows == {
        "a/one-liner": ("The **best**.", "The <strong>best</strong>.", "", ""),
        "a/write-up": ("First paragraph.", "First paragraph.", "## Results\n\nFirst *paragraph*.\n\nMore.", ""),
        "a/empty": ("", "", "", ""),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: the one-liner returns to the description
    OldCard = executor.loader.project_state(before).apps.get_model("models_showcase", "ModelCard")  # noqa: N806
    assert OldCard.objects.get(repo_id="a/one-liner").description == "The **best**."

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
