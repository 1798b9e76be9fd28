"""The notice under each write-up: what GitHub last said of its pull request, from stored data only.

The state as a pill (merged, open, draft, closed), its date, the lines added and deleted and the
files changed, and a repository line (name, stars and their trend, language, an archived mark).
A contribution never synced shows the notice as before; text from GitHub is escaped; both languages.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from contributions.models import GitHubRepository, PullRequest, RepositoryStars
from portfolio.models import Profile
from portfolio.views import StarTrend
from tests.builders import make_contribution, make_profile
from tests.test_home import get_home, visible_text

pytestmark = pytest.mark.django_db

MERGED_AT = datetime(2024, 10, 8, 13, 2, 49, tzinfo=UTC)  # pull-request.json's merged_at
SEED_REPOSITORY = object()  # make_pull_request's default: the seed's repository


def make_repository(full_name: str = "UKPLab/sentence-transformers", **fields) -> GitHubRepository:
    fields = {"description": "State-of-the-Art Text Embeddings", "stars": 17600, "language": "Python", **fields}
    return GitHubRepository.objects.create(full_name=full_name, **fields)


def make_pull_request(contribution, *, repository=SEED_REPOSITORY, **fields) -> PullRequest:
    """A pull request as sync_github stores a merged one (tests/fixtures/github/pull-request.json).

    In the seed's repository unless given another, or None for none.
    """
    fields = {
        "title": "[`feat`] Support multiple negatives in GISTEmbedLoss",
        "state": PullRequest.State.MERGED,
        "opened_at": datetime(2024, 9, 23, 7, 41, 12, tzinfo=UTC),
        "merged_at": MERGED_AT,
        "closed_at": MERGED_AT,
        "additions": 187,
        "deletions": 24,
        "changed_files": 3,
        "commits": 6,
        "comments": 4,
        "review_comments": 9,
        "labels": ["enhancement"],
        "author_login": "dragonkue",
        "synced_at": timezone.now(),
        **fields,
    }
    if repository is SEED_REPOSITORY:
        repository = GitHubRepository.objects.filter(full_name="UKPLab/sentence-transformers").first()
        repository = repository or make_repository()
    return PullRequest.objects.create(contribution=contribution, repository=repository, **fields)


def add_star_history(repository, stars_by_days_ago: dict[int, int]) -> None:
    today = timezone.localdate()
    RepositoryStars.objects.bulk_create(
        RepositoryStars(repository=repository, date=today - timedelta(days=days_ago), stars=stars)
        for days_ago, stars in stars_by_days_ago.items()
    )


def notice(page: str, number: int) -> str:
    """The HTML of the notice box of pull request #number."""
    anchor = page.index(f'id="pr-example-project-{number}"')
    start = page.index('<div class="notice', anchor)
    return page[start : page.index("</div>", start)]


def notice_text(page: str, number: int) -> str:
    return visible_text("<body>" + notice(page, number))


@pytest.fixture
def contribution(db):
    make_profile()
    return make_contribution("https://github.com/example/project/pull/2946", title="GISTEmbedLoss")


# ---- each state ----


def test_merged_shows_the_pill_the_merge_date_the_diff_and_the_repository(client, settings, contribution):
    settings.TIME_ZONE = "Asia/Seoul"
    make_pull_request(contribution)
    box = notice(get_home(client), 2946)
    assert '<span class="pill pill--merged">Merged</span>' in box
    # The date in the site's time zone, machine-readable to the second.
    assert '<time datetime="2024-10-08T22:02:49+09:00">2024-10-08</time>' in box
    assert re.search(r"\+187 lines added −24 lines deleted · 3 files", visible_text("<body>" + box))
    assert '<a href="https://github.com/UKPLab/sentence-transformers" target="_blank" rel="noopener noreferrer">' in box
    text = notice_text(get_home(client), 2946)
    assert text.endswith("UKPLab/sentence-transformers ★ 17.6k stars Python"), text
    assert "archived" not in text and "opened" not in text


