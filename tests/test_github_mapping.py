"""GitHub's answers read field by field (contributions/github/mapping.py) and written (writer.py).

The answers are the fake GitHub's seed (tests/fixtures/github/, GitHub's shapes) and its builders, spoiled one
field at a time: each bad value must cost only itself, with a warning, and keep the stored value.
"""

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from contributions.github import writer
from contributions.github.mapping import (
    DiscoveredPull,
    UnreadableAnswer,
    read_pull,
    read_repo,
    read_search_item,
)
from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest, RepositoryStars
from portfolio.syncing.errors import SyncError, SyncErrorKind
from tests.builders import make_contribution, make_group
from tests.fakegithub import SEED_AUTHOR, SEED_REPO, github_pull, github_repo, load_fixture, search_item

SEED_URL = f"https://github.com/{SEED_REPO}/pull/2946"
COUNTS = ("additions", "deletions", "changed_files", "commits", "comments", "review_comments")


def seed_pull(**overrides):
    return {**load_fixture("pull-request.json"), **overrides}


def seed_repo(**overrides):
    return {**load_fixture("repository.json"), **overrides}


# --- Pull requests ----------------------------------------------------------------------------------------------------


def test_the_seed_pull_request_reads_whole():
    raw = seed_pull()

    pull = read_pull(raw)

    assert (pull.number, pull.repository, pull.html_url) == (2946, SEED_REPO, SEED_URL)
    assert pull.repository_id == raw["base"]["repo"]["id"]
    assert pull.title == "[`feat`] Support multiple negatives in GISTEmbedLoss"
    assert pull.state == PullRequest.State.MERGED
    assert pull.opened_at == datetime(2024, 9, 23, 7, 41, 12, tzinfo=UTC)
    assert pull.merged_at == pull.closed_at == datetime(2024, 10, 8, 13, 2, 49, tzinfo=UTC)
    assert [getattr(pull, name) for name in COUNTS] == [187, 24, 3, 6, 4, 9]
    assert (pull.labels, pull.author_login) == (["enhancement"], SEED_AUTHOR)
    assert (pull.warnings, pull.unknown) == ([], set())


@pytest.mark.parametrize(
    ("overrides", "state"),
    [
        ({}, PullRequest.State.OPEN),
        ({"draft": True}, PullRequest.State.DRAFT),
        ({"state": "closed", "closed_at": "2025-01-01T00:00:00Z"}, PullRequest.State.CLOSED),
        ({"merged_at": "2025-01-01T00:00:00Z"}, PullRequest.State.MERGED),
        ({"state": "closed", "merged": True}, PullRequest.State.MERGED),  # merged without merged_at
        ({"state": "closed", "draft": True}, PullRequest.State.CLOSED),  # a closed draft is closed
    ],
)
def test_the_state(overrides, state):
    pull = read_pull(github_pull(github_repo("org/lib"), 7, SEED_AUTHOR, **overrides))

    assert pull.state == state and pull.warnings == []


def test_an_open_pull_request_has_no_merge_or_close_date_and_no_warning():
    pull = read_pull(github_pull(github_repo("org/lib"), 7, SEED_AUTHOR))

    assert (pull.merged_at, pull.closed_at, pull.warnings, pull.unknown) == (None, None, [], set())


@pytest.mark.parametrize(
    "value",
    ["187", "NaN", math.nan, math.inf, -1, 2**31, 10**30, True, 3.5, [], {"n": 1}],
    ids=repr,
)
def test_a_count_that_is_not_one_costs_only_itself(value):
    pull = read_pull(seed_pull(additions=value))

    assert pull.additions is None and pull.unknown == {"additions"}
    assert len(pull.warnings) == 1 and pull.warnings[0].startswith("additions: ")
    assert "is not a count; kept the previous value" in pull.warnings[0]
    assert (pull.deletions, pull.title, pull.state) == (
        24,
        "[`feat`] Support multiple negatives in GISTEmbedLoss",
        "merged",
    )


