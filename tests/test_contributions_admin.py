"""The contributions in the admin: what sync_github stored, shown read-only beside the owner's write-up, and flagged."""

import datetime as dt
import html
import re
from itertools import count
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contributions.models import Contribution, GitHubRepository, PullRequest, RepositoryStars
from tests.builders import make_contribution, make_group
from tests.test_i18n import foreign_strings, read_po, visible_text

pytestmark = pytest.mark.django_db

SYNCED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
_serial = count(1)


def make_repository(full_name="UKPLab/sentence-transformers", **fields) -> GitHubRepository:
    fields = {"stars": 16_800, "language": "Python", "synced_at": SYNCED, **fields}
    return GitHubRepository.objects.create(full_name=full_name, **fields)


def make_pull_request(contribution=None, *, repository=None, **fields) -> PullRequest:
    """A pull request as sync_github stores a merged one; `fields` say what differs."""
    contribution = contribution or make_contribution()
    fields = {
        "title": "Add GISTEmbedLoss margin strategies",
        "state": PullRequest.State.MERGED,
        "opened_at": dt.datetime(2024, 9, 1, tzinfo=dt.UTC),
        "merged_at": dt.datetime(2024, 9, 10, tzinfo=dt.UTC),
        "closed_at": dt.datetime(2024, 9, 10, tzinfo=dt.UTC),
        "additions": 187,
        "deletions": 24,
        "changed_files": 3,
        "commits": 5,
        "comments": 4,
        "review_comments": 2,
        "labels": ["enhancement", "losses"],
        "author_login": "dragonkue",
        "synced_at": SYNCED,
        **fields,
    }
    repository = repository or make_repository(f"example/project-{next(_serial)}")
    return PullRequest.objects.create(contribution=contribution, repository=repository, **fields)


def change_page(client, contribution) -> str:
    response = client.get(reverse("admin:contributions_contribution_change", args=[contribution.pk]))
    assert response.status_code == 200
    return response.content.decode()


def changelist(client, query="") -> str:
    response = client.get(reverse("admin:contributions_contribution_changelist") + query)
    assert response.status_code == 200
    return response.content.decode()


def github_cell(page: str, contribution) -> str:
    """The list's "GitHub" cell in the row of `contribution`."""
    row = re.search(rf'<tr><td class="action-checkbox"><input [^>]*value="{contribution.pk}".*?</tr>', page, re.S)
    cell = re.search(r'<td class="field-github_column">(.*?)</td>', row[0], re.S)
    return cell[1]


def section(page: str) -> str:
    """The change form's "On GitHub" fieldset."""
    start = page.index("On GitHub (filled by sync_github; not editable)")
    return page[start : page.index("</fieldset>", start)]


# ---- the list: a pill for the state, ⚠ with its reasons ----


@pytest.mark.parametrize(
    ("fields", "repository_fields", "pill", "reasons"),
    [
        ({}, {}, '<span class="gh-state gh-state--merged">Merged</span>', []),
        ({"state": "open", "merged_at": None, "closed_at": None}, {}, 'gh-state--open">Open<', []),
        ({"state": "draft", "merged_at": None, "closed_at": None}, {}, 'gh-state--draft">Draft<', []),
        (
            {"state": "closed", "merged_at": None},
            {},
            'gh-state--closed">Closed<',
            ["Closed without being merged"],
        ),
        ({}, {"archived": True}, "gh-state--merged", ["The repository is archived"]),
        (
            {"sync_error": "HTTP 502 from GitHub", "sync_error_kind": "server_error"},
            {},
            "gh-state--merged",
            ["Sync error: Server error: HTTP 502 from GitHub"],
        ),
        (
            {"state": "closed", "merged_at": None},
            {"archived": True, "sync_error": "HTTP 404", "sync_error_kind": "not_found"},
            "gh-state--closed",
            [
                "Closed without being merged",
                "The repository is archived",
                "Repository sync error: Not found (deleted, or private: set the token): HTTP 404",
            ],
        ),
    ],
    ids=["merged", "open", "draft", "closed", "archived", "sync-error", "all-at-once"],
)
def test_the_list_shows_each_state_as_a_pill_and_flags_what_needs_attention(
    staff_client, fields, repository_fields, pill, reasons
):
    pr = make_pull_request(repository=make_repository(**repository_fields), **fields)
    cell = github_cell(changelist(staff_client), pr.contribution)
    assert pill in cell
    if reasons:
        flag = re.search(r'<span class="sync-state sync-state--failed" title="([^"]*)">', cell)
        assert html.unescape(flag[1]).split("\n") == reasons  # on hover, one reason a line
        assert "⚠" in cell
        assert html.unescape(re.search(r'class="visually-hidden">([^<]*)<', cell)[1]).split("\n") == reasons
    else:
        assert "⚠" not in cell