def test_open_shows_when_it_was_opened(client, contribution):
    make_pull_request(contribution, state=PullRequest.State.OPEN, merged_at=None, closed_at=None)
    box = notice(get_home(client), 2946)
    assert '<span class="pill pill--open">Open</span>' in box
    assert re.search(r'opened <time datetime="2024-09-23T\d\d:41:12[^"]*">2024-09-2\d</time>', box)
    assert "pill--merged" not in box and "pill--closed" not in box


def test_draft_is_a_pill_of_its_own(client, contribution):
    make_pull_request(contribution, state=PullRequest.State.DRAFT, merged_at=None, closed_at=None)
    box = notice(get_home(client), 2946)
    assert '<span class="pill pill--draft">Draft</span>' in box
    assert "opened <time" in box


def test_closed_unmerged_says_so_and_is_never_hidden(client, settings, contribution):
    settings.TIME_ZONE = "Asia/Seoul"
    closed_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    make_pull_request(contribution, state=PullRequest.State.CLOSED, merged_at=None, closed_at=closed_at)
    page = get_home(client)
    box = notice(page, 2946)
    assert '<span class="pill pill--closed">Closed</span>' in box
    assert '<time datetime="2025-01-02T12:04:05+09:00">2025-01-02</time>' in box
    assert "Merged" not in box
    assert 'id="pr-example-project-2946"' in page and "GISTEmbedLoss" in page  # the write-up stays


def test_an_archived_repository_is_marked(client, contribution):
    make_pull_request(contribution, repository=make_repository("old/archived-lib", archived=True, language=""))
    text = notice_text(get_home(client), 2946)
    assert text.endswith("old/archived-lib ★ 17.6k stars archived"), text
    assert '<span class="pill pill--archived">archived</span>' in notice(get_home(client), 2946)


def test_a_contribution_never_synced_shows_the_notice_as_before(client, contribution):
    page = get_home(client)
    box = notice(page, 2946)
    assert notice_text(page, 2946) == "GitHub Contribution #1 🔗 Pull Request #2946"
    assert "pill" not in box and "pull-request" not in box and "repository-line" not in box


def test_a_row_the_sync_could_not_fill_shows_no_empty_pill(client, contribution):
    """The first sync answered 404: a PullRequest row with its error and no data yet."""
    PullRequest.objects.create(contribution=contribution, sync_error="Not found", sync_error_kind="not_found")
    page = get_home(client)
    assert notice_text(page, 2946) == "GitHub Contribution #1 🔗 Pull Request #2946"
    assert "pill" not in notice(page, 2946) and "<time" not in notice(page, 2946)


def test_what_the_sync_did_not_store_is_left_out(client, contribution):
    """No repository row, no counts: only the pill; no counts nor date: only the pill."""
    make_pull_request(contribution, repository=None, merged_at=None, additions=None, deletions=None, changed_files=None)
    box = notice(get_home(client), 2946)
    assert '<span class="pill pill--merged">Merged</span>' in box
    assert "<time" not in box and "pull-request__diff" not in box and "repository-line" not in box


# ---- numbers ----


def test_large_numbers_are_compact_as_on_the_model_cards(client, contribution):
    make_pull_request(
        contribution,
        repository=make_repository("big/monorepo", stars=1_234_567),
        additions=12_345,
        deletions=1_000_000,
        changed_files=1,
    )
    text = notice_text(get_home(client), 2946)
    assert "+12.3k lines added −1M lines deleted · 1 file" in text, text
    assert "★ 1.2M stars" in text


def test_zero_and_missing_numbers(client, contribution):
    make_pull_request(contribution, additions=0, deletions=0, changed_files=0, repository=make_repository(stars=None))
    text = notice_text(get_home(client), 2946)
    assert "+0 lines added −0 lines deleted · 0 files" in text
    assert "★" not in text  # stars unknown: no star, rather than a dash