def test_a_missing_count_is_unknown_and_a_whole_float_is_a_count():
    raw = seed_pull(deletions=24.0)
    del raw["additions"]

    pull = read_pull(raw)

    assert (pull.additions, pull.deletions) == (None, 24)
    assert pull.warnings == ["additions: missing from GitHub's answer; kept the previous value"]


def test_control_and_bidi_characters_are_dropped_and_a_long_title_shortened():
    sneaky = read_pull(seed_pull(title="Fix\u202e gnp.exe\x00\x1b[31m loss\u2066"))
    long = read_pull(seed_pull(title="x" * 1000))

    assert sneaky.title == "Fix gnp.exe[31m loss" and sneaky.warnings == []
    assert len(long.title) == 300 and long.title.endswith("…")
    assert long.warnings == ["title: longer than 300 characters; shortened"]


@pytest.mark.parametrize(("value", "warning"), [(12, "is not text"), (None, "missing")])
def test_a_title_that_is_not_text_is_unknown(value, warning):
    pull = read_pull(seed_pull(title=value))

    assert pull.title == "" and pull.unknown == {"title"} and warning in pull.warnings[0]
    assert pull.additions == 187


@pytest.mark.parametrize(
    "value", ["yesterday", "2024-13-45T00:00:00Z", "2024-01-01T00:00:00", 1727077272, "9" * 100], ids=repr
)
def test_a_date_that_is_not_one_is_unknown(value):
    pull = read_pull(seed_pull(created_at=value, merged_at=value))

    assert (pull.opened_at, pull.merged_at) == (None, None)
    assert pull.unknown == {"opened_at", "merged_at"}
    assert [warning.split(":")[0] for warning in pull.warnings] == ["opened", "merged"]
    assert pull.state == PullRequest.State.MERGED  # merged_at is set, if unreadable
    assert pull.closed_at == datetime(2024, 10, 8, 13, 2, 49, tzinfo=UTC)


def test_labels_keep_the_readable_names_twenty_at_most():
    labels = [{"name": f"label {n}\u200f"} for n in range(25)]
    pull = read_pull(seed_pull(labels=[{"name": 5}, "bug", {"name": "  "}, *labels, {"name": "label 0"}]))

    assert pull.labels == [f"label {n}" for n in range(20)]
    assert pull.warnings == ["labels: 3 unreadable left out"]
    assert read_pull(seed_pull(labels="bug")).unknown == {"labels"}


@pytest.mark.parametrize(
    ("user", "login"),
    [
        ({"login": "dependabot[bot]"}, "dependabot[bot]"),
        ({"login": "some user"}, ""),
        ({"login": "-leading"}, ""),
        ({"login": "a" * 40}, ""),
        ({"login": "<b>x</b>"}, ""),
        (None, ""),
        ("dragonkue", ""),
    ],
)
def test_the_author_must_be_a_github_login(user, login):
    pull = read_pull(seed_pull(user=user))

    assert pull.author_login == login
    assert ("author_login" in pull.unknown) == (not login)


@pytest.mark.parametrize(
    "html_url",
    [
        "https://evil.example/UKPLab/sentence-transformers/pull/2946",
        "javascript:alert(1)//github.com/UKPLab/sentence-transformers/pull/2946",
        f"https://github.com/{SEED_REPO}/pull/2947",  # another number
        "https://github.com/someone/else/pull/2946",  # another repository than base.repo
        None,
    ],
)
def test_an_address_is_trusted_only_when_it_is_this_pull_requests_on_github(html_url):
    pull = read_pull(seed_pull(html_url=html_url))

    assert pull.html_url == "" and "html_url" in pull.unknown
    assert pull.warnings[0].startswith("address: ")
    assert pull.repository == SEED_REPO  # from base.repo