def test_the_list_marks_a_contribution_never_synced(staff_client):
    contribution = make_contribution()
    cell = github_cell(changelist(staff_client), contribution)
    assert 'class="sync-state sync-state--never" title="Not synced yet"' in cell
    assert "gh-state" not in cell


def test_the_list_keeps_its_other_columns_and_editable_order(staff_client):
    contribution = make_contribution(title="GISTEmbedLoss 1차 개선")
    make_pull_request(contribution)
    page = changelist(staff_client)
    assert "GISTEmbedLoss 1차 개선" in page
    assert 'name="form-0-sort_order"' in page and 'name="form-0-is_published"' in page
    assert f'href="{contribution.pr_url}" target="_blank" rel="noopener noreferrer">example/project #' in page


# ---- the filters ----


@pytest.fixture
def one_of_each():
    merged = make_pull_request()
    closed = make_pull_request(state="closed", merged_at=None)
    draft = make_pull_request(state="draft", merged_at=None, closed_at=None)
    archived = make_pull_request(repository=make_repository("old/archived", archived=True))
    failed = make_pull_request(
        state="open", merged_at=None, closed_at=None, sync_error="HTTP 404", sync_error_kind="not_found"
    )
    repository_failed = make_pull_request(
        repository=make_repository("gone/repo", sync_error="HTTP 404", sync_error_kind="not_found")
    )
    never = make_contribution()
    return {
        "merged": merged.contribution, "closed": closed.contribution, "draft": draft.contribution,
        "archived": archived.contribution, "failed": failed.contribution,
        "repository_failed": repository_failed.contribution, "never": never,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?attention=any", ["closed", "archived", "failed", "repository_failed"]),
        ("?attention=closed", ["closed"]),
        ("?attention=archived", ["archived"]),
        ("?attention=error", ["failed", "repository_failed"]),
        ("?attention=never", ["never"]),
        ("?state=merged", ["merged", "archived", "repository_failed"]),
        ("?state=open", ["failed"]),
        ("?state=draft", ["draft"]),
        ("?state=closed", ["closed"]),
        ("?state=never", ["never"]),
        ("", ["merged", "closed", "draft", "archived", "failed", "repository_failed", "never"]),
    ],
)
def test_the_filters_find_what_needs_attention_and_each_state(staff_client, one_of_each, query, expected):
    response = staff_client.get(reverse("admin:contributions_contribution_changelist") + query)
    assert response.status_code == 200
    shown = {contribution.pk for contribution in response.context["cl"].result_list}
    assert shown == {one_of_each[name].pk for name in expected}


def test_the_filters_are_offered(staff_client):
    page = changelist(staff_client)
    for choice in ("Flagged (any reason)", "Closed unmerged", "Archived repository", "Sync error", "Not synced yet"):
        assert f">{choice}</a>" in page
    assert 'href="?state=merged"' in page and 'href="?attention=archived"' in page


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:contributions_contribution_changelist")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_queries_do_not_grow_with_the_contributions(staff_client, django_assert_num_queries, rows):
    group = make_group()
    for number in range(rows):
        repository = make_repository(f"owner/repo-{number}", archived=number % 2 == 0)
        make_pull_request(make_contribution(group=group), repository=repository, state=["merged", "closed"][number % 2])
    make_contribution(group=group)  # one never synced
    # Session and user 3, the page count and full count 2, the rows with their group, pull request and
    # repository in one query 1, the filters' choices (group, repository) 2, the profile check 1, the latest
    # GitHub sync run for the status line 1.
    with django_assert_num_queries(10):
        assert staff_client.get(reverse("admin:contributions_contribution_changelist")).status_code == 200


