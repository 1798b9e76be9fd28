import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest
from models_showcase.models import Badge, HubCard, ModelCard
from models_showcase.papers.models import Paper
from portfolio.demo import load_demo
from portfolio.models import Profile

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything load_demo touches, as plain values."""
    return {
        "profile": list(Profile.objects.values()),
        "badges": list(Badge.objects.values()),
        "cards": list(ModelCard.objects.values()),
        "card_badges": list(HubCard.badges.through.objects.values_list("hubcard_id", "badge_id")),
        "groups": list(ContributionGroup.objects.values()),
        "contributions": list(Contribution.objects.values()),
        "repositories": list(GitHubRepository.objects.values()),
        "pull_requests": list(PullRequest.objects.values()),
    }


def test_loads_exactly_the_seed_content():
    report = load_demo()
    assert len(report.created) == 21 and report.kept == []
    profile = Profile.objects.get()
    assert (profile.hub_username, profile.notice_title) == ("dragonkue", "🤗 HuggingFace Profile")
    assert (profile.models_heading, profile.contributions_heading) == ("🏆 SOTA 모델들", "GitHub 기여")
    assert "<strong>MTEB-ko-retrieval Leaderboard</strong>에서 종합 1위" in profile.intro_html
    cards = ModelCard.objects.published().prefetch_related("badges")
    assert [(card.repo_id, [str(b) for b in card.badges.all()]) for card in cards] == [
        ("dragonkue/snowflake-arctic-embed-l-v2.0-ko", ["🏆 SOTA"]),
        ("dragonkue/BGE-m3-ko", ["🎯 AutoRAG Champion"]),
        ("dragonkue/bge-reranker-v2-m3-ko", ["🔄 Reranker SOTA"]),
    ]
    assert list(Badge.objects.values_list("color", flat=True)) == ["coral", "teal", "sky"]
    # The seed's one-liners are the cards' summaries; no card has a write-up yet.
    assert [(card.summary_html, card.description) for card in cards] == [
        ("임베딩 모델에서 한국어 IR 벤치마크(<strong>MTEB-ko-retrieval Leaderboard</strong>) 종합 SOTA 모델", ""),
        ("임베딩 모델에서 AutoRAG Embedding 벤치마크에서 SOTA 모델", ""),
        ("Reranker 모델에서 AutoRAG Embedding 벤치마크에서 SOTA 모델", ""),
    ]
    # Beside the page's models, a dataset and a Space (the page had none: the test Hub's seed, to be replaced).
    assert list(HubCard.objects.exclude(kind="model").order_by("kind").values_list("kind", "repo_id")) == [
        ("dataset", "dragonkue/ko-retrieval-triplets"),
        ("space", "dragonkue/BGE-m3-ko-demo"),
    ]
    assert HubCard.objects.get(kind="space").models_used == ["dragonkue/BGE-m3-ko", "dragonkue/bge-reranker-v2-m3-ko"]
    # The papers the page's models cite through their arxiv: tags (tests/fixtures/hub/), each with its citing cards.
    papers = {paper.arxiv_id: paper for paper in Paper.objects.published().prefetch_related("cited_by")}
    assert sorted(papers) == ["1908.10084", "2101.06983", "2212.03533", "2402.03216", "2402.16829", "2412.04506"]
    assert papers["2402.03216"].title.startswith("BGE M3-Embedding") and papers["2402.03216"].upvotes is None
    assert {card.repo_id for card in papers["1908.10084"].cited_by.all()} == {
        "dragonkue/BGE-m3-ko", "dragonkue/snowflake-arctic-embed-l-v2.0-ko"
    }  # fmt: skip
    contributions = Contribution.objects.published()
    assert [(c.group.title, c.number, c.writeup_html.count("<li>")) for c in contributions] == [
        ("sentence-transformers 라이브러리 개선", 2946, 4),
        ("sentence-transformers 라이브러리 개선", 3299, 5),
    ]


def test_second_run_changes_nothing():
    load_demo()
    before = snapshot()
    report = load_demo()
    assert report.created == [] and len(report.kept) == 21
    assert snapshot() == before


def test_never_overwrites_or_deletes_what_the_owner_edited():
    load_demo()
    card = ModelCard.objects.get(repo_id="dragonkue/BGE-m3-ko")
    card.summary = "내가 고친 요약"
    card.description = "내가 고친 설명"
    card.badges.clear()
    card.save()
    profile = Profile.objects.get()
    profile.intro = "My own intro"
    profile.save()
    Contribution.objects.filter(number=3299).update(title="Renamed by the owner")
    ModelCard.objects.create(repo_id="dragonkue/extra-model")

    load_demo()

    card.refresh_from_db()
    assert (card.summary, card.description) == ("내가 고친 요약", "내가 고친 설명") and not card.badges.exists()
    assert Profile.objects.get().intro == "My own intro"
    assert Contribution.objects.get(number=3299).title == "Renamed by the owner"
    assert ModelCard.objects.filter(repo_id="dragonkue/extra-model").exists()


def test_command_reports_and_if_empty_skips_a_site_with_content(capsys):
    call_command("load_demo")
    assert "created 21, kept 0" in capsys.readouterr().out
    ModelCard.objects.all().delete()
    call_command("load_demo", "--if-empty")
    assert "already has content" in capsys.readouterr().out
    assert not ModelCard.objects.exists()


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github"


def github_answer(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_pull_requests_come_with_what_github_says_of_them():
    """The seed's GitHub data is the fake GitHub's answers, stored as sync_github stores them."""
    load_demo()
    repository = GitHubRepository.objects.get()
    answer = github_answer("repository.json")
    assert (repository.full_name, repository.github_id, repository.description) == (
        answer["full_name"], answer["id"], answer["description"],
    )  # fmt: skip
    assert (repository.stars, repository.language, repository.archived) == (17600, "Python", False)
    assert repository.synced_at is None and repository.etag == ""  # the first sync fetches it in full
    for number, name in [(2946, "pull-request.json"), (3299, "pull-request-3299.json")]:
        pr = PullRequest.objects.select_related("contribution", "repository").get(contribution__number=number)
        answer = github_answer(name)
        assert pr.repository == repository and pr.state == PullRequest.State.MERGED
        assert (pr.title, pr.author_login, pr.labels) == (
            answer["title"], answer["user"]["login"], [label["name"] for label in answer["labels"]],
        )  # fmt: skip
        assert [pr.opened_at, pr.merged_at, pr.closed_at] == [
            datetime.fromisoformat(answer[key]) for key in ("created_at", "merged_at", "closed_at")
        ]
        counts = ("additions", "deletions", "changed_files", "commits", "comments", "review_comments")
        assert [getattr(pr, key) for key in counts] == [answer[key] for key in counts]
        assert (pr.synced_at, pr.etag, pr.sync_error) == (None, "", "")
    assert [(pr.additions, pr.deletions, pr.changed_files) for pr in PullRequest.objects.order_by("pk")] == [
        (187, 24, 3),
        (243, 61, 4),
    ]


def test_never_overwrites_what_sync_github_wrote_and_fills_what_is_missing():
    load_demo()
    PullRequest.objects.filter(contribution__number=2946).update(state=PullRequest.State.CLOSED, additions=1)
    GitHubRepository.objects.update(stars=20000, full_name="UKPLab/Sentence-Transformers")
    PullRequest.objects.filter(contribution__number=3299).delete()  # e.g. a site loaded before the GitHub data

    report = load_demo()

    assert report.created == ["pull request data https://github.com/UKPLab/sentence-transformers/pull/3299"]
    assert PullRequest.objects.get(contribution__number=2946).additions == 1
    assert GitHubRepository.objects.get().stars == 20000  # found by its GitHub id, renamed or not
    assert PullRequest.objects.get(contribution__number=3299).repository == GitHubRepository.objects.get()
