"""Papers and the Hub: sync_hub's papers step and the admin's fetch on save, against the strict fake Hub (real HTTP)."""

from io import StringIO

import huggingface_hub
import pytest
from django.core.management import call_command
from django.urls import reverse
from huggingface_hub import HfApi, constants

from models_showcase.hub import sync_cards
from models_showcase.models import ModelCard
from models_showcase.papers.forms import arxiv_id_from_input
from models_showcase.papers.models import Paper
from models_showcase.papers.sync import NO_PAGE_YET, cited_ids
from portfolio.syncing.budget import MAX_ATTEMPTS
from tests.builders import make_card, make_profile
from tests.fakehub import (
    FakeHub,
    hub_paper,
    malformed_json,
    rate_limited,
    seed_models,
    seed_papers,
    server_error,
    slow,
)
from tests.test_sync import FakeTime, sync

pytestmark = pytest.mark.django_db

BGE, SNOWFLAKE, RERANKER = (
    "dragonkue/BGE-m3-ko",
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko",
    "dragonkue/bge-reranker-v2-m3-ko",
)
SBERT, BGE_M3, E5 = "1908.10084", "2402.03216", "2212.03533"
# What BGE-m3-ko and snowflake-arctic-embed-l-v2.0-ko cite through their arxiv: tags in the seed.
CITED = ["1908.10084", "2101.06983", "2212.03533", "2402.03216", "2402.16829", "2412.04506"]


@pytest.fixture
def hub():
    with FakeHub(seed_models(), papers=seed_papers(), tokens={"hf_valid"}) as fake:
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def cards():
    return [make_card(repo) for repo in (BGE, SNOWFLAKE, RERANKER)]


def paper_results(report) -> dict:
    return {result.key: result for result in report.results if result.key.startswith("arxiv:")}


def paper_requests(hub) -> list[str]:
    return [request.path for request in hub.requests if request.path.startswith("/api/papers/")]


# ---- citations ----


def test_arxiv_tags_are_read_in_any_case_once_each():
    tags = ["arxiv:1908.10084", "ArXiv:1908.10084v2", "arXiv:cs/0112017", "arxiv:nonsense", "license:mit", 7]
    assert cited_ids(tags) == ["1908.10084", "cs/0112017"]
    assert cited_ids("arxiv:1908.10084") == []


# ---- syncing stored papers ----


def test_each_stored_paper_is_synced_with_one_request(hub, api, cards):
    for arxiv_id in (SBERT, BGE_M3):
        Paper.objects.create(arxiv_id=arxiv_id, venue="Venue", is_published=True)
    hub.reset_requests()

    report = sync(api)

    assert report.exit_code == 0, report.as_dict()
    assert sorted(paper_requests(hub)) == [f"/api/papers/{SBERT}", f"/api/papers/{BGE_M3}"]
    assert all(request.query == {} for request in hub.requests if request.path.startswith("/api/papers/"))
    assert hub.count() == 3 and report.requests == 3  # the listing, and one per paper
    results = paper_results(report)
    assert {key: result.status for key, result in results.items()} == {
        f"arxiv:{SBERT}": "updated",
        f"arxiv:{BGE_M3}": "updated",
    }
    assert "title" in results[f"arxiv:{SBERT}"].changed and "cited_by" in results[f"arxiv:{SBERT}"].changed
    paper = Paper.objects.get(arxiv_id=SBERT)
    assert paper.title == "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks"
    assert paper.authors == [{"name": "Nils Reimers", "user": ""}, {"name": "Iryna Gurevych", "user": ""}]
    assert (paper.published_on.isoformat(), paper.upvotes) == ("2019-08-27", 9)
    assert paper.github_url == "https://github.com/UKPLab/sentence-transformers"
    assert paper.venue == "Venue" and paper.synced_at is not None  # the owner's fields untouched
    # The cards' tags, as this run's listing brought them, say who cites what.
    assert set(paper.cited_by.values_list("repo_id", flat=True)) == {BGE, SNOWFLAKE}
    assert list(Paper.objects.get(arxiv_id=BGE_M3).cited_by.values_list("repo_id", flat=True)) == [BGE]


