import html
import re

import pytest
from django.urls import reverse

from models_showcase.models import DatasetCard, SpaceCard
from models_showcase.papers.models import Paper
from portfolio.demo import load_demo
from tests.builders import make_badge, make_card, make_contribution, make_group, make_profile

pytestmark = pytest.mark.django_db

# Every piece of text on the seed page (shared/seed/huggingface-portfolio.md), in its order.
SEED_TEXT_IN_ORDER = [
    "HuggingFace Portfolio",
    "🤗 HuggingFace Profile",
    "https://huggingface.co/dragonkue",
    "AutoRAG Embedding Benchmark에서 Bi-Encoder와 Cross-Encoder 모두 SOTA 성능을 달성하며 시작된 오픈소스 기여 활동이 "
    "현재는 MTEB-ko-retrieval Leaderboard에서 종합 1위를 기록하는 성과로 이어졌습니다.",
    "🏆 SOTA 모델들",
    "🏆 SOTA",
    "snowflake-arctic-embed-l-v2.0-ko",
    "임베딩 모델에서 한국어 IR 벤치마크(MTEB-ko-retrieval Leaderboard) 종합 SOTA 모델",
    "🎯 AutoRAG Champion",
    "BGE-m3-ko",
    "임베딩 모델에서 AutoRAG Embedding 벤치마크에서 SOTA 모델",
    "🔄 Reranker SOTA",
    "bge-reranker-v2-m3-ko",
    "Reranker 모델에서 AutoRAG Embedding 벤치마크에서 SOTA 모델",
    "GitHub 기여",
    "sentence-transformers 라이브러리 개선",
    "GISTEmbedLoss 네거티브 확장 기여를 통해 오픈소스 생태계에 기여했습니다.",
    "🎯 GISTEmbedLoss 1차 개선 (Multiple Negative 지원):",
    "기존 문제: GISTEmbedLoss는 [Anchor, Positive, Negative] 형태의 1:1:1 쌍만 학습 가능",
    "해결책: 최근 Bi-Encoder 모델들(E5, BGE, Arctic 등)이 복수의 하드 네거티브(7~15개)를 활용하는 추세를 반영",
    "구현: Multiple Negative 구조를 지원하도록 GISTEmbedLoss 손실 함수 구조 개선",
    "기술적 의의: Guide 모델을 통한 기존 MNR Loss 대비 안정적이고 효과적인 손실함수",
    "GitHub Contribution #1",
    "🔗 Pull Request #2946",
    "🛠️ GISTEmbedLoss 2차 개선 (NV-Retriever 기반 Margin Filtering):",
    "NV-Retriever 논문 참고: false negative 필터링을 위한 margin 기반 로직을 GISTEmbedLoss에 도입",
    "차별점: anchor에 대한 hard negative 추출 시가 아닌 In-batch negative에서 false negative 제거 방법을 개선",
    "절대값/백분율 기준 margin 전략으로 false negative 샘플 제거 → 학습 안정성 및 성능 향상",
    "배치 사이즈 효과: 배치 사이즈가 클수록 더 높은 성능 향상 확인",
    "성능 개선: 기존 CachedGISTEmbedLoss 대비 향상된 정확도(Cosine Accuracy) 달성",
    "GitHub Contribution #2",
    "🔗 Pull Request #3299",
]


