"""The fake Hub, proven with the real huggingface_hub client: if these pass, sync tests built on it mean something.

Each rule the fake enforces (see tests/fakehub/) is shown here through ``HfApi`` where the client can send the
request, and through plain httpx2 where the client refuses to (e.g. ``expand`` with ``full``).
"""

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    BadRequestError,
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ExpandModelProperty_T
from huggingface_hub.utils import hf_raise_for_status

from tests.fakehub import (
    FIXTURES,
    LIST_EXPAND,
    LIST_VIEW,
    MODEL_INFO_EXPAND,
    FakeHub,
    ManualClock,
    bare_not_found,
    disabled,
    gated,
    hub_model,
    load_fixture,
    malformed_json,
    missing_anonymous,
    mteb_model_index,
    not_found,
    rate_limited,
    seed_models,
    server_error,
    slow,
    truncated,
    unauthorized,
)
from tests.fakeserver import run_by_hand

REPO = "tester/ko-embed"
# What the app's sync might ask model_info for, all valid there.
EXPAND = ["downloads", "likes", "cardData", "safetensors", "createdAt", "lastModified", "baseModels"]
BGE, RERANKER, SNOWFLAKE = (
    "dragonkue/BGE-m3-ko",
    "dragonkue/bge-reranker-v2-m3-ko",
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko",
)
E5, E5_V2 = "dragonkue/multilingual-e5-small-ko", "dragonkue/multilingual-e5-small-ko-v2"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub([hub_model(REPO)], tokens={"secret"}) as fake:
        yield fake


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def token_api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token="secret")


def status_of(call: Any) -> int:
    """The HTTP status of the HfHubHTTPError that ``call()`` raises."""
    with pytest.raises(HfHubHTTPError) as raised:
        call()
    return raised.value.response.status_code


# --- Shapes -----------------------------------------------------------------------------------------------------------


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


def test_hub_model_has_the_real_base_models_shape_and_no_eval_results():
    model = hub_model(REPO)

    assert model["baseModels"]["relation"] == "finetune"
    [base] = model["baseModels"]["models"]
    assert base["id"] == "BAAI/bge-m3"
    assert re.fullmatch(r"[0-9a-f]{24}", base["_id"])
    assert re.fullmatch(r"[0-9a-f]{24}", model["_id"])
    assert "evalResults" not in model
    # Everything a model_info answer can hold is stored: the expand-only and the full-only properties.
    assert {"downloadsAllTime", "trendingScore", "childrenModelCount", "usedStorage", "siblings", "config"} <= set(
        model
    )


def test_model_info_returns_base_models_as_an_object(api):
    info = api.model_info(REPO, expand=["baseModels"])

    assert info.base_models == hub_model(REPO)["baseModels"]
    assert info.downloads is None


def test_expand_returns_only_the_asked_properties(hub, api):
    info = api.model_info(REPO, expand=["downloads"])

    assert info.downloads == 1234
    assert info.likes is None
    assert info.card_data is None
    assert hub.requests[-1].query["expand"] == ["downloads"]


def test_expand_leaves_out_properties_the_model_lacks(hub):
    hub.update(REPO, **{"model-index": None, "baseModels": None})

    response = httpx2.get(f"{hub.url}/api/models/{REPO}", params={"expand": ["model-index", "baseModels", "likes"]})

    assert list(response.json()) == ["_id", "id", "likes"]


def test_model_info_without_expand_answers_the_full_shape():
    """The plain GET /api/models/{id} answers exactly the keys of models/*.full.json, null model-index included."""
    with FakeHub(seed_models()) as hub:
        for name in ("BGE-m3-ko", "bge-reranker-v2-m3-ko", "snowflake-arctic-embed-l-v2.0-ko"):
            expected = load_fixture(f"models/dragonkue--{name}.full.json")

            answer = httpx2.get(f"{hub.url}/api/models/dragonkue/{name}").json()

            assert answer == expected
            assert list(answer) == list(expected)

        info = HfApi(endpoint=hub.url, token=False).model_info(RERANKER)
        assert info.base_models is None  # only with expand=baseModels
        assert info.model_index is None


def test_listing_without_expand_answers_the_default_small_set():
    with FakeHub(seed_models()) as hub:
        answer = httpx2.get(f"{hub.url}/api/models", params={"author": "dragonkue"}).json()

    assert len(answer) == 5
    for item in answer:
        assert list(item) == list(LIST_VIEW)
        assert item["modelId"] == item["id"]