def test_a_second_sync_changes_nothing(hub, api, cards):
    Paper.objects.create(arxiv_id=SBERT)
    sync(api)
    before = list(Paper.objects.values_list("title", "upvotes", "authors"))
    hub.reset_requests()

    report = sync(api)

    assert paper_results(report)[f"arxiv:{SBERT}"].status == "unchanged"
    assert paper_requests(hub) == [f"/api/papers/{SBERT}"]
    assert list(Paper.objects.values_list("title", "upvotes", "authors")) == before


def test_citations_follow_the_cards_tags(hub, api, cards):
    paper = Paper.objects.create(arxiv_id=SBERT)
    sync(api)
    hub.update(BGE, tags=["sentence-transformers"])  # BGE-m3-ko no longer cites it

    report = sync(api)

    assert "cited_by" in paper_results(report)[f"arxiv:{SBERT}"].changed
    assert list(paper.cited_by.values_list("repo_id", flat=True)) == [SNOWFLAKE]


def test_a_failing_paper_keeps_its_data_and_the_others_sync(hub, api, cards):
    for arxiv_id in (SBERT, BGE_M3):
        Paper.objects.create(arxiv_id=arxiv_id)
    sync(api)
    hub.script(f"paper:{SBERT}", *[server_error()] * MAX_ATTEMPTS)
    hub.update(BGE_M3, kind="papers", upvotes=60)
    fake_time = FakeTime()

    report = sync(api, fake_time)

    assert report.exit_code == 1
    failed = paper_results(report)[f"arxiv:{SBERT}"]
    assert (failed.status, failed.error_kind) == ("failed", "server_error")
    assert len(fake_time.sleeps) == MAX_ATTEMPTS - 1  # retried with backoff, never really waiting
    paper = Paper.objects.get(arxiv_id=SBERT)
    assert paper.title.startswith("Sentence-BERT") and paper.upvotes == 9  # kept
    assert paper.sync_error_kind == "server_error" and paper.sync_failed_at is not None
    assert Paper.objects.get(arxiv_id=BGE_M3).upvotes == 60

    assert sync(api).exit_code == 0  # the Hub is back: the error is cleared
    assert Paper.objects.get(arxiv_id=SBERT).sync_error_kind == ""


def test_a_paper_the_hub_has_no_page_for_is_a_clear_error(hub, api, cards):
    Paper.objects.create(arxiv_id="2501.00001")  # a real-looking id the Hub never indexed
    Paper.objects.create(arxiv_id=SBERT)

    report = sync(api)

    missing = paper_results(report)["arxiv:2501.00001"]
    assert (missing.status, missing.error_kind, missing.error) == ("failed", "not_found", NO_PAGE_YET)
    assert paper_results(report)[f"arxiv:{SBERT}"].status == "updated"
    assert report.exit_code == 1 and not report.fatal
    assert Paper.objects.get(arxiv_id="2501.00001").sync_error == NO_PAGE_YET


def test_a_rate_limited_paper_waits_and_syncs(hub, api, cards):
    Paper.objects.create(arxiv_id=SBERT)
    hub.script(f"paper:{SBERT}", rate_limited(retry_after=3))
    fake_time = FakeTime()

    report = sync(api, fake_time)

    assert paper_results(report)[f"arxiv:{SBERT}"].status == "updated"
    assert 4.0 in fake_time.sleeps  # the reset, plus a second


def test_an_unreadable_answer_fails_only_that_paper(hub, api, cards):
    Paper.objects.create(arxiv_id=SBERT)
    hub.script(f"paper:{SBERT}", malformed_json())

    report = sync(api)

    assert paper_results(report)[f"arxiv:{SBERT}"].error_kind == "invalid_response"
    assert report.count("updated") == 3  # the cards


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def test_hostile_values_are_stored_as_text_or_left_out(hub, api, cards):
    hub.add(
        hub_paper("2099.00001", title=HOSTILE, upvotes=-5, githubRepo="javascript:alert(1)", authors="everyone"),
        kind="papers",
    )
    Paper.objects.create(arxiv_id="2099.00001")

    report = sync(api)

    result = paper_results(report)["arxiv:2099.00001"]
    assert result.status == "updated" and len(result.warnings) == 3
    paper = Paper.objects.get(arxiv_id="2099.00001")
    assert (paper.title, paper.upvotes, paper.github_url, paper.authors) == (HOSTILE, None, "", [])


# ---- which papers a run syncs ----


