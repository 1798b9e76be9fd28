"""The fake Hub, proven with the real huggingface_hub client: if these pass, sync tests built on it mean something."""

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from tests.fakehub import (
    FakeHub,
    bare_not_found,
    gated,
    hub_model,
    malformed_json,
    not_found,
    rate_limited,
    server_error,
    slow,
    unauthorized,
)

REPO = "tester/ko-embed"
EXPAND = ["downloads", "likes", "cardData", "safetensors", "createdAt", "lastModified"]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub([hub_model(REPO)], tokens={"secret"}) as fake:
        yield fake


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


def test_model_info_parses_the_fakes_json(hub, api):
    hub.update(REPO, downloads=777, likes=9)

    info = api.model_info(REPO, expand=EXPAND)

    assert info.id == REPO
    assert (info.downloads, info.likes) == (777, 9)
    assert info.card_data.license == "apache-2.0"
    assert info.card_data.language == ["ko", "en"]
    assert info.card_data.eval_results[0].metric_value == 0.7431
    assert info.card_data.eval_results[0].dataset_name == "MTEB Ko-Retrieval (한국어 검색)"
    assert info.card_data.widget[0]["source_sentence"] == "대한민국의 수도는 어디인가요?"
    assert info.safetensors.total == 567754752
    assert info.created_at == datetime(2024, 11, 2, 14, 5, 12, tzinfo=UTC)
    assert info.last_modified == datetime(2025, 1, 15, 8, 30, tzinfo=UTC)


def test_expand_returns_only_the_asked_properties(hub, api):
    info = api.model_info(REPO, expand=["downloads"])

    assert info.downloads == 1234
    assert info.likes is None
    assert info.card_data is None
    assert hub.requests[-1].query["expand"] == ["downloads"]


def test_no_expand_returns_everything(api):
    info = api.model_info(REPO)

    assert info.sha == hub_model(REPO)["sha"]
    assert info.base_models == {"relation": "finetune", "models": [{"id": "BAAI/bge-m3"}]}


def test_json_is_raw_utf8_with_content_length(hub):
    response = httpx2.get(f"{hub.url}/api/models/{REPO}")

    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "한국어".encode() in response.content  # not \uXXXX escapes
    assert json.loads(response.content)["_id"] == hub_model(REPO)["_id"]


def test_lookup_ignores_case(api):
    assert api.model_info("Tester/KO-Embed").id == REPO


def test_list_models_follows_pages(api):
    models = [hub_model(f"tester/model-{n}") for n in range(5)] + [hub_model("someone-else/model")]
    with FakeHub(models, page_size=2) as hub:
        api = HfApi(endpoint=hub.url, token=False)

        listed = list(api.list_models(author="tester", expand=["downloads", "likes"]))

        assert [m.id for m in listed] == [f"tester/model-{n}" for n in range(5)]
        assert listed[0].downloads == 1234
        assert hub.count() == 3
        second = hub.requests[1]
        assert "cursor" in second.query
        assert second.query["author"] == ["tester"]
        assert second.query["expand"] == ["downloads", "likes"]


def test_link_header_is_absolute_and_keeps_the_query(hub):
    hub.add(*(hub_model(f"tester/model-{n}") for n in range(3)))
    response = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "limit": 2, "expand": "likes"})

    next_url = response.links["next"]["url"]
    assert next_url.startswith(hub.url + "/api/models?")
    assert {"author", "limit", "expand", "cursor"} <= set(parse_qs(urlsplit(next_url).query))
    assert len(response.json()) == 2
    assert set(response.json()[0]) == {"_id", "id", "likes"}


@pytest.mark.parametrize(
    ("scripted", "error"),
    [(not_found(), RepositoryNotFoundError), (gated(), GatedRepoError)],
)
def test_scripted_hub_errors_map_to_hub_exceptions(hub, api, scripted, error):
    hub.script(REPO, scripted)

    with pytest.raises(error):
        api.model_info(REPO)


def test_missing_model_is_repository_not_found(api):
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("tester/missing")


@pytest.mark.parametrize(
    ("scripted", "status"),
    [(unauthorized(), 401), (bare_not_found(), 404), (server_error(503), 503)],
)
def test_other_errors_stay_plain_http_errors(hub, api, scripted, status):
    hub.script(REPO, scripted)

    with pytest.raises(HfHubHTTPError) as raised:
        api.model_info(REPO)

    # Over http:// a 401 is not re-labelled RepositoryNotFoundError (huggingface_hub only does that on https).
    assert not isinstance(raised.value, RepositoryNotFoundError)
    assert raised.value.response.status_code == status