def test_the_star_trend_over_the_last_30_days(client, contribution):
    repository = make_repository(stars=17720)
    make_pull_request(contribution, repository=repository)
    add_star_history(repository, {45: 10, 30: 17600, 12: 17650, 0: 17720})  # 45 days ago is outside the window
    text = notice_text(get_home(client), 2946)
    assert "★ 17.7k stars +120 in 30 days Python" in text, text


def test_a_falling_trend_and_no_trend_from_a_single_day(client, contribution):
    falling, single = make_repository("a/falling", stars=90), make_repository("a/single", stars=90)
    make_pull_request(contribution, repository=falling)
    make_pull_request(make_contribution("https://github.com/example/project/pull/7"), repository=single)
    add_star_history(falling, {3: 100, 0: 90})
    add_star_history(single, {0: 90})
    page = get_home(client)
    down = '<span class="repository-line__trend repository-line__trend--down">-10 in 3 days</span>'
    assert down in notice(page, 2946)
    assert "repository-line__trend" not in notice(page, 7)
    assert "★ 90 stars Python" in notice_text(page, 7)


def test_an_unchanged_count_shows_no_trend(client, contribution):
    repository = make_repository(stars=500)
    make_pull_request(contribution, repository=repository)
    add_star_history(repository, {20: 500, 0: 500})
    assert "repository-line__trend" not in notice(get_home(client), 2946)


def test_star_trend_is_signed_and_compact():
    assert [StarTrend(change, 30).signed_change for change in (1234, 7, -5, -2500)] == ["+1.2k", "+7", "-5", "-2.5k"]


# ---- text from GitHub is untrusted ----

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def test_text_from_github_is_escaped(client, contribution):
    repository = make_repository("evil/<script>x</script>", language=HOSTILE, description=HOSTILE)
    make_pull_request(contribution, repository=repository, title=HOSTILE, labels=[HOSTILE], author_login="<b>x</b>")
    page = get_home(client)
    assert "<script>alert(1)" not in page and "<script>x" not in page
    assert "<img src=x" not in page
    box = notice(page, 2946)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in box  # the language
    assert 'href="https://github.com/evil/&lt;script&gt;x&lt;/script&gt;"' in box


def test_bidi_and_control_characters_would_still_be_escaped_text(client, contribution):
    """The sync strips them; if one got through, it is text inside an element, never markup."""
    make_pull_request(contribution, repository=make_repository("a/b", language="Py\u202ethon\u2066"))
    box = notice(get_home(client), 2946)
    assert '<span class="repository-line__language">Py\u202ethon\u2066</span>' in box


# ---- both languages ----


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_notice_speaks_the_sites_language(client, contribution, language):
    profile = Profile.objects.get()
    profile.language = language
    profile.save()
    repository = make_repository(stars=17720)
    make_pull_request(contribution, repository=repository)
    make_pull_request(
        make_contribution("https://github.com/example/project/pull/7"),
        repository=repository,
        state=PullRequest.State.OPEN,
        merged_at=None,
        closed_at=None,
    )
    add_star_history(repository, {30: 17600, 0: 17720})
    page = get_home(client)
    with translation.override(language):
        expected = [
            translation.gettext("Merged"),
            translation.gettext("lines added"),
            translation.ngettext("%(files)s file", "%(files)s files", 3) % {"files": 3},
            translation.ngettext("%(change)s in %(days)s day", "%(change)s in %(days)s days", 30)
            % {"change": "+120", "days": 30},
        ]
        opened = [translation.gettext("Open"), translation.gettext("opened")]
    for text in expected:
        assert text in notice_text(page, 2946), (language, text)
    for text in opened:
        assert text in notice_text(page, 7), (language, text)
    assert f'<html lang="{language}">' in page


def test_dates_are_the_same_day_whatever_the_language(client, contribution):
    """Absolute ISO dates: no month names to translate, as on the model cards."""
    make_pull_request(contribution)
    for language in ("ko", "en"):
        profile = Profile.objects.get()
        profile.language = language
        profile.save()
        assert "2024-10-08" in notice_text(get_home(client), 2946)