def test_only_a_named_paper_is_synced(hub, api, cards):
    for arxiv_id in (SBERT, BGE_M3):
        Paper.objects.create(arxiv_id=arxiv_id)
    hub.reset_requests()

    report = sync(api, only=[f"arXiv:{SBERT}v2"])

    assert [request.path for request in hub.requests] == [f"/api/papers/{SBERT}"]  # no card, no listing
    assert [result.key for result in report.results] == [f"arxiv:{SBERT}"]


def test_a_run_over_some_cards_asks_for_no_paper(hub, api, cards):
    Paper.objects.create(arxiv_id=SBERT)
    hub.reset_requests()

    sync(api, only=[BGE])
    sync(api, queryset=ModelCard.objects.filter(repo_id=BGE))

    assert paper_requests(hub) == []
    assert list(Paper.objects.get().cited_by.values_list("repo_id", flat=True)) == [BGE]  # citations cost nothing


# ---- discovery ----


def test_discover_drafts_the_cited_papers_and_syncs_them(hub, api, cards):
    make_profile(hub_username="dragonkue")
    Paper.objects.create(arxiv_id=SBERT, is_published=True)

    report = sync(api, discover=True)

    assert report.exit_code == 0, report.as_dict()
    results = paper_results(report)
    assert sorted(results) == [f"arxiv:{arxiv_id}" for arxiv_id in CITED]
    assert results[f"arxiv:{SBERT}"].status == "updated"
    drafts = [key for key, result in results.items() if result.status == "created"]
    assert len(drafts) == 5 and all("created as a draft" in results[key].changed for key in drafts)
    assert sorted(Paper.objects.filter(is_published=False).values_list("arxiv_id", flat=True)) == CITED[1:]
    assert not Paper.objects.filter(title="").exists()  # synced in the same run
    assert len(paper_requests(hub)) == 6
    # The two models the seed page does not show are drafted too; they cite Sentence-BERT.
    assert Paper.objects.get(arxiv_id=SBERT).cited_by.count() == 4

    again = sync(api, discover=True)
    assert again.count("created") == 0


def test_discover_in_a_dry_run_asks_but_creates_nothing(hub, api, cards):
    """As for cards: a dry run asks the Hub what it would write (a paper without a page is no draft), writes nothing."""
    make_profile(hub_username="dragonkue")
    sync(api)  # the cards' tags
    hub.reset_requests()

    report = sync(api, discover=True, dry_run=True)

    assert {result.key for result in report.results if result.status == "created"} >= {f"arxiv:{i}" for i in CITED}
    assert not Paper.objects.exists()
    assert sorted(paper_requests(hub)) == sorted(f"/api/papers/{i}" for i in CITED)


def test_a_cited_paper_without_a_hub_page_is_named_not_drafted(hub, api, cards):
    """A draft that could never sync would fail every run (and come back on the next --discover if deleted)."""
    make_profile(hub_username="dragonkue")
    hub.remove(E5, kind="papers")

    report = sync(api, discover=True)

    assert report.exit_code == 0, report.as_dict()
    assert f"arxiv:{E5}" not in paper_results(report)
    assert f"arxiv:{E5}: cited by a card, not drafted: {NO_PAGE_YET}" in report.warnings
    assert not Paper.objects.filter(arxiv_id=E5).exists()
    assert Paper.objects.filter(is_published=False).count() == len(CITED) - 1


# ---- the command ----