def test_listing_full_card_data_and_config_add_properties():
    with FakeHub(seed_models()) as hub:
        [full] = httpx2.get(f"{hub.url}/api/models", params={"search": "BGE-m3", "full": "true"}).json()
        [card] = httpx2.get(f"{hub.url}/api/models", params={"search": "BGE-m3", "cardData": "true"}).json()
        [config] = HfApi(endpoint=hub.url, token=False).list_models(search="BGE-m3", fetch_config=True)

    assert {"author", "sha", "lastModified", "gated", "disabled"} <= set(full)
    assert "cardData" not in full
    assert card["cardData"]["license"] == "apache-2.0"
    assert config.config["model_type"] == "xlm-roberta"


def test_json_is_raw_utf8_with_content_length(hub):
    response = httpx2.get(f"{hub.url}/api/models/{REPO}")

    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "한국어".encode() in response.content  # not \uXXXX escapes
    assert json.loads(response.content)["_id"] == hub_model(REPO)["_id"]


def test_lookup_ignores_case(api):
    assert api.model_info("Tester/KO-Embed").id == REPO


def test_non_finite_numbers_are_sent_as_null(hub):
    # The Hub's JSON.stringify writes null for a card's `.nan`; Python's json would write the invalid token NaN.
    hub.update(REPO, trendingScore=math.nan, safetensors={"total": math.inf, "parameters": {}})

    response = httpx2.get(f"{hub.url}/api/models/{REPO}", params={"expand": ["trendingScore", "safetensors"]})

    def refuse(token: str) -> None:
        raise ValueError(token)

    answer = json.loads(response.content, parse_constant=refuse)
    assert answer["trendingScore"] is None
    assert answer["safetensors"] == {"total": None, "parameters": {}}


def test_hostile_stored_values_are_served_rather_than_crashing_the_fake(hub):
    hub.update(REPO, likes="many", tags=["ok", 3, None, "x" * 5000], author=None)
    hub.add(hub_model("tester/plain", likes=1), {"id": "tester/bare", "author": "tester", "likes": None})

    listing = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "sort": "likes", "filter": "ok"})
    bare = httpx2.get(f"{hub.url}/api/models", params={"search": "bare"})

    assert listing.status_code == 200
    assert [m["id"] for m in listing.json()] == [REPO]
    assert [set(m) for m in bare.json()] == [{"_id", "id", "modelId"}]  # a model stored without _id gets one


def test_a_crash_of_the_fake_is_a_500_not_a_dropped_connection(hub, capsys):
    hub.update(REPO, likes={"a": 1})
    hub.add(hub_model("tester/other", likes={"b": 2}))  # dicts do not compare: the sort fails

    response = httpx2.get(f"{hub.url}/api/models", params={"sort": "likes"})

    assert response.status_code == 500
    assert response.json()["error"].startswith("fake Hub crashed: TypeError")
    assert "Traceback" in capsys.readouterr().err


# --- Expand and query validation --------------------------------------------------------------------------------------


def test_accepted_expand_values_are_the_installed_clients():
    # model_info: the Literal; the listing: the values list_models' docstring names (the Hub refuses the others).
    docstring = HfApi.list_models.__doc__ or ""
    listed = docstring.split("Possible values are", 1)[1].split("full (`bool`", 1)[0]

    assert set(MODEL_INFO_EXPAND) == set(get_args(ExpandModelProperty_T))
    assert set(LIST_EXPAND) == set(re.findall(r'`"([^"]+)"`', listed))
    assert set(MODEL_INFO_EXPAND) - set(LIST_EXPAND) == {"baseModels", "childrenModelCount", "usedStorage"}


@pytest.mark.parametrize("value", ["baseModels", "childrenModelCount", "usedStorage"])
def test_listing_refuses_expand_values_only_model_info_accepts(hub, api, value):
    with pytest.raises(BadRequestError) as raised:
        list(api.list_models(author="tester", expand=["downloads", value]))

    assert raised.value.response.status_code == 400
    assert raised.value.response.json() == {"error": f"Invalid expand value: {value}"}
    assert hub.count() == 1  # a 400 is not retried
    # The same value is fine on the single-model endpoint.
    assert api.model_info(REPO, expand=[value]).id == REPO


def test_unknown_expand_is_refused_by_both_endpoints(api):
    with pytest.raises(BadRequestError) as listing:
        list(api.list_models(author="tester", expand=["downloads", "dowloads"]))
    with pytest.raises(BadRequestError) as info:
        api.model_info(REPO, expand=["downloads", "dowloads"])

    assert listing.value.response.json() == {"error": "Invalid expand value: dowloads"}
    assert info.value.response.json()["error"].startswith('"expand[1]" must be one of [author, baseModels, ')