def test_the_address_is_normalised():
    pull = read_pull(seed_pull(html_url=f"http://www.github.com/{SEED_REPO}/pull/2946/"))

    assert pull.html_url == SEED_URL and pull.warnings == []


def test_without_base_repo_the_repository_comes_from_the_address():
    pull = read_pull(seed_pull(base={"repo": {"full_name": "../../etc", "id": "1"}}))

    assert (pull.repository, pull.html_url, pull.repository_id) == (SEED_REPO, SEED_URL, None)
    assert pull.unknown == {"repository_id"}
    assert [warning.split(":")[0] for warning in pull.warnings] == ["repository", "repository id"]


@pytest.mark.parametrize(
    "raw",
    [[], "a pull request", None, {"title": "no number"}, {"number": "12"}, {"number": 0}, {"number": True}],
    ids=repr,
)
def test_an_answer_without_a_number_is_unreadable(raw):
    with pytest.raises(UnreadableAnswer):
        read_pull(raw)


# --- Repositories -----------------------------------------------------------------------------------------------------


def test_the_seed_repository_reads_whole():
    raw = seed_repo()

    repo = read_repo(raw)

    assert (repo.full_name, repo.github_id, repo.stars) == (SEED_REPO, raw["id"], 17_600)
    assert (repo.description, repo.language, repo.archived) == ("State-of-the-Art Text Embeddings", "Python", False)
    assert (repo.warnings, repo.unknown) == ([], set())


def test_empty_description_and_language_are_empty_not_unknown():
    repo = read_repo(seed_repo(description=None, language=None, archived=True))

    assert (repo.description, repo.language, repo.archived, repo.unknown) == ("", "", True, set())


@pytest.mark.parametrize(
    ("overrides", "unknown"),
    [
        ({"stargazers_count": -1}, "stars"),
        ({"stargazers_count": "17.6k"}, "stars"),
        ({"archived": "yes"}, "archived"),
        ({"archived": None}, "archived"),
        ({"description": ["x"]}, "description"),
        ({"language": 3}, "language"),
        ({"id": -5}, "github_id"),
    ],
)
def test_a_bad_repository_field_costs_only_itself(overrides, unknown):
    repo = read_repo(seed_repo(**overrides))

    assert repo.unknown == {unknown} and len(repo.warnings) == 1
    assert repo.full_name == SEED_REPO and (repo.stars is None) == (unknown == "stars")


def test_a_long_description_is_cleaned_and_shortened():
    repo = read_repo(seed_repo(description="\x1b]0;title\x07" + "d" * 500, language="P" * 100))

    assert len(repo.description) == 350 and repo.description.startswith("]0;titled")
    assert len(repo.language) == 60
    assert len(repo.warnings) == 2


@pytest.mark.parametrize("full_name", [None, "", "noslash", "a/b/c", "../x", "a/..", "own er/x", 42])
def test_a_repository_without_a_valid_full_name_is_unreadable(full_name):
    with pytest.raises(UnreadableAnswer):
        read_repo(seed_repo(full_name=full_name))


# --- Search results ---------------------------------------------------------------------------------------------------


def test_search_items_become_discovered_pulls():
    page = load_fixture("search-issues.json")

    found = [read_search_item(item) for item in page["items"]]

    assert found == [
        DiscoveredPull(
            f"https://github.com/{SEED_REPO}/pull/3299",
            SEED_REPO,
            3299,
            "[`feat`] Add margin-based false negative filtering to GISTEmbedLoss",
        ),
        DiscoveredPull(SEED_URL, SEED_REPO, 2946, "[`feat`] Support multiple negatives in GISTEmbedLoss"),
    ]


def test_a_search_item_without_a_usable_title_is_named_after_its_pull_request():
    item = search_item(github_pull(github_repo("org/lib"), 7, SEED_AUTHOR, title="\x00\u202e"))

    assert read_search_item(item).title == "org/lib#7"