def test_malformed_json_raises_json_decode_error(hub, api):
    hub.script(REPO, malformed_json())

    # httpx2's Response.json() is plain json.loads: the stdlib error surfaces, not an HF one.
    with pytest.raises(json.JSONDecodeError):
        api.model_info(REPO)


def test_slow_answer_hits_the_client_timeout(hub, api):
    hub.script(REPO, slow(2))

    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        api.model_info(REPO, timeout=0.2)
    assert time.monotonic() - started < 1.5


def test_slow_then_answers_normally(hub, api):
    hub.script(REPO, slow(0.1))

    assert api.model_info(REPO, timeout=5).id == REPO


def test_rate_limited_model_info_raises_at_once_with_retry_after(hub, api):
    hub.script(REPO, rate_limited(retry_after=30))

    with pytest.raises(HfHubHTTPError) as raised:
        api.model_info(REPO)

    headers = raised.value.response.headers
    assert raised.value.response.status_code == 429
    assert headers["Retry-After"] == "30"
    assert headers["RateLimit"] == '"api";r=0;t=30'
    assert "rate limit" in str(raised.value)  # huggingface_hub parsed the RateLimit header
    assert hub.count() == 1  # no retry


def test_rate_limited_listing_is_retried_after_the_announced_wait(hub, api, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", sleeps.append)
    hub.script("list:tester", rate_limited(retry_after=7))

    assert [m.id for m in api.list_models(author="tester")] == [REPO]
    assert sleeps == [8.0]  # RateLimit t=7, plus huggingface_hub's own second
    assert hub.count("/api/models") == 2


def test_scripts_are_consumed_in_order_then_normal_answers_resume(hub, api):
    hub.script(REPO, server_error(), not_found())

    with pytest.raises(HfHubHTTPError) as first:
        api.model_info(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)

    assert first.value.response.status_code == 500
    assert api.model_info(REPO).id == REPO
    assert hub.count() == 3


def test_private_model_needs_a_known_token(hub):
    hub.update(REPO, private=True)

    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=hub.url, token=False).model_info(REPO)
    assert raised.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError):
        HfApi(endpoint=hub.url, token="wrong").model_info(REPO)

    info = HfApi(endpoint=hub.url, token="secret").model_info(REPO)
    assert info.private is True
    assert hub.requests[-1].headers["authorization"] == "Bearer secret"


def test_private_models_are_listed_only_with_a_known_token(hub):
    hub.add(hub_model("tester/secret-model", private=True))

    anonymous = HfApi(endpoint=hub.url, token=False).list_models(author="tester")
    with_token = HfApi(endpoint=hub.url, token="secret").list_models(author="tester")

    assert [m.id for m in anonymous] == [REPO]
    assert [m.id for m in with_token] == [REPO, "tester/secret-model"]


def test_add_remove_and_user_overview(hub, api):
    hub.add(hub_model("tester/second"))
    assert api.get_user_overview("tester").num_models == 2

    hub.remove("tester/second")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("tester/second")
    assert api.get_user_overview("tester").num_models == 1


def test_unknown_paths_and_methods(hub):
    assert httpx2.get(f"{hub.url}/api/nothing-here").status_code == 404
    assert "x-error-code" not in httpx2.get(f"{hub.url}/api/nothing-here").headers
    assert httpx2.post(f"{hub.url}/api/models/{REPO}").status_code == 405
    assert [r.method for r in hub.requests] == ["GET", "GET", "POST"]

    hub.reset_requests()
    assert hub.count() == 0


def test_requests_are_served_concurrently(hub):
    hub.script(REPO, slow(0.5), slow(0.5), slow(0.5))

    started = time.monotonic()
    # Three requests at once; a server answering one at a time would need 1.5 s.
    with httpx2.Client(timeout=5) as client, ThreadPoolExecutor(3) as pool:
        statuses = list(pool.map(lambda _: client.get(f"{hub.url}/api/models/{REPO}").status_code, range(3)))

    assert statuses == [200, 200, 200]
    assert time.monotonic() - started < 1.2


def test_stop_is_quick_even_with_a_slow_answer_pending():
    hub = FakeHub([hub_model(REPO)]).start()
    hub.script(REPO, slow(30))
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(f"{hub.url}/api/models/{REPO}", timeout=0.1)

    started = time.monotonic()
    hub.stop()
    assert time.monotonic() - started < 1