@pytest.mark.parametrize("other", ["full", "cardData", "config"])
def test_listing_refuses_expand_with_full_card_data_or_config(hub, other):
    # huggingface_hub refuses this itself, so only a raw request can show the Hub's answer.
    response = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "expand": "likes", other: "true"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/models", {"author": "tester", "authr": "x"}),
        ("/api/models", {"author": "tester", "limit": "ten"}),
        ("/api/models", {"sort": "stars"}),
        ("/api/models", {"cursor": "not-a-cursor"}),
        ("/api/models", {"full": "yes"}),
        (f"/api/models/{REPO}", {"revision": "main"}),
        (f"/api/models/{REPO}", {"author": "tester"}),
        (f"/api/models/{REPO}", {"expand": "likes", "securityStatus": "true"}),
        ("/api/users/tester/overview", {"expand": "likes"}),
    ],
)
def test_unknown_or_malformed_parameters_are_400(hub, path, params):
    response = httpx2.get(hub.url + path, params=params)

    assert response.status_code == 400
    assert "error" in response.json()


def test_every_parameter_the_client_sends_is_accepted(hub, api):
    hub.add(hub_model("tester/gated", gated="manual"))

    listed = api.list_models(
        filter="sentence-transformers",
        author="tester",
        apps="ollama",
        gated=True,
        inference="warm",
        inference_provider="all",
        trained_dataset="nlpai-lab/ko-triplet-v1.0",
        search="gated",
        pipeline_tag="sentence-similarity",
        num_parameters="min:1B",
        sort="downloads",
        limit=10,
        expand=["downloads"],
    )
    assert [m.id for m in listed] == ["tester/gated"]
    assert [m.id for m in api.list_models(author="tester", full=True, cardData=True, fetch_config=True, sort="likes")]
    assert api.model_info(REPO, securityStatus=True, files_metadata=True).security_repo_status["scansDone"] is True
    assert api.model_info(REPO, revision="main").id == REPO


# --- Auth -------------------------------------------------------------------------------------------------------------


def test_missing_model_asked_anonymously_is_401_without_error_code(api):
    with pytest.raises(HfHubHTTPError) as raised:
        api.model_info("tester/missing")

    # Over http:// huggingface_hub does not relabel the 401 as RepositoryNotFoundError (it does on https).
    assert not isinstance(raised.value, RepositoryNotFoundError)
    response = raised.value.response
    assert response.status_code == 401
    assert response.headers["x-error-message"] == "Invalid username or password."
    assert "x-error-code" not in response.headers


def test_missing_model_asked_with_a_token_is_repository_not_found(token_api):
    with pytest.raises(RepositoryNotFoundError) as raised:
        token_api.model_info("tester/missing")

    assert raised.value.response.status_code == 404
    assert raised.value.response.headers["x-error-code"] == "RepoNotFound"


def test_private_model_needs_a_known_token(hub, api, token_api):
    hub.update(REPO, private=True)

    assert status_of(lambda: api.model_info(REPO)) == 401
    assert api.get_user_overview("tester").num_models == 0

    info = token_api.model_info(REPO)
    assert info.private is True
    assert hub.requests[-1].headers["authorization"] == "Bearer secret"


def test_private_models_are_listed_only_with_a_known_token(hub, api, token_api):
    hub.add(hub_model("tester/secret-model", private=True))

    assert [m.id for m in api.list_models(author="tester")] == [REPO]
    assert sorted(m.id for m in token_api.list_models(author="tester")) == [REPO, "tester/secret-model"]


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.model_info(REPO),
        lambda api: api.model_info("tester/missing"),
        lambda api: list(api.list_models(author="tester")),
        lambda api: api.get_user_overview("tester"),
    ],
    ids=["model_info", "missing", "listing", "overview"],
)
def test_an_unknown_token_is_401_everywhere(hub, call):
    bad = HfApi(endpoint=hub.url, token="hf_revoked")

    with pytest.raises(HfHubHTTPError) as raised:
        call(bad)

    assert not isinstance(raised.value, RepositoryNotFoundError)
    assert raised.value.response.status_code == 401
    assert raised.value.response.headers["x-error-message"] == "Invalid credentials in Authorization header"
    assert httpx2.get(f"{hub.url}/nowhere", headers={"Authorization": "Bearer hf_revoked"}).status_code == 401