def visible_text(page: str) -> str:
    """The page as a reader sees it: no tags, entities decoded, white space folded."""
    body = page.split("<body>", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def folded(text: str) -> str:
    return " ".join(text.split())


def get_home(client):
    response = client.get(reverse("portfolio:home"))
    assert response.status_code == 200
    return response.content.decode("utf-8")


def test_home_shows_the_seed_page_in_order(client):
    load_demo()
    # Inline markup (bold, code) splits the text into words with extra spaces; compare folded.
    text = visible_text(get_home(client)).replace(" ", "")
    position = 0
    for expected in SEED_TEXT_IN_ORDER:
        found = text.find(expected.replace(" ", ""), position)
        assert found >= 0, f"missing or out of order: {expected!r}"
        position = found + 1


def test_home_links_like_the_seed(client):
    load_demo()
    page = get_home(client)
    for href in [
        "https://huggingface.co/dragonkue",
        "https://huggingface.co/dragonkue/snowflake-arctic-embed-l-v2.0-ko",
        "https://huggingface.co/dragonkue/BGE-m3-ko",
        "https://huggingface.co/dragonkue/bge-reranker-v2-m3-ko",
        "https://github.com/UKPLab/sentence-transformers/pull/2946",
        "https://github.com/UKPLab/sentence-transformers/pull/3299",
    ]:
        assert f'href="{href}" target="_blank" rel="noopener noreferrer"' in page
    assert 'class="badge badge--coral">🏆 SOTA<' in page
    assert 'class="notice notice--success"' in page
    assert 'class="notice notice--primary"' in page


def test_page_is_utf8_korean_with_no_inline_styles(client, settings):
    settings.LANGUAGE_CODE = "ko"
    load_demo()
    response = client.get("/")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode("utf-8")
    assert '<html lang="ko">' in page
    assert "모델들" in page
    assert "<style" not in page
    assert "style=" not in page
    # Script only as files of our own (a progressive enhancement), never inline.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    assert scripts == [""] * page.count("<script")
    assert re.findall(r"<script([^>]*)>", page) == [
        ' src="/static/js/relative-time.js" defer',
        ' src="/static/js/copy-button.js" defer',  # the Publications section's copy buttons
    ]
    assert "//cdn" not in page and "fonts.googleapis" not in page


def test_seed_permalink_leads_to_the_same_page(client):
    response = client.get("/huggingface/")
    assert response.status_code == 301
    assert response["Location"] == reverse("portfolio:home")


def test_drafts_never_leak(client):
    make_profile()
    make_card("tester/published-model")
    make_card("tester/secret-draft", is_published=False)
    group = make_group("Shown group")
    make_contribution(group=group, title="Shown PR")
    make_contribution(group=make_group("Hidden group"), title="Draft PR", is_published=False)
    page = get_home(client)
    assert "published-model" in page
    assert "Shown PR" in page
    assert "secret-draft" not in page
    assert "Draft PR" not in page
    assert "Hidden group" not in page


def test_empty_sections_disappear(client):
    make_profile(models_heading="Models heading", contributions_heading="Contributions heading")
    page = get_home(client)
    assert "Models heading" not in page
    assert "Contributions heading" not in page
    assert 'class="model-grid"' not in page


def test_page_works_with_no_content_at_all(client):
    page = get_home(client)
    assert "<h1" in page
    assert "Nothing here yet." in page


def test_page_works_with_a_single_card(client):
    make_profile(models_heading="Only one")
    make_card("tester/lonely", badges=[make_badge("Solo", emoji="⭐")])
    text = visible_text(get_home(client))
    assert "Only one" in text
    assert "⭐ Solo lonely" in text


def test_cards_follow_sort_order(client):
    make_card("tester/second", sort_order=2)
    make_card("tester/first", sort_order=1)
    page = get_home(client)
    assert page.index("tester/first") < page.index("tester/second")


def test_contributions_sit_under_their_group_and_are_numbered_in_the_order_they_were_made(client):
    make_profile()
    early, late = make_group("Early group", sort_order=1), make_group("Late group", sort_order=2)
    make_contribution("https://github.com/a/b/pull/30", group=late, title="Oldest")
    make_contribution("https://github.com/a/b/pull/10", group=early, title="Middle", sort_order=1)
    make_contribution("https://github.com/a/b/pull/20", group=early, title="Newest", sort_order=2)
    text = visible_text(get_home(client))
    assert re.search(
        r"Early group Middle GitHub Contribution #2 🔗 Pull Request #10 "
        r"Newest GitHub Contribution #3 🔗 Pull Request #20 "
        r"Late group Oldest GitHub Contribution #1 🔗 Pull Request #30",
        text,
    ), text


def notice_numbers(client) -> dict[str, str]:
    """{pull request number: its notice's label} as the home page shows them."""
    text = visible_text(get_home(client))
    return dict((pr, label) for label, pr in re.findall(r"(GitHub Contribution #\d+) 🔗 Pull Request #(\d+)", text))


def test_notice_numbers_stay_when_groups_are_added_reordered_or_contributions_moved(client):
    make_profile()
    group = make_group("Group", sort_order=5)
    first = make_contribution("https://github.com/a/b/pull/1", group=group)
    make_contribution("https://github.com/a/b/pull/2", group=group)
    before = notice_numbers(client)
    assert before == {"1": "GitHub Contribution #1", "2": "GitHub Contribution #2"}

    # A new group at the top of the page, with a pull request, and the old one moved into it.
    top = make_group("New group at the top", sort_order=0)
    make_contribution("https://github.com/a/b/pull/3", group=top)
    first.group = top
    first.sort_order = 9
    first.save()
    group.sort_order = 1
    group.save()
    assert notice_numbers(client) == {**before, "3": "GitHub Contribution #3"}


def test_drafts_take_no_number_and_numbers_stay_consecutive(client):
    make_profile()
    make_contribution("https://github.com/a/b/pull/1")
    make_contribution("https://github.com/a/b/pull/2", is_published=False)
    make_contribution("https://github.com/a/b/pull/3")
    assert notice_numbers(client) == {"1": "GitHub Contribution #1", "3": "GitHub Contribution #2"}


def test_owner_text_is_escaped_not_executed(client):
    make_profile(display_name="<script>alert(1)</script>", bio='"><img src=x onerror=alert(1)>')
    make_card("tester/x", title="<b>bold?</b>", badges=[make_badge("<i>pill</i>")])
    page = get_home(client)
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert "&lt;i&gt;pill&lt;/i&gt;" in page


# profile, its links, the cards' stored HTML (every kind), the papers and the cards citing them, and
# contributions with their groups, pull requests, repositories and the repositories' star trends
# (subqueries of that one query). Without any paper, the citing cards are not asked for: one less.
HOME_QUERIES = 6


def add_papers(count: int) -> None:
    """Published papers, each cited by a card: the Publications section and its 'cited by' links."""
    for number in range(count):
        paper = Paper.objects.create(arxiv_id=f"2401.{number + 1:05d}", is_published=True)
        Paper.objects.filter(pk=paper.pk).update(title=f"Paper {number}", authors=[{"name": "Ji-woo Kim"}])
        paper.cited_by.add(make_card())


@pytest.mark.parametrize("cards", [0, 3, 300])
def test_query_count_does_not_grow_with_content(client, django_assert_num_queries, cards):
    profile = make_profile()
    profile.links.create(kind="website", url="https://example.com")
    badges = [make_badge(), make_badge()]
    for _ in range(cards):
        make_card(badges=badges)
    for number in range(cards // 3):  # datasets and Spaces come in the cards' one query
        DatasetCard.objects.create(repo_id=f"tester/data-{number}", is_published=True)
        SpaceCard.objects.create(repo_id=f"tester/space-{number}", is_published=True)
        make_contribution()
    add_papers(1 + cards // 10)
    with django_assert_num_queries(HOME_QUERIES):
        page = get_home(client)
    assert page.count('class="paper"') == 1 + cards // 10


def test_without_papers_the_citing_cards_are_not_asked_for(client, django_assert_num_queries):
    make_profile()
    make_card()
    make_contribution()
    with django_assert_num_queries(HOME_QUERIES - 1):
        page = get_home(client)
    assert 'id="publications-heading"' not in page


@pytest.mark.parametrize("synced", [0, 3, 30])
def test_query_count_does_not_grow_with_github_data(client, django_assert_num_queries, synced):
    """Pull requests synced from GitHub, across several repositories with a month of stars each."""
    from tests.test_contribution_notice import add_star_history, make_pull_request, make_repository

    make_profile().links.create(kind="website", url="https://example.com")
    make_card()
    repositories = [make_repository(f"owner/repo-{index}", stars=1000 + index) for index in range(min(synced, 4))]
    for repository in repositories:
        add_star_history(repository, {days_ago: 1000 - days_ago for days_ago in range(31)})
    for index in range(synced):
        make_pull_request(make_contribution(), repository=repositories[index % len(repositories)])
    make_contribution()  # and one never synced
    with django_assert_num_queries(HOME_QUERIES - 1):  # no papers
        page = get_home(client)
    assert page.count('class="pill pill--merged"') == synced
    assert page.count('class="repository-line__trend') == synced