@pytest.mark.parametrize(
    "change",
    [
        lambda item: item.pop("pull_request"),  # an issue
        lambda item: item.update(pull_request={"html_url": "https://gitlab.com/a/b/-/merge_requests/1"}, html_url=""),
        lambda item: item.update(pull_request="yes"),
    ],
)
def test_a_search_item_that_is_not_a_pull_request_on_github_is_unreadable(change):
    item = search_item(github_pull(github_repo("org/lib"), 7, SEED_AUTHOR))
    change(item)

    with pytest.raises(UnreadableAnswer):
        read_search_item(item)


# --- Writing repositories ---------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_repository_is_created_with_todays_stars_once_a_day():
    repository, changed = writer.write_repository(read_repo(seed_repo()), etag='W/"1"', now=NOW)
    again, changed_again = writer.write_repository(read_repo(seed_repo(stargazers_count=17_650)), etag='W/"2"', now=NOW)
    writer.write_repository(read_repo(seed_repo(stargazers_count=17_700)), etag="", now=NOW + timedelta(days=1))

    assert again.pk == repository.pk and GitHubRepository.objects.count() == 1
    assert {"full_name", "github_id", "stars", "description", "language"} <= set(changed)
    assert changed_again == ["stars"]
    history = list(RepositoryStars.objects.values_list("date", "stars"))
    today = timezone.localdate(NOW)
    assert history == [(today, 17_650), (today + timedelta(days=1), 17_700)]


@pytest.mark.django_db
def test_a_repository_renamed_on_github_keeps_its_row_and_history():
    repository, _ = writer.write_repository(read_repo(seed_repo()), etag="", now=NOW)

    renamed, changed = writer.write_repository(
        read_repo(seed_repo(full_name="huggingface/sentence-transformers")), etag="", now=NOW + timedelta(days=1)
    )

    assert renamed.pk == repository.pk and changed == ["full_name"]
    assert renamed.star_history.count() == 2


@pytest.mark.django_db
def test_an_unreadable_repository_field_keeps_the_stored_value():
    writer.write_repository(read_repo(seed_repo(archived=True)), etag="", now=NOW)

    repository, changed = writer.write_repository(
        read_repo(seed_repo(stargazers_count="many", archived="no")), etag="", now=NOW
    )

    assert (repository.stars, repository.archived, changed) == (17_600, True, [])
    repository.refresh_from_db()
    assert (repository.stars, repository.archived) == (17_600, True)


@pytest.mark.django_db
def test_not_modified_marks_the_repository_checked_and_records_todays_stars():
    repository, _ = writer.write_repository(read_repo(seed_repo()), etag='W/"1"', now=NOW)
    writer.record_repository_failure(repository, SyncError(SyncErrorKind.SERVER_ERROR, "GitHub server error"), NOW)
    tomorrow = NOW + timedelta(days=1)

    writer.touch_repository(repository, now=tomorrow)

    repository.refresh_from_db()
    assert (repository.synced_at, repository.sync_error, repository.sync_error_kind) == (tomorrow, "", "")
    assert list(repository.star_history.values_list("stars", flat=True)) == [17_600, 17_600]


@pytest.mark.django_db
def test_a_repository_failure_keeps_its_data_and_a_never_synced_one_gets_a_row():
    repository, _ = writer.write_repository(read_repo(seed_repo()), etag='W/"1"', now=NOW)
    error = SyncError(SyncErrorKind.NOT_FOUND, "not found on GitHub\x1b[0m " + "x" * 400)

    writer.record_repository_failure(repository, error, NOW)
    placeholder = writer.record_repository_failure("gone/away", error, NOW)

    repository.refresh_from_db()
    assert (repository.stars, repository.etag, repository.sync_error_kind) == (17_600, 'W/"1"', "not_found")
    assert len(repository.sync_error) == 300 and "\x1b" not in repository.sync_error
    assert (placeholder.full_name, placeholder.github_id, placeholder.sync_error_kind) == (
        "gone/away",
        None,
        "not_found",
    )