def test_the_list_costs_the_same_for_one_and_twenty_contributions(staff_client):
    group = make_group()
    make_pull_request(make_contribution(group=group))
    one = _changelist_queries(staff_client)
    for number in range(19):
        make_pull_request(make_contribution(group=group), repository=make_repository(f"owner/repo-{number}"))
    assert _changelist_queries(staff_client) == one


# ---- the change form: the synced fields beside the write-up, read-only ----


def test_the_change_form_shows_everything_github_said(staff_client):
    repository = make_repository(description="Embeddings, retrieval and reranking.")
    pr = make_pull_request(repository=repository, sync_warnings=["a label was not text: 7"])
    page = change_page(staff_client, pr.contribution)
    github = section(page)
    # Beside the write-up: after the owner's fields, before publishing.
    assert page.index('name="writeup"') < page.index("On GitHub (filled by sync_github") < page.index("Publishing")
    assert re.search(r'<div class="readonly"><span class="gh-state gh-state--merged">Merged</span>\s*</div>', github)
    assert f'href="{pr.contribution.pr_url}" target="_blank" rel="noopener noreferrer">Add GISTEmbedLoss' in github
    assert "Opened Sept. 1, 2024 · Merged Sept. 10, 2024" in github
    assert "Closed" not in github  # a merged pull request is closed too: its merge says it
    changes = visible_text(re.search(r'<div class="readonly">(<span class="gh-added">.*?)</div>', github)[1])
    assert " ".join(changes.split()) == "+187 lines added −24 lines deleted · 3 files"
    assert ">5</div>" in github
    assert "4 comments · 2 review comments" in github
    assert '<span class="gh-label">enhancement</span> <span class="gh-label">losses</span>' in github
    assert 'href="https://github.com/dragonkue" target="_blank" rel="noopener noreferrer">@dragonkue</a>' in github
    repository_change = reverse("admin:contributions_githubrepository_change", args=[repository.pk])
    assert f'<a href="{repository_change}">UKPLab/sentence-transformers</a>' in github
    assert "16.8k" in github and "Python" in github and "Embeddings, retrieval and reranking." in github
    assert 'href="https://github.com/UKPLab/sentence-transformers" target="_blank"' in github
    assert "gh-state--archived" not in github
    assert "March 1, 2025, 6:30 p.m." not in github  # short format, Seoul time
    assert "03/01/2025 6:30 p.m." in github
    assert "<li>a label was not text: 7</li>" in github
    assert "gh-attention" not in github and "gh-errors" not in github


def test_a_closed_pull_request_in_an_archived_repository_says_why_it_is_flagged(staff_client):
    pr = make_pull_request(
        state="closed", merged_at=None, repository=make_repository(archived=True), labels=[], author_login=""
    )
    github = section(change_page(staff_client, pr.contribution))
    assert '<span class="gh-state gh-state--closed">Closed</span>' in github
    assert (
        '<ul class="gh-attention"><li>Closed without being merged</li><li>The repository is archived</li></ul>'
        in github
    )
    assert "Closed Sept. 10, 2024" in github
    assert '<span class="gh-state gh-state--archived">archived</span>' in github


def test_a_deleted_pull_request_keeps_its_last_data_and_shows_the_error(staff_client):
    pr = make_pull_request(sync_error="GitHub answered 404 Not Found", sync_error_kind="not_found")
    github = section(change_page(staff_client, pr.contribution))
    assert (
        '<ul class="gh-errors"><li>Not found (deleted, or private: set the token): GitHub answered 404 Not Found'
        "</li></ul>" in github
    )
    # What the last good sync stored is still there.
    assert "Add GISTEmbedLoss margin strategies" in github and "gh-state--merged" in github and "+187" in github
    assert "03/01/2025 6:30 p.m." in github
    cell = github_cell(changelist(staff_client), pr.contribution)
    assert "⚠" in cell and "GitHub answered 404 Not Found" in cell