def test_gated_model_metadata_answers_200(hub, api):
    hub.add(hub_model("tester/gated", gated="manual"))

    assert api.model_info("tester/gated", expand=["gated", "likes"]).gated == "manual"
    assert {m.id: m.gated for m in api.list_models(author="tester", expand=["gated"])}["tester/gated"] == "manual"


def test_disabled_model_is_403_and_left_out_of_listings(hub, api, token_api):
    hub.add(hub_model("tester/taken-down", disabled=True))

    with pytest.raises(DisabledRepoError) as raised:
        api.model_info("tester/taken-down")
    assert raised.value.response.status_code == 403
    assert raised.value.response.headers["x-error-message"] == "Access to this resource is disabled."
    assert status_of(lambda: token_api.model_info("tester/taken-down")) == 403
    assert [m.id for m in token_api.list_models(author="tester")] == [REPO]


# --- Rate limits ------------------------------------------------------------------------------------------------------


def rate_limit(response: httpx2.Response) -> tuple[int, int]:
    """(remaining, seconds to reset) from a response's RateLimit header."""
    match = re.fullmatch(r'"api";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    return int(match[1]), int(match[2])


def test_rate_limit_headers_on_every_response_counting_down(hub):
    responses = [
        httpx2.get(f"{hub.url}/api/models/{REPO}"),  # 200
        httpx2.get(f"{hub.url}/api/models/tester/missing"),  # 401
        httpx2.get(f"{hub.url}/api/models/{REPO}", headers={"Authorization": "Bearer secret"}),
        httpx2.get(f"{hub.url}/api/models/tester/missing", headers={"Authorization": "Bearer secret"}),  # 404
        httpx2.get(f"{hub.url}/api/models", params={"expand": "baseModels"}),  # 400
        httpx2.get(f"{hub.url}/nowhere"),  # bare 404
    ]

    assert [r.status_code for r in responses] == [200, 401, 200, 404, 400, 404]
    anonymous = [rate_limit(r)[0] for r in (responses[0], responses[1], responses[4], responses[5])]
    assert anonymous == [499, 498, 497, 496]
    assert [rate_limit(r)[0] for r in (responses[2], responses[3])] == [999, 998]  # the token counts on its own
    assert all(0 < rate_limit(r)[1] <= 300 for r in responses)
    assert responses[0].headers["ratelimit-policy"] == '"fixed window";"api";q=500;w=300'
    assert responses[3].headers["ratelimit-policy"] == '"fixed window";"api";q=1000;w=300'


def test_scripted_answers_carry_rate_limit_headers_too(hub, api):
    hub.script(REPO, server_error(503))

    with pytest.raises(HfHubHTTPError) as raised:
        api.model_info(REPO)

    assert raised.value.response.headers["ratelimit"].startswith('"api";r=499;t=')
    assert raised.value.response.headers["ratelimit-policy"] == '"fixed window";"api";q=500;w=300'


def test_spent_quota_is_429_until_the_window_resets():
    clock = ManualClock()
    with FakeHub([hub_model(REPO)], quota=3, token_quota=5, window=60, clock=clock, tokens={"secret"}) as hub:
        url = f"{hub.url}/api/models/{REPO}"
        allowed = [httpx2.get(url) for _ in range(3)]
        clock.advance(10)
        refused = httpx2.get(url)
        by_token = httpx2.get(url, headers={"Authorization": "Bearer secret"})
        clock.advance(50)  # 60 s: the next window
        recovered = httpx2.get(url)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [rate_limit(r) for r in allowed] == [(2, 60), (1, 60), (0, 60)]
    assert refused.status_code == 429
    assert rate_limit(refused) == (0, 50)
    assert refused.json() == {"error": "Too Many Requests"}
    assert refused.headers["ratelimit-policy"] == '"fixed window";"api";q=3;w=60'
    assert (by_token.status_code, rate_limit(by_token)) == (200, (4, 50))  # a token has its own quota
    assert (recovered.status_code, rate_limit(recovered)) == (200, (2, 60))


def test_spent_quota_model_info_raises_at_once():
    with FakeHub([hub_model(REPO)], quota=0, clock=ManualClock()) as spent:
        with pytest.raises(HfHubHTTPError) as raised:
            HfApi(endpoint=spent.url, token=False).model_info(REPO)

        assert raised.value.response.status_code == 429
        assert "rate limit" in str(raised.value)  # huggingface_hub parsed the RateLimit header
        assert spent.count() == 1


def test_list_models_waits_out_a_spent_quota(monkeypatch):
    clock = ManualClock(0.0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", sleep)
    with FakeHub([hub_model(f"tester/m{n}") for n in range(3)], page_size=1, quota=2, clock=clock) as hub:
        listed = list(HfApi(endpoint=hub.url, token=False).list_models(author="tester"))

    assert len(listed) == 3
    assert sleeps == [301.0]  # RateLimit t=300 when page 3 was refused, plus huggingface_hub's own second
    assert hub.count("/api/models") == 4


def test_rate_limited_model_info_raises_at_once_with_retry_after(hub, api):
    hub.script(REPO, rate_limited(retry_after=30))

    with pytest.raises(HfHubHTTPError) as raised:
        api.model_info(REPO)

    headers = raised.value.response.headers
    assert raised.value.response.status_code == 429
    assert headers["Retry-After"] == "30"
    assert headers["RateLimit"] == '"api";r=0;t=30'
    assert headers["RateLimit-Policy"] == '"fixed window";"api";q=500;w=300'
    assert "rate limit" in str(raised.value)
    assert hub.count() == 1  # no retry


def test_rate_limited_listing_is_retried_after_the_announced_wait(hub, api, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", sleeps.append)
    hub.script("list:tester", rate_limited(retry_after=7))

    assert [m.id for m in api.list_models(author="tester")] == [REPO]
    assert sleeps == [8.0]  # RateLimit t=7, plus huggingface_hub's own second
    assert hub.count("/api/models") == 2


# --- Renames and pagination -------------------------------------------------------------------------------------------


def test_renamed_model_redirects_to_its_new_id(hub, api):
    old_id = hub_model(REPO)["_id"]
    hub.rename(REPO, "new-owner/ko-embed-v2")

    info = api.model_info("TESTER/ko-embed", expand=["author", "likes"])

    assert (info.id, info.author, info.likes) == ("new-owner/ko-embed-v2", "new-owner", 42)
    redirect = httpx2.get(f"{hub.url}/api/models/{REPO}", params={"expand": ["author", "likes"]})
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{hub.url}/api/models/new-owner/ko-embed-v2?expand=author&expand=likes"
    assert "ratelimit" in redirect.headers
    assert httpx2.get(redirect.headers["location"]).json()["_id"] == old_id
    assert [m.id for m in api.list_models(author="tester")] == []
    assert [m.id for m in api.list_models(author="new-owner")] == ["new-owner/ko-embed-v2"]


def test_a_rename_within_the_owner_keeps_the_author_and_chains(hub, api):
    hub.rename(REPO, "tester/ko-embed-v2")
    hub.rename("tester/ko-embed-v2", "tester/ko-embed-v3")

    assert api.model_info(REPO).id == "tester/ko-embed-v3"
    assert api.model_info(REPO).author == "tester"
    assert [r.path for r in hub.requests[-2:]] == [f"/api/models/{REPO}", "/api/models/tester/ko-embed-v3"]
    assert [m.id for m in api.list_models(author="tester")] == ["tester/ko-embed-v3"]


def test_list_models_follows_pages_in_creation_order():
    # The Hub lists by _id, whose first 8 hex digits are the creation time.
    models = [hub_model(f"tester/model-{n}", createdAt=f"2024-0{9 - n}-01T00:00:00.000Z") for n in range(5)]
    with FakeHub([*models, hub_model("someone-else/model")], page_size=2) as hub:
        api = HfApi(endpoint=hub.url, token=False)

        listed = list(api.list_models(author="tester", expand=["downloads", "likes"]))

        assert [m.id for m in listed] == [f"tester/model-{n}" for n in reversed(range(5))]
        assert listed[0].downloads == 1234
        assert hub.count() == 3
        second = hub.requests[1]
        assert "cursor" in second.query
        assert second.query["author"] == ["tester"]
        assert second.query["expand"] == ["downloads", "likes"]


def test_sorted_listing_pages_without_repeats_when_models_change(hub):
    hub.add(*(hub_model(f"tester/model-{n}", downloads=n * 10) for n in range(4)))
    first = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "sort": "downloads", "limit": 2})
    hub.add(hub_model("tester/newcomer", downloads=5000))  # sorts before the cursor: must not shift page 2
    rest = []
    next_url = first.links["next"]["url"]
    while next_url:
        page = httpx2.get(next_url)
        rest += page.json()
        next_url = page.links.get("next", {}).get("url")

    ids = [m["id"] for m in first.json() + rest]
    assert ids == [REPO, "tester/model-3", "tester/model-2", "tester/model-1", "tester/model-0"]


def test_link_header_is_absolute_and_keeps_the_query(hub):
    hub.add(*(hub_model(f"tester/model-{n}") for n in range(3)))
    response = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "limit": 2, "expand": "likes"})

    next_url = response.links["next"]["url"]
    assert next_url.startswith(hub.url + "/api/models?")
    assert {"author", "limit", "expand", "cursor"} <= set(parse_qs(urlsplit(next_url).query))
    assert len(response.json()) == 2
    assert set(response.json()[0]) == {"_id", "id", "likes"}