@pytest.mark.django_db
def test_a_row_holding_only_a_name_becomes_the_repositorys_row():
    placeholder = writer.record_repository_failure(SEED_REPO, SyncError(SyncErrorKind.TIMEOUT, "timed out"), NOW)

    repository, _ = writer.write_repository(read_repo(seed_repo()), etag="", now=NOW)

    assert repository.pk == placeholder.pk and repository.github_id is not None and repository.sync_error == ""


@pytest.mark.django_db
def test_a_name_given_to_a_new_repository_is_taken_from_the_old_row():
    old, _ = writer.write_repository(read_repo(seed_repo()), etag="", now=NOW)  # since renamed away, unsynced

    new, _ = writer.write_repository(read_repo(seed_repo(id=old.github_id + 1)), etag="", now=NOW)

    old.refresh_from_db()
    assert new.pk != old.pk and new.full_name == SEED_REPO
    assert old.full_name == f"{SEED_REPO}@{old.github_id}"


# --- Writing pull requests --------------------------------------------------------------------------------------------


@pytest.fixture
def contribution(db):
    return make_contribution(SEED_URL, writeup="The **owner's** write-up.")


@pytest.mark.django_db
def test_a_pull_request_is_written_then_unchanged(contribution):
    repository, _ = writer.write_repository(read_repo(seed_repo()), etag="", now=NOW)
    data = read_pull(seed_pull())

    changed = writer.write_pull(contribution, data, repository=repository, etag='W/"p"', now=NOW)
    again = writer.write_pull(contribution, data, repository=repository, etag='W/"p"', now=NOW)

    pull = PullRequest.objects.get(contribution=contribution)
    assert {"title", "state", "additions", "labels", "repository_id"} <= set(changed) and again == []
    assert (pull.state, pull.additions, pull.labels, pull.repository) == ("merged", 187, ["enhancement"], repository)
    assert (pull.etag, pull.synced_at, pull.sync_warnings) == ('W/"p"', NOW, [])


@pytest.mark.django_db
def test_an_unreadable_pull_request_field_keeps_the_stored_value(contribution):
    writer.write_pull(contribution, read_pull(seed_pull()), repository=None, etag="", now=NOW)

    changed = writer.write_pull(
        contribution, read_pull(seed_pull(additions=-3, title=None)), repository=None, etag="", now=NOW
    )

    pull = PullRequest.objects.get(contribution=contribution)
    assert (pull.additions, pull.title) == (187, "[`feat`] Support multiple negatives in GISTEmbedLoss")
    assert changed == ["sync_warnings"] and len(pull.sync_warnings) == 2


@pytest.mark.django_db
def test_a_moved_pull_request_updates_the_address_but_not_the_writeup(contribution):
    Contribution.objects.filter(pk=contribution.pk).update(writeup_html="<p>as rendered then</p>")
    updated_at = Contribution.objects.get(pk=contribution.pk).updated_at
    new = "huggingface/sentence-transformers"
    raw = seed_pull(html_url=f"https://github.com/{new}/pull/2946", base={"repo": {"full_name": new, "id": 1}})

    changed = writer.write_pull(contribution, read_pull(raw), repository=None, etag="", now=NOW)

    assert "pr_url" in changed
    stored = Contribution.objects.get(pk=contribution.pk)
    assert (stored.pr_url, stored.repository, stored.number) == (f"https://github.com/{new}/pull/2946", new, 2946)
    assert (stored.writeup_html, stored.updated_at) == ("<p>as rendered then</p>", updated_at)
    assert contribution.pr_url == stored.pr_url