def test_a_deleted_repository_shows_its_error_beside_the_pull_request(staff_client):
    repository = make_repository(sync_error="GitHub answered 404 Not Found", sync_error_kind="not_found")
    pr = make_pull_request(repository=repository)
    github = section(change_page(staff_client, pr.contribution))
    assert (
        "<li>Repository: Not found (deleted, or private: set the token): GitHub answered 404 Not Found</li>" in github
    )
    assert "UKPLab/sentence-transformers" in github and "16.8k" in github


def test_a_pull_request_whose_first_sync_failed_shows_the_error_not_never_synced(staff_client):
    contribution = make_contribution()
    PullRequest.objects.create(contribution=contribution, sync_error="HTTP 404", sync_error_kind="not_found")
    github = section(change_page(staff_client, contribution))
    assert "Not synced yet" not in github
    assert "<li>Not found (deleted, or private: set the token): HTTP 404</li>" in github
    assert "⚠" in github_cell(changelist(staff_client), contribution)
    for query, shown in [("?attention=error", True), ("?attention=never", False), ("?state=never", False)]:
        response = staff_client.get(reverse("admin:contributions_contribution_changelist") + query)
        assert (contribution in response.context["cl"].result_list) is shown, query


def test_a_contribution_never_synced_says_so(staff_client):
    contribution = make_contribution()
    github = section(change_page(staff_client, contribution))
    assert "Not synced yet: the next sync_github run fills this in." in github
    assert "Title on GitHub" not in github and "Sync warnings" not in github


def test_a_new_contribution_has_no_github_section(staff_client):
    page = staff_client.get(reverse("admin:contributions_contribution_add")).content.decode()
    assert "On GitHub" not in page
    assert 'name="writeup"' in page