# --- Scripted answers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scripted", "error"),
    [(not_found(), RepositoryNotFoundError), (gated(), GatedRepoError), (disabled(), DisabledRepoError)],
)
def test_scripted_hub_errors_map_to_hub_exceptions(hub, api, scripted, error):
    hub.script(REPO, scripted)

    with pytest.raises(error):
        api.model_info(REPO)


@pytest.mark.parametrize(
    ("scripted", "status"),
    [(unauthorized(), 401), (missing_anonymous(), 401), (bare_not_found(), 404), (server_error(503), 503)],
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


def test_truncated_body_makes_httpx_raise(hub, api):
    hub.script(REPO, truncated(hub_model(REPO)))

    with pytest.raises(httpx2.RemoteProtocolError, match="complete message body"):
        api.model_info(REPO)


def test_truncated_listing_page_is_retried(hub, api, monkeypatch):
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)
    hub.script("list:tester", truncated())

    assert [m.id for m in api.list_models(author="tester")] == [REPO]
    assert hub.count("/api/models") == 2


def test_slow_answer_hits_the_client_timeout(hub, api):
    hub.script(REPO, slow(2))

    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        api.model_info(REPO, timeout=0.2)
    assert time.monotonic() - started < 1.5


def test_slow_then_answers_normally(hub, api):
    hub.script(REPO, slow(0.1))

    assert api.model_info(REPO, timeout=5).id == REPO