@pytest.mark.django_db
def test_a_moved_address_another_contribution_has_is_a_warning(contribution):
    new = "huggingface/sentence-transformers"
    make_contribution(f"https://github.com/{new}/pull/2946")
    raw = seed_pull(html_url=f"https://github.com/{new}/pull/2946", base={"repo": {"full_name": new, "id": 1}})

    changed = writer.write_pull(contribution, read_pull(raw), repository=None, etag="", now=NOW)

    assert "pr_url" not in changed
    assert Contribution.objects.get(pk=contribution.pk).pr_url == SEED_URL
    warnings = PullRequest.objects.get(contribution=contribution).sync_warnings
    assert warnings == [
        f"address: GitHub now names it https://github.com/{new}/pull/2946, which another contribution has; "
        "kept the old one"
    ]


@pytest.mark.django_db
def test_a_dry_run_says_what_would_change_and_writes_nothing(contribution):
    changed = writer.pull_changes(contribution, read_pull(seed_pull()), repository=None)

    assert {"title", "state", "additions"} <= set(changed)
    assert not PullRequest.objects.exists()


@pytest.mark.django_db
def test_a_failure_keeps_the_pull_requests_data(contribution):
    writer.write_pull(contribution, read_pull(seed_pull()), repository=None, etag='W/"p"', now=NOW)

    writer.record_pull_failure(contribution, SyncError(SyncErrorKind.NOT_FOUND, "not found on GitHub"), NOW)

    pull = PullRequest.objects.get(contribution=contribution)
    assert (pull.additions, pull.etag, pull.synced_at) == (187, 'W/"p"', NOW)
    assert (pull.sync_error, pull.sync_error_kind, pull.needs_attention) == ("not found on GitHub", "not_found", True)
    later = NOW + timedelta(hours=1)
    writer.touch_pull(contribution, now=later)
    pull.refresh_from_db()
    assert (pull.sync_error, pull.sync_error_kind, pull.synced_at) == ("", "", later)


@pytest.mark.django_db
def test_a_never_synced_pull_request_gets_a_row_holding_the_error(contribution):
    writer.record_pull_failure(contribution, SyncError(SyncErrorKind.TIMEOUT, "GitHub did not answer in time"), NOW)

    pull = PullRequest.objects.get(contribution=contribution)
    assert (pull.state, pull.title, pull.synced_at) == ("", "", None)
    assert (pull.sync_error, pull.sync_error_kind) == ("GitHub did not answer in time", "timeout")


# --- Drafts -----------------------------------------------------------------------------------------------------------


def discovered(repository: str, number: int, title: str = "A pull request") -> DiscoveredPull:
    return DiscoveredPull(f"https://github.com/{repository}/pull/{number}", repository, number, title)


@pytest.mark.django_db
def test_a_draft_joins_the_group_of_its_repositorys_contributions(contribution):
    make_contribution(f"https://github.com/{SEED_REPO}/pull/1", group=contribution.group, sort_order=4)

    draft = writer.create_draft(discovered(SEED_REPO.lower(), 3299, "Margin-based filtering"), now=NOW)

    assert draft.group == contribution.group and draft.sort_order == 5
    assert (draft.title, draft.writeup, draft.is_published) == ("Margin-based filtering", "", False)
    assert draft.pr_url == f"https://github.com/{SEED_REPO.lower()}/pull/3299"


@pytest.mark.django_db
def test_a_draft_to_a_new_repository_gets_a_group_named_after_it_last():
    make_group("First", sort_order=3)
    make_group("Second", sort_order=8)

    draft = writer.create_draft(discovered("org/lib", 7), now=NOW)
    second = writer.create_draft(discovered("org/lib", 8), now=NOW)

    assert (draft.group.title, draft.group.sort_order) == ("org/lib", 9)
    assert second.group == draft.group and ContributionGroup.objects.count() == 3


@pytest.mark.django_db
def test_no_draft_for_a_pull_request_that_has_a_contribution(contribution):
    assert writer.create_draft(discovered(SEED_REPO.upper(), 2946), now=NOW) is None
    assert Contribution.objects.count() == 1