def run_command(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", *args, stdout=out, stderr=err)
    return exit_.value.code, out.getvalue(), err.getvalue()


def test_the_command_syncs_a_paper_named_with_only(hub, cards, monkeypatch):
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    Paper.objects.create(arxiv_id=SBERT)

    code, out, err = run_command("--only", f"arxiv:{SBERT}")

    assert code == 0, err
    assert "synced 1, unchanged 0, failed 0" in out and ", 1 requests" in out

    code, _, err = run_command("--only", "arxiv:2501.99999")
    assert code == 2 and "arxiv:2501.99999" in err


# ---- the admin: adding a paper by id or address ----

ADD = "admin:models_showcase_paper_add"


@pytest.mark.parametrize(
    "typed",
    [
        SBERT,
        f" {SBERT}v3 ",
        f"arXiv:{SBERT}",
        f"https://arxiv.org/abs/{SBERT}",
        f"https://arxiv.org/abs/{SBERT}v2",
        f"http://arxiv.org/pdf/{SBERT}v1.pdf",
        f"arxiv.org/pdf/{SBERT}",
        f"https://export.arxiv.org/abs/{SBERT}?context=cs",
        f"https://huggingface.co/papers/{SBERT}",
        f"https://hf.co/papers/{SBERT}#community",
        f"huggingface.co/papers/{SBERT}/",
    ],
)
def test_an_id_or_address_is_read_as_the_id(typed):
    assert arxiv_id_from_input(typed) == SBERT


@pytest.mark.parametrize(
    "typed", ["", "https://huggingface.co/dragonkue/BGE-m3-ko", "https://arxiv.org/list/cs.CL/recent", "hello"]
)
def test_what_names_no_paper_reads_as_nothing(typed):
    assert arxiv_id_from_input(typed) == ""


def test_old_style_addresses_keep_their_archive():
    assert arxiv_id_from_input("https://arxiv.org/abs/cs/0112017v1") == "cs/0112017"


@pytest.fixture
def hub_endpoint(hub, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.url)
    return hub


def add(client, arxiv_id, **fields):
    data = {"arxiv_id": arxiv_id, "venue": "", "note": "", "code_url": "", **fields}
    return client.post(reverse(ADD), data, follow=True)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_paper_added_by_address_is_filled_from_the_hub(staff_client, hub_endpoint):
    response = add(staff_client, f"https://arxiv.org/abs/{SBERT}v2", venue="EMNLP 2019", is_published="on")

    assert response.status_code == 200 and "adminform" not in response.context
    paper = Paper.objects.get()
    assert (paper.arxiv_id, paper.venue, paper.is_published) == (SBERT, "EMNLP 2019", True)
    assert paper.title.startswith("Sentence-BERT") and paper.synced_at is not None
    assert [request.path for request in hub_endpoint.requests] == [f"/api/papers/{SBERT}"]
    assert "Title, authors, date and abstract filled in from the Hub's paper page." in page_messages(response)


def test_a_paper_the_hub_has_no_page_for_is_saved_with_a_message(staff_client, hub_endpoint):
    response = add(staff_client, "2501.00001")

    paper = Paper.objects.get()
    assert paper.arxiv_id == "2501.00001" and paper.title == "" and paper.sync_error_kind == "not_found"
    assert any("The Hub has no page for arXiv:2501.00001 yet" in text for text in page_messages(response))


def test_with_the_hub_down_the_paper_is_saved_for_the_next_sync(staff_client, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there

    response = add(staff_client, SBERT)

    assert Paper.objects.get().title == ""
    [text] = [text for text in page_messages(response) if "Saved, but" in text]
    assert "no connection to http://127.0.0.1:9" in text and "the next sync fills the paper in" in text


def test_a_slow_hub_costs_the_owner_only_the_fetch_timeout(staff_client, hub_endpoint, settings):
    settings.HUB_FETCH_TIMEOUT = 0.3
    hub_endpoint.script(f"paper:{SBERT}", slow(2))

    response = add(staff_client, SBERT)

    assert Paper.objects.get().title == ""
    assert any("timed out after 0.3 s" in text for text in page_messages(response))


def test_a_paper_the_site_has_is_refused_without_asking_the_hub(staff_client, hub_endpoint):
    Paper.objects.create(arxiv_id=SBERT)

    response = add(staff_client, f"https://huggingface.co/papers/{SBERT}")

    assert "There is already a paper with this arXiv id." in str(response.context["adminform"].form.errors)
    assert hub_endpoint.requests == []


def test_what_is_not_an_arxiv_id_is_refused_without_asking_the_hub(staff_client, hub_endpoint):
    response = add(staff_client, "https://huggingface.co/dragonkue/BGE-m3-ko")

    assert "Enter an arXiv id" in str(response.context["adminform"].form.errors)
    assert not Paper.objects.exists() and hub_endpoint.requests == []


def test_editing_a_paper_keeps_the_hubs_data_and_asks_nothing(staff_client, hub_endpoint):
    add(staff_client, SBERT)
    paper = Paper.objects.get()
    hub_endpoint.reset_requests()

    url = reverse("admin:models_showcase_paper_change", args=[paper.pk])
    staff_client.post(url, {"arxiv_id": SBERT, "venue": "EMNLP", "note": "", "code_url": "example.com/code"})

    paper.refresh_from_db()
    assert (paper.venue, paper.code_url) == ("EMNLP", "https://example.com/code")
    assert paper.title.startswith("Sentence-BERT") and hub_endpoint.requests == []


def test_the_admin_list_and_page_show_the_hubs_data(staff_client, hub_endpoint):
    card = make_card(BGE, tags=[f"arxiv:{SBERT}"])
    add(staff_client, SBERT)
    paper = Paper.objects.get()
    paper.cited_by.set([card])

    listing = staff_client.get(reverse("admin:models_showcase_paper_changelist")).content.decode()
    assert "Sentence-BERT" in listing and SBERT in listing and "2019" in listing
    page = staff_client.get(reverse("admin:models_showcase_paper_change", args=[paper.pk])).content.decode()
    assert "Nils Reimers, Iryna Gurevych" in page
    assert reverse("admin:models_showcase_modelcard_change", args=[card.pk]) in page


# ---- the run's deadline, and the page cache ----


class JumpsAfterFirstPaper:
    """A clock that passes the run's --timeout as soon as the Hub has answered one paper request."""

    def __init__(self, hub):
        self.hub = hub

    def clock(self) -> float:
        return 1000.0 + (10_000.0 if paper_requests(self.hub) else 0.0)

    def sleep(self, seconds: float) -> None:
        raise AssertionError("nothing should wait")


def test_papers_not_reached_before_the_deadline_fail_and_keep_their_data(hub, api, cards):
    for arxiv_id in (SBERT, BGE_M3, E5):
        Paper.objects.create(arxiv_id=arxiv_id)
    sync(api)
    hub.reset_requests()
    time = JumpsAfterFirstPaper(hub)

    report = sync_cards(api=api, clock=time.clock, sleep=time.sleep, timeout=300)

    results = paper_results(report)
    assert len(paper_requests(hub)) == 1 and len(results) == 3
    failed = [result for result in results.values() if result.status == "failed"]
    assert len(failed) == 2 and {result.error_kind for result in failed} == {"deadline"}
    assert Paper.objects.filter(sync_error_kind="deadline").count() == 2
    assert not Paper.objects.filter(title="").exists()  # what the first sync stored stays


def test_a_sync_that_changed_a_paper_refreshes_the_cached_bib_file(client, hub, api, cards):
    Paper.objects.create(arxiv_id=SBERT, is_published=True)
    url = reverse("models_showcase:publications_bib")
    assert b"Sentence-BERT" not in client.get(url).content  # cached before the sync

    sync(api)

    assert b"title = {Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks}" in client.get(url).content


def test_sync_selected_papers_from_the_admin_runs_only_those(
    staff_client, hub, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The papers' list has the Hub sync's action too: a run of sync_hub naming the papers as arxiv:<id>."""
    from functools import partial

    from django.urls import reverse

    from models_showcase.hub import sync_listed
    from portfolio.models import SyncRun
    from portfolio.syncing import runs

    settings.SYNC_LOCK_DIR = tmp_path
    started = []
    monkeypatch.setattr("portfolio.syncing.runs.start", started.append)  # its process is this test, below
    chosen, other = Paper.objects.create(arxiv_id=SBERT), Paper.objects.create(arxiv_id=E5)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:models_showcase_paper_changelist"),
            {"action": "sync_selected", "_selected_action": [chosen.pk]},
        )
    [run] = started
    assert run.items == [f"arxiv:{SBERT}"]
    hub.reset_requests()
    done = runs.execute("sync_hub", run.pk, partial(sync_listed, api=HfApi(endpoint=hub.url, token=False)))
    assert done.status == SyncRun.Status.DONE, done.errors
    assert paper_requests(hub) == [f"/api/papers/{SBERT}"]
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.synced_at is not None and other.synced_at is None
    page = staff_client.get(reverse("admin:models_showcase_paper_changelist")).content.decode()
    assert "sync-status" in page  # the run's status line above the list


@pytest.mark.parametrize("count", [1, 20])
def test_the_papers_list_queries_do_not_grow_with_the_papers(staff_client, django_assert_num_queries, count):
    from django.urls import reverse

    card = make_card("dragonkue/BGE-m3-ko")
    for number in range(count):
        paper = Paper.objects.create(arxiv_id=f"2401.{number + 1:05d}", is_published=bool(number % 2))
        paper.cited_by.add(card)
    # Session and user, the sync's status line, the counts, the list and the cards each paper cites.
    with django_assert_num_queries(9):
        assert staff_client.get(reverse("admin:models_showcase_paper_changelist")).status_code == 200