def test_scripts_are_consumed_in_order_then_normal_answers_resume(hub, api):
    hub.script(REPO, server_error(), not_found())

    with pytest.raises(HfHubHTTPError) as first:
        api.model_info(REPO)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(REPO)

    assert first.value.response.status_code == 500
    assert api.model_info(REPO).id == REPO
    assert hub.count() == 3


# --- Content, lifecycle -----------------------------------------------------------------------------------------------


def test_add_remove_and_user_overview(hub, api, token_api):
    hub.add(hub_model("tester/second"))
    assert api.get_user_overview("tester").num_models == 2

    hub.remove("tester/second")
    with pytest.raises(RepositoryNotFoundError):
        token_api.model_info("tester/second")
    assert api.get_user_overview("tester").num_models == 1


def test_unknown_paths_and_methods(hub):
    assert httpx2.get(f"{hub.url}/api/nothing-here").status_code == 404
    assert "x-error-code" not in httpx2.get(f"{hub.url}/api/nothing-here").headers
    assert httpx2.get(f"{hub.url}/api/models/{REPO}/tree/main").status_code == 404
    assert httpx2.post(f"{hub.url}/api/models/{REPO}").status_code == 405
    assert [r.method for r in hub.requests] == ["GET", "GET", "GET", "POST"]

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


# --- Seed and fixtures ------------------------------------------------------------------------------------------------


def test_seed_models_are_the_five_dragonkue_models_with_their_differences():
    seed = {model["id"]: model for model in seed_models()}

    assert list(seed) == [BGE, RERANKER, E5, SNOWFLAKE, E5_V2]  # the listing's order: by _id
    assert "model-index" in seed[BGE] and "baseModels" not in seed[BGE]
    assert seed[RERANKER]["pipeline_tag"] == "text-ranking"
    assert seed[RERANKER]["cardData"]["base_model"] == ["BAAI/bge-reranker-v2-m3"]
    assert seed[RERANKER]["baseModels"]["models"][0] == {
        "_id": "65f1b0a0cbd6b1fd4a1e0aa1",
        "id": "BAAI/bge-reranker-v2-m3",
    }
    assert "model-index" not in seed[SNOWFLAKE]
    assert seed[SNOWFLAKE]["baseModels"]["models"][0]["id"] == "Snowflake/snowflake-arctic-embed-l-v2.0"
    # No file of their own: baseModels comes from the base_model:finetune:<id> tags.
    for repo in (E5, E5_V2):
        assert seed[repo]["baseModels"]["relation"] == "finetune"
        assert [m["id"] for m in seed[repo]["baseModels"]["models"]] == ["intfloat/multilingual-e5-small"]
    assert seed[BGE]["usedStorage"] == 2289027104  # from the .full.json
    assert seed_models() is not seed_models() and seed_models() == seed_models()