def test_saving_the_write_up_never_changes_what_github_said(staff_client):
    pr = make_pull_request()
    contribution = pr.contribution
    before = PullRequest.objects.filter(pk=pr.pk).values().get()
    response = staff_client.post(
        reverse("admin:contributions_contribution_change", args=[contribution.pk]),
        {
            "group": contribution.group.pk, "pr_url": contribution.pr_url, "title": "A new heading",
            "writeup": "Now with **numbers**.", "notice_style": "info", "sort_order": "3", "is_published": "on",
            # What a hand-made request could add: none of it is a field of the form.
            "state": "closed", "additions": "1", "github_title": "Hijacked", "sync_error": "", "labels": '["spam"]',
            "pull_request-state": "closed", "pull_request__title": "Hijacked", "synced_at": "2000-01-01 00:00",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    contribution.refresh_from_db()
    assert (contribution.title, contribution.notice_style, contribution.sort_order) == ("A new heading", "info", 3)
    assert PullRequest.objects.filter(pk=pr.pk).values().get() == before
    assert GitHubRepository.objects.get().stars == 16_800


def test_the_form_has_no_input_for_a_synced_field(staff_client):
    page = change_page(staff_client, make_pull_request().contribution)
    start = page.index('id="contribution_form"')
    form = page[start : page.index("</form>", start)]
    inputs = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', form))
    assert inputs <= {"csrfmiddlewaretoken", "group", "pr_url", "title", "writeup", "notice_style", "is_published",
                      "sort_order", "_save", "_continue", "_addanother"}  # fmt: skip


def test_text_from_github_is_escaped(staff_client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    repository = make_repository(
        full_name="evil/<b>repo</b>", description=hostile, language="<i>Py</i>", sync_error=hostile, sync_error_kind=""
    )
    pr = make_pull_request(
        repository=repository,
        title=hostile,
        labels=[hostile, 7, None],
        author_login='"><b>x',
        sync_error=hostile,
        sync_warnings=[hostile],
        state="closed",
        merged_at=None,
    )
    for page in (change_page(staff_client, pr.contribution), changelist(staff_client)):
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>repo</b>" not in page
        assert "<i>Py</i>" not in page and '"><b>x' not in page
    page = change_page(staff_client, pr.contribution)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="https://github.com/&quot;&gt;&lt;b&gt;x"' in page
    assert '<span class="gh-label">7</span> <span class="gh-label">None</span>' in page
    repository_page = staff_client.get(reverse("admin:contributions_githubrepository_change", args=[repository.pk]))
    assert "<script>alert" not in repository_page.content.decode()


# ---- the repositories: read-only, with their star history ----


def test_the_repository_list_shows_the_synced_numbers(staff_client, django_assert_num_queries):
    make_pull_request(repository=make_repository())
    make_repository("old/archived", archived=True, stars=999, synced_at=None)
    make_repository("gone/repo", sync_error="HTTP 404", sync_error_kind="not_found")
    # As the contribution list, with the pull requests counted in the rows' query.
    with django_assert_num_queries(8):
        response = staff_client.get(reverse("admin:contributions_githubrepository_changelist"))
    page = response.content.decode()
    assert "16.8k" in page and "999" in page
    assert page.count('<span class="gh-state gh-state--archived">archived</span>') == 1
    assert 'title="Not found (deleted, or private: set the token): HTTP 404"' in page
    assert 'class="sync-state sync-state--never" title="Never synced"' in page
    assert 'class="sync-state sync-state--ok" title="Synced 03/01/2025 6:30 p.m."' in page
    assert reverse("admin:contributions_githubrepository_add") not in page  # repositories come from the sync


def test_a_repository_page_is_read_only_with_its_star_history(staff_client):
    repository = make_repository()
    pr = make_pull_request(repository=repository)
    for day, stars in [(1, 16_700), (2, 16_760), (3, 16_750), (4, 16_800)]:
        RepositoryStars.objects.create(repository=repository, date=dt.date(2025, 3, day), stars=stars)
    url = reverse("admin:contributions_githubrepository_change", args=[repository.pk])
    page = staff_client.get(url).content.decode()
    assert 'href="https://github.com/UKPLab/sentence-transformers" target="_blank"' in page
    start = page.index('id="githubrepository_form"')
    form = page[start : page.index("</form>", start)]
    assert not re.search(r'<(?:input|select|textarea)[^>]* name="(?!csrfmiddlewaretoken)', form)
    history = page[page.index('class="gh-star-history"') :]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", history)
    assert rows == [
        ("March 4, 2025", "16800", "+50"),
        ("March 3, 2025", "16750", "−10"),
        ("March 2, 2025", "16760", "+60"),
        ("March 1, 2025", "16700", "–"),
    ]
    contribution_url = reverse("admin:contributions_contribution_change", args=[pr.pk])
    assert f'<a href="{contribution_url}">{pr.contribution.title}</a>' in page
    # A change posted anyway is refused.
    assert staff_client.post(url, {"stars": "1"}).status_code == 403
    assert GitHubRepository.objects.get().stars == 16_800
    assert staff_client.get(reverse("admin:contributions_githubrepository_add")).status_code == 403


def test_deleting_a_repository_keeps_its_pull_requests(staff_client):
    pr = make_pull_request()
    url = reverse("admin:contributions_githubrepository_delete", args=[pr.repository.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    pr.refresh_from_db()
    assert pr.repository is None and pr.title
    assert "gh-state--merged" in section(change_page(staff_client, pr.contribution))


# ---- both languages ----


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_pages_render_in_both_admin_languages(staff_client, language):
    catalogue = read_po(Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po")
    repository = make_repository(archived=True, sync_error="HTTP 404", sync_error_kind="not_found")
    RepositoryStars.objects.create(repository=repository, date=dt.date(2025, 3, 1), stars=16_700)
    synced = make_pull_request(repository=repository, state="closed", merged_at=None, sync_warnings=["x: 7"])
    never = make_contribution()
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = [
        reverse("admin:contributions_contribution_changelist"),
        reverse("admin:contributions_contribution_changelist") + "?attention=any",
        reverse("admin:contributions_contribution_change", args=[synced.pk]),
        reverse("admin:contributions_contribution_change", args=[never.pk]),
        reverse("admin:contributions_githubrepository_changelist"),
        reverse("admin:contributions_githubrepository_change", args=[repository.pk]),
    ]
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == language
        assert foreign_strings(visible_text(response.content.decode()), catalogue, language) == [], url
    assert Contribution.objects.count() == 2