def test_seed_served_as_the_hub_lists_and_describes_it():
    with FakeHub(seed_models()) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        expand = [
            value for value in load_fixture("models/dragonkue--BGE-m3-ko.expand.json") if value not in ("_id", "id")
        ]

        listed = httpx2.get(
            f"{hub.url}/api/models",
            params={"author": "dragonkue", "expand": [v for v in expand if v in LIST_EXPAND]},
        ).json()
        reranker = api.model_info(RERANKER, expand=[*expand, "baseModels"])

    assert listed == load_fixture("list/author=dragonkue.expand-without-baseModels.200.json")
    assert reranker.base_models == load_fixture("models/dragonkue--bge-reranker-v2-m3-ko.expand.json")["baseModels"]


def test_mteb_model_index_parses_as_a_card_would():
    model_index = mteb_model_index()

    assert isinstance(model_index, list)
    results = model_index[0]["results"]
    assert len({r["dataset"]["name"] for r in results}) == 22
    assert sum(len(r["metrics"]) for r in results) == 1424


def exchange_names() -> list[str]:
    return sorted(p.name for p in (FIXTURES / "exchanges").glob("*.json") if not p.name.startswith("resolve-"))


@pytest.mark.parametrize("name", exchange_names())
def test_the_fake_answers_the_recorded_exchanges(name):
    """Each exchange in tests/fixtures/hub/exchanges/, replayed against the fake: same status, same Hub headers."""
    exchange = load_fixture(f"exchanges/{name}")
    extra = [hub_model("someone/taken-down", disabled=True), hub_model("some-org/gated-model", gated="manual")]
    spent = exchange["response"]["status"] == 429
    with FakeHub([*seed_models(), *extra], tokens={"hf_valid"}, page_size=2) as hub:
        if spent:
            hub.use_quota(500)
        request = exchange["request"]
        url = urlsplit(request["url"])
        auth = {} if request["auth"] == "anonymous" else {"Authorization": request["auth"]}
        response = httpx2.get(f"{hub.url}{url.path}?{url.query}", headers=auth)

    expected = exchange["response"]
    assert response.status_code == expected["status"]
    for header in ("content-type", "x-error-code", "x-error-message", "ratelimit-policy"):
        if header in expected["headers"]:
            assert response.headers[header] == expected["headers"][header]
    if expected["status"] != 404:
        assert "x-error-code" not in response.headers
    if "ratelimit" in expected["headers"]:
        assert rate_limit(response)[0] == (0 if spent else (999 if auth else 499))
    body = expected["body"]
    if isinstance(body, dict) and "[...]" in body.get("error", ""):
        assert response.json()["error"].startswith(body["error"].removesuffix("[...]"))
    elif isinstance(body, dict) and expected["status"] == 200:  # the gated model: its numbers are the fixture's own
        assert set(response.json()) == set(body)
        assert response.json()["gated"] == body["gated"]
    elif isinstance(body, dict):
        assert response.json() == body
    else:  # a page of the listing: the next page only in an absolute Link that keeps the query
        assert len(response.json()) == 2
        next_url = urlsplit(response.links["next"]["url"])
        assert (next_url.scheme, next_url.netloc) == ("http", urlsplit(hub.url).netloc)
        recorded = re.search(r"<([^>]+)>", expected["headers"]["link"])
        assert recorded is not None
        assert parse_qs(next_url.query) == parse_qs(urlsplit(recorded[1]).query)


def test_gated_is_the_file_downloads_403():
    exchange = load_fixture("exchanges/resolve-gated-authenticated-without-access.403.json")
    scripted = gated("some-org/gated-model")

    assert scripted.status == exchange["response"]["status"]
    assert json.loads(scripted.body) == exchange["response"]["body"]
    assert {k.lower(): v for k, v in scripted.headers.items()} == exchange["response"]["headers"]


# --- README.md, as /resolve/ serves it --------------------------------------------------------------------------------


def readme_url(hub: FakeHub, repo_id: str = REPO, revision: str = "main") -> str:
    return f"{hub.url}/{repo_id}/resolve/{revision}/README.md"


def test_readme_is_served_raw_with_the_hubs_headers(hub):
    stored = hub_model(REPO)["readme"]

    response = httpx2.get(readme_url(hub))
    by_sha = httpx2.get(readme_url(hub, revision=hub_model(REPO)["sha"]))
    head = httpx2.head(readme_url(hub))

    assert response.status_code == 200 and response.text == stored
    assert stored.startswith("---\nlicense: apache-2.0\n") and "# ko-embed" in stored
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-repo-commit"] == hub_model(REPO)["sha"]
    assert rate_limit(response)[0] == 499  # counted like every other answer
    assert by_sha.text == stored
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(stored.encode())


def test_readme_is_never_in_an_api_answer(hub):
    everything = httpx2.get(f"{hub.url}/api/models/{REPO}", params={"expand": list(MODEL_INFO_EXPAND)}).json()
    plain = httpx2.get(f"{hub.url}/api/models/{REPO}").json()
    listed = httpx2.get(f"{hub.url}/api/models", params={"author": "tester", "full": "true"}).json()

    assert "readme" in hub_model(REPO)
    assert all("readme" not in answer for answer in (everything, plain, *listed))


def test_readme_follows_the_repos_auth_rules(hub):
    hub.add(hub_model("tester/private", private=True), hub_model("tester/down", disabled=True))
    token = {"Authorization": "Bearer secret"}

    missing = httpx2.get(readme_url(hub, "tester/missing"))
    private = httpx2.get(readme_url(hub, "tester/private"))
    missing_with_token = httpx2.get(readme_url(hub, "tester/missing"), headers=token)

    assert (missing.status_code, private.status_code) == (401, 401)
    assert missing.headers["x-error-message"] == "Invalid username or password."
    assert httpx2.get(readme_url(hub, "tester/private"), headers=token).status_code == 200
    assert missing_with_token.status_code == 404 and missing_with_token.headers["x-error-code"] == "RepoNotFound"
    assert httpx2.get(readme_url(hub, "tester/down")).status_code == 403
    assert httpx2.get(readme_url(hub), headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_repo_without_readme_or_revision_is_a_404_the_client_names(hub):
    hub.update(REPO, readme=None)

    no_readme = httpx2.get(readme_url(hub))
    no_revision = httpx2.get(readme_url(hub, revision="v9"))

    assert no_readme.status_code == 404 and no_readme.headers["x-error-code"] == "EntryNotFound"
    assert no_revision.status_code == 404 and no_revision.headers["x-error-code"] == "RevisionNotFound"
    with pytest.raises(EntryNotFoundError):
        hf_raise_for_status(no_readme)
    with pytest.raises(RevisionNotFoundError):
        hf_raise_for_status(no_revision)


def test_readme_of_a_renamed_repo_redirects_and_can_be_scripted(hub):
    hub.rename(REPO, "tester/renamed")
    hub.script(f"resolve:{REPO}", server_error(503))

    assert httpx2.get(readme_url(hub)).status_code == 503  # the script, keyed on the id asked for
    redirected = httpx2.get(readme_url(hub), follow_redirects=True)

    assert redirected.status_code == 200 and "# ko-embed" in redirected.text
    assert [r.path for r in hub.requests][-2:] == [
        f"/{REPO}/resolve/main/README.md",
        "/tester/renamed/resolve/main/README.md",
    ]
    assert httpx2.get(f"{hub.url}/{REPO}/resolve/main/config.json").status_code == 404  # the fake serves only READMEs


def test_seed_models_have_readmes_from_the_seed_descriptions():
    seed = {model["id"]: model for model in seed_models()}

    assert all(model["readme"].startswith("---\nlicense: ") for model in seed.values())
    assert "AutoRAG" in seed[BGE]["readme"] and "MTEB-ko-retrieval" in seed[SNOWFLAKE]["readme"]


# --- By hand ----------------------------------------------------------------------------------------------------------


def test_the_module_needs_no_django():
    code = "import sys, tests.fakehub; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"

    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=30).returncode == 0


def test_cli_serves_the_seed_until_interrupted():
    with run_by_hand("tests.fakehub", cwd=ROOT) as run:
        url = f"http://127.0.0.1:{run.port}"
        assert run.banner.startswith(f"Fake Hub on {url} — try: HF_ENDPOINT={url} ")
        response = httpx2.get(f"{url}/api/models", params={"author": "dragonkue"}, timeout=5)
        assert response.status_code == 200
        assert [m["id"] for m in response.json()] == [BGE, RERANKER, E5, SNOWFLAKE, E5_V2]

    assert run.returncode == 0
    assert "Traceback" not in run.stderr
    assert "GET /api/models?author=dragonkue → 200" in run.stderr  # one line per request
