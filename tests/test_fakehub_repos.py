"""The fake Hub's datasets, Spaces and papers, proven with the real huggingface_hub client (as tests/test_fakehub.py
does for models): what each endpoint accepts and refuses, auth, pagination, quotas, renames, and how the library
parses the shapes the Hub really sends, the messy ones included.

Library parses worth knowing, each shown below: ``SpaceStage`` lacks the Hub's ``SLEEPING`` (the runtime keeps the
plain string); a runtime without ``stage`` raises KeyError inside ``SpaceInfo`` and stops a ``list_spaces`` part-way
(no such shape is known from the Hub: huggingface.js requires ``stage``); ``PaperInfo`` turns ``authors: []`` into
None, keeps hidden authors, and misses an organization's ``avatar``; ``paper_info`` sends no token and no parameters;
the dataset viewer's row count cannot come through this API at all.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from huggingface_hub import HfApi, SpaceRuntime, SpaceStage
from huggingface_hub.errors import (
    BadRequestError,
    DisabledRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)
from huggingface_hub.hf_api import (
    DatasetInfo,
    ExpandDatasetProperty_T,
    ExpandSpaceProperty_T,
    ModelInfo,
    PaperInfo,
    SpaceInfo,
)

from tests.fakehub import (
    DATASET_INFO_EXPAND,
    DATASET_LIST_EXPAND,
    FIXTURES,
    SPACE_INFO_EXPAND,
    SPACE_LIST_EXPAND,
    FakeHub,
    ManualClock,
    cited_papers,
    hub_dataset,
    hub_model,
    hub_paper,
    hub_space,
    load_fixture,
    messy_datasets,
    messy_papers,
    messy_spaces,
    rate_limited,
    seed_datasets,
    seed_models,
    seed_papers,
    seed_spaces,
    server_error,
    space_runtime,
)
from tests.fakeserver import run_by_hand

TRIPLETS, RAW = "dragonkue/ko-retrieval-triplets", "dragonkue/ko-hard-negatives-raw"
DEMO, ARENA = "dragonkue/BGE-m3-ko-demo", "dragonkue/ko-reranker-arena"
BGE_M3 = "2402.03216"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    seed = {"datasets": seed_datasets(), "spaces": seed_spaces(), "papers": seed_papers()}
    with FakeHub(seed_models(), **seed, tokens={"secret"}) as fake:
        yield fake


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


def with_token(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token="secret")


def documented_expand(method: Any) -> set[str]:
    """The values a method's docstring names for ``expand`` ("Possible values are `"a"`, ... and `"z"`.")."""
    expand = (method.__doc__ or "").split("expand (", 1)[1]
    listed = expand.split("Possible values are", 1)[1].split("\n", 1)[0]
    return set(re.findall(r'`"([^"]+)"`', listed))


# Each repo kind once, with one of its seed repos.
KINDS = [("datasets", TRIPLETS), ("spaces", DEMO)]


def listing(api: HfApi, kind: str, **params: Any) -> list[Any]:
    return list(getattr(api, f"list_{kind}")(**params))


def detail(api: HfApi, kind: str, repo_id: str, **params: Any) -> Any:
    return getattr(api, {"datasets": "dataset_info", "spaces": "space_info"}[kind])(repo_id, **params)


def builder(kind: str) -> Any:
    return {"datasets": hub_dataset, "spaces": hub_space}[kind]


# --- Expand values ----------------------------------------------------------------------------------------------------


def test_accepted_expand_values_are_the_installed_clients():
    # Unlike list_models, list_datasets and list_spaces document every value of their detail's literal.
    assert set(DATASET_INFO_EXPAND) == set(get_args(ExpandDatasetProperty_T)) == documented_expand(HfApi.dataset_info)
    assert set(DATASET_LIST_EXPAND) == documented_expand(HfApi.list_datasets) == set(DATASET_INFO_EXPAND)
    assert set(SPACE_INFO_EXPAND) == set(get_args(ExpandSpaceProperty_T)) == documented_expand(HfApi.space_info)
    assert set(SPACE_LIST_EXPAND) == documented_expand(HfApi.list_spaces) == set(SPACE_INFO_EXPAND)


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_every_documented_value_is_answered_by_listing_and_detail(hub, api, kind, repo_id):
    everything = sorted(DATASET_LIST_EXPAND if kind == "datasets" else SPACE_LIST_EXPAND)

    listed = {item.id: item for item in listing(api, kind, author="dragonkue", expand=everything)}
    info = detail(api, kind, repo_id, expand=everything)

    assert listed[repo_id].created_at == info.created_at is not None
    assert listed[repo_id].likes == info.likes > 0
    assert info.card_data is not None and info.tags
    assert [r.query["expand"] for r in hub.requests] == [everything, everything]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("datasets", "dowloads"),  # a typo
        ("datasets", "runtime"),  # a Space's
        ("datasets", "pipeline_tag"),  # a model's
        ("spaces", "downloads"),  # Spaces have none
        ("spaces", "host"),  # in SpaceInfo, but no expand value: only the plain GET answers it
        ("spaces", "mainSize"),  # a dataset's
    ],
)
def test_values_outside_the_literal_are_a_400_the_library_raises(hub, api, kind, value):
    repo_id = TRIPLETS if kind == "datasets" else DEMO

    with pytest.raises(BadRequestError) as listed:
        listing(api, kind, author="dragonkue", expand=["likes", value])
    with pytest.raises(BadRequestError) as info:
        detail(api, kind, repo_id, expand=["likes", value])

    assert listed.value.response.status_code == info.value.response.status_code == 400
    assert listed.value.response.json() == {"error": f"Invalid expand value: {value}"}
    assert info.value.response.json()["error"].startswith('"expand[1]" must be one of [author, cardData, ')
    assert hub.count() == 2  # a 400 is not retried


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_expand_answers_only_what_was_asked(hub, api, kind, repo_id):
    info = detail(api, kind, repo_id, expand=["likes"])
    raw = httpx2.get(f"{hub.url}/api/{kind}/{repo_id}", params={"expand": ["likes", "author"]}).json()

    assert info.likes > 0
    assert (info.card_data, info.created_at, info.tags, info.sha) == (None, None, None, None)
    assert list(raw) == ["_id", "id", "likes", "author"]


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_expand_with_full_or_files_metadata(hub, api, kind, repo_id):
    # The client refuses both combinations itself, before any request; the Hub's own 400 shows through httpx.
    with pytest.raises(ValueError, match="cannot be used") as refused:
        listing(api, kind, expand=["likes"], full=True)
    with pytest.raises(ValueError, match="cannot be used"):
        detail(api, kind, repo_id, expand=["likes"], files_metadata=True)
    full = httpx2.get(f"{hub.url}/api/{kind}", params={"expand": "likes", "full": "true"})
    blobs = httpx2.get(f"{hub.url}/api/{kind}/{repo_id}", params={"expand": "likes", "blobs": "true"})

    assert not isinstance(refused.value, BadRequestError)
    assert hub.count() == 2
    assert (full.status_code, blobs.status_code) == (400, 400)
    assert full.json() == {"error": "expand cannot be used with full"}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/datasets", {"author": "dragonkue", "authr": "x"}),
        ("/api/datasets", {"pipeline_tag": "text-retrieval"}),  # a model listing's filter
        ("/api/datasets", {"sort": "stars"}),
        ("/api/datasets", {"cursor": "not-a-cursor"}),
        (f"/api/datasets/{TRIPLETS}", {"securityStatus": "true"}),  # a model detail's
        ("/api/spaces", {"gated": "true"}),  # list_spaces has no gated filter
        ("/api/spaces", {"sort": "downloads"}),
        ("/api/spaces", {"linked": "yes"}),
        (f"/api/spaces/{DEMO}", {"full": "true"}),
        (f"/api/papers/{BGE_M3}", {"expand": "authors"}),  # paper_info sends no parameter
    ],
)
def test_unknown_or_malformed_parameters_are_400(hub, path, params):
    response = httpx2.get(hub.url + path, params=params)

    assert response.status_code == 400
    assert "error" in response.json()


def test_every_parameter_the_client_sends_is_accepted(hub, api):
    by_card = api.list_datasets(
        language="ko", size_categories="100K<n<1M", task_categories="text-retrieval", gated=False
    )
    by_name = api.list_datasets(author="dragonkue", dataset_name="triplets", search="retrieval", filter="embedding")
    paged = api.list_datasets(author="dragonkue", sort="trending_score", limit=10, expand=["downloads"])
    no_match = api.list_datasets(benchmark=True, language_creators="found", multilinguality="monolingual", task_ids="x")
    by_use = api.list_spaces(datasets=TRIPLETS, models=["dragonkue/BGE-m3-ko"], linked=True, filter="gradio")
    spaces = api.list_spaces(author="dragonkue", search="demo", sort="likes", limit=10, expand=["sdk"])

    assert [d.id for d in by_card] == [d.id for d in by_name] == [TRIPLETS]
    assert [d.id for d in paged] == [TRIPLETS, RAW]
    assert list(no_match) == []  # accepted, matched by nothing the seed is tagged with
    assert [s.id for s in by_use] == [s.id for s in spaces] == [DEMO]
    assert hub.requests[1].query["search"] == ["triplets", "retrieval"]  # dataset_name and search, each a value
    assert api.dataset_info(TRIPLETS, revision="main", files_metadata=True).id == TRIPLETS
    assert api.space_info(DEMO, revision="main", files_metadata=True).id == DEMO
    assert hub.requests[-1].path == f"/api/spaces/{DEMO}/revision/main"


def test_listing_filters_match_tags_and_what_a_space_uses(api):
    assert [d.id for d in api.list_datasets(task_categories="sentence-similarity")] == [TRIPLETS]
    assert [d.id for d in api.list_datasets(filter="format:json")] == [RAW]
    assert [d.id for d in api.list_datasets(filter=f"arxiv:{BGE_M3}")] == [TRIPLETS]
    assert [s.id for s in api.list_spaces(models="BAAI/bge-reranker-v2-m3")] == [ARENA]
    assert [s.id for s in api.list_spaces(datasets=TRIPLETS)] == [DEMO]
    assert sorted(s.id for s in api.list_spaces(linked=True)) == [DEMO, ARENA]


# --- Views and shapes -------------------------------------------------------------------------------------------------


def test_dataset_views_without_expand(hub, api):
    plain = api.dataset_info(TRIPLETS)
    listed = {d.id: d for d in api.list_datasets(author="dragonkue")}
    full = {d.id: d for d in api.list_datasets(author="dragonkue", full=True)}

    # huggingface_hub's production tests: the default listing has no card data, full=true adds it.
    assert listed[TRIPLETS].card_data is None and listed[TRIPLETS].downloads == 1874
    assert full[TRIPLETS].card_data.pretty_name == "Korean Retrieval Triplets"
    assert plain.card_data.license == "apache-2.0" and [s.rfilename for s in plain.siblings][:2] == [
        ".gitattributes",
        "README.md",
    ]
    assert plain.trending_score is None  # the detail's plain view has no trendingScore
    assert "readme" not in httpx2.get(f"{hub.url}/api/datasets/{TRIPLETS}").json()


def test_dataset_shape_as_the_library_parses_it(api):
    info = api.dataset_info(TRIPLETS, expand=list(DATASET_INFO_EXPAND))
    card = info.card_data

    assert (info.author, info.private, info.gated, info.disabled) == ("dragonkue", False, False, False)
    assert (info.downloads, info.downloads_all_time, info.likes, info.trending_score) == (1874, 9120, 14, 2)
    assert (card.size_categories, card.task_categories) == (["100K<n<1M"], ["sentence-similarity", "text-retrieval"])
    assert (card.language, card.license, card.pretty_name) == (["ko"], "apache-2.0", "Korean Retrieval Triplets")
    # Card keys DatasetCardData has no parameter for stay as attributes.
    assert [split["num_examples"] for split in card.dataset_info["splits"]] == [482113, 5000]
    assert card.configs[0]["data_files"][0] == {"split": "train", "path": "data/train-*"}
    assert {"size_categories:100K<n<1M", "task_categories:text-retrieval", "language:ko", "license:apache-2.0"} <= set(
        info.tags
    )
    assert info.tags[-2:] == [f"arxiv:{BGE_M3}", "region:us"]
    assert info.description.startswith("\n\t\n\t\t\n\t\tKorean Retrieval Triplets\n")
    assert info.citation.startswith("@misc{chen2024bge,") and info.paperswithcode_id is None
    assert info.main_size == 221003456 and info.used_storage == 442006912


def test_the_viewer_row_count_is_not_in_this_api(hub, api):
    everything = httpx2.get(f"{hub.url}/api/datasets/{TRIPLETS}", params={"expand": list(DATASET_INFO_EXPAND)})

    assert not {"num_rows", "numRows", "viewer", "rows"} & set(everything.json())
    # The dataset viewer's own server is the only source, and the client will not ask it on another endpoint.
    with pytest.raises(ValueError, match="only available on the Hugging Face Hub"):
        api.list_dataset_parquet_files(TRIPLETS)
    assert hub.count() == 1


def test_space_shape_as_the_library_parses_it(api):
    info = api.space_info(DEMO)
    card = info.card_data

    assert (info.sdk, info.subdomain) == ("gradio", "dragonkue-bge-m3-ko-demo")
    assert info.host == "https://dragonkue-bge-m3-ko-demo.hf.space"
    assert info.models == ["dragonkue/BGE-m3-ko", "dragonkue/bge-reranker-v2-m3-ko"]
    assert info.datasets == [TRIPLETS]
    assert (card.title, card.emoji, card.colorFrom, card.colorTo) == ("BGE-m3-ko Demo", "🔎", "blue", "indigo")
    assert (card.sdk, card.app_file, card.license) == ("gradio", "app.py", "apache-2.0")
    assert card.short_description.startswith("한국어 의미 검색") and card.models == info.models
    assert isinstance(info.runtime, SpaceRuntime)
    assert (info.runtime.stage, info.runtime.hardware, info.runtime.requested_hardware) == (
        "RUNNING",
        "cpu-basic",
        "cpu-basic",
    )
    assert info.runtime.sleep_time == 48 * 3600  # a free cpu-basic Space sleeps after 48 hours
    assert info.runtime.raw["domains"][0]["domain"] == "dragonkue-bge-m3-ko-demo.hf.space"
    assert info.tags == ["gradio", f"arxiv:{BGE_M3}", "region:us"]


def test_a_sleeping_space_has_a_stage_the_library_enum_lacks(api):
    [arena] = [s for s in api.list_spaces(author="dragonkue", expand=["runtime", "sdk"]) if s.id == ARENA]

    assert arena.sdk == "streamlit"
    assert arena.runtime.stage == "SLEEPING"  # the string as sent, not a SpaceStage
    assert (arena.runtime.hardware, arena.runtime.requested_hardware) == (None, "cpu-basic")
    with pytest.raises(ValueError, match="SLEEPING"):
        SpaceStage(arena.runtime.stage)


def test_messy_spaces_parse_as_the_library_does(hub, api):
    hub.add(*messy_spaces(), kind="spaces")

    spaces = {s.id: s for s in api.list_spaces(author="tester", expand=["runtime", "sdk", "models", "cardData"])}

    assert spaces["tester/no-runtime"].runtime is None
    assert spaces["tester/broken"].runtime.stage == SpaceStage.RUNTIME_ERROR
    assert spaces["tester/broken"].runtime.raw["errorMessage"].startswith("Exit code: 1")
    assert spaces["tester/new-stage"].runtime.stage == "QUEUED_FOR_GPU"
    assert (spaces["tester/static-page"].sdk, spaces["tester/static-page"].models) == ("static", None)
    assert spaces["tester/static-page"].card_data.emoji == "📄"


def test_a_runtime_without_stage_stops_a_listing_part_way(hub, api):
    # Not a shape the Hub is known to send (huggingface.js types `stage` as required), but SpaceRuntime reads
    # data["stage"] inside SpaceInfo(**item): one such Space would end a list_spaces iteration, the ones before it kept.
    hub.add(
        hub_space("tester/a-first", createdAt="2025-01-01T00:00:00.000Z"),
        hub_space("tester/b-odd", createdAt="2025-01-02T00:00:00.000Z", runtime={"hardware": {"current": None}}),
        kind="spaces",
    )

    seen = []
    with pytest.raises(KeyError, match="stage"):
        for space in api.list_spaces(author="tester", expand=["runtime"]):
            seen.append(space.id)

    assert seen == ["tester/a-first"]


def test_messy_datasets_parse_as_the_library_does(hub, api):
    hub.add(*messy_datasets(), kind="datasets")

    found = {d.id: d for d in api.list_datasets(author="tester", expand=["cardData", "gated", "tags", "description"])}

    assert found["tester/no-card"].card_data is None and found["tester/no-card"].description is None
    assert not any(tag.startswith("size_categories:") for tag in found["tester/no-card"].tags)
    one_size = found["tester/one-size"].card_data
    assert (one_size.size_categories, one_size.language) == ("n<1K", "ko")  # kept as strings, not made lists
    assert [config["config_name"] for config in one_size.dataset_info] == ["corpus", "queries"]
    assert "size_categories:n<1K" in found["tester/one-size"].tags
    assert found["tester/gated-eval"].gated == "manual"  # gated metadata is public


# --- Auth -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_missing_repo_is_401_anonymous_and_404_with_a_token(hub, api, kind, repo_id):
    with pytest.raises(HfHubHTTPError) as anonymous:
        detail(api, kind, "dragonkue/missing")
    with pytest.raises(RepositoryNotFoundError) as authenticated:
        detail(with_token(hub), kind, "dragonkue/missing")

    # Over http:// huggingface_hub does not relabel the 401 as RepositoryNotFoundError (it does on https).
    assert not isinstance(anonymous.value, RepositoryNotFoundError)
    assert anonymous.value.response.status_code == 401
    assert anonymous.value.response.headers["x-error-message"] == "Invalid username or password."
    assert authenticated.value.response.status_code == 404
    assert authenticated.value.response.headers["x-error-code"] == "RepoNotFound"


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_private_repos_need_a_known_token(hub, api, kind, repo_id):
    hub.add(builder(kind)("dragonkue/secret", private=True), kind=kind)

    with pytest.raises(HfHubHTTPError) as anonymous:
        detail(api, kind, "dragonkue/secret")

    assert anonymous.value.response.status_code == 401
    token_api = with_token(hub)
    assert detail(token_api, kind, "dragonkue/secret").private is True
    assert "dragonkue/secret" not in [r.id for r in listing(api, kind, author="dragonkue")]
    assert "dragonkue/secret" in [r.id for r in listing(token_api, kind, author="dragonkue")]


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_disabled_repo_is_403_and_left_out_of_listings(hub, api, kind, repo_id):
    hub.update(repo_id, kind=kind, disabled=True)

    with pytest.raises(DisabledRepoError) as raised:
        detail(api, kind, repo_id)

    assert raised.value.response.status_code == 403
    assert repo_id not in [r.id for r in listing(api, kind, author="dragonkue")]


@pytest.mark.parametrize(
    "call",
    [
        lambda api: list(api.list_datasets(author="dragonkue")),
        lambda api: api.dataset_info(TRIPLETS),
        lambda api: list(api.list_spaces(author="dragonkue")),
        lambda api: api.space_info(DEMO),
    ],
    ids=["list_datasets", "dataset_info", "list_spaces", "space_info"],
)
def test_an_unknown_token_is_401_everywhere(hub, call):
    with pytest.raises(HfHubHTTPError) as raised:
        call(HfApi(endpoint=hub.url, token="hf_revoked"))

    assert raised.value.response.status_code == 401
    assert raised.value.response.headers["x-error-message"] == "Invalid credentials in Authorization header"
    # paper_info cannot send a token; a raw request with a bad one is refused all the same.
    revoked = {"Authorization": "Bearer hf_revoked"}
    assert httpx2.get(f"{hub.url}/api/papers/{BGE_M3}", headers=revoked).status_code == 401


# --- Pagination, renames, scripts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_listings_page_past_the_page_size_in_creation_order(kind, repo_id):
    repos = [builder(kind)(f"tester/repo-{n}", createdAt=f"2024-0{9 - n}-01T00:00:00.000Z") for n in range(7)]
    with FakeHub(**{kind: [*repos, builder(kind)("someone-else/repo")]}, page_size=3) as hub:
        api = HfApi(endpoint=hub.url, token=False)

        listed = listing(api, kind, author="tester", expand=["likes"])

        assert [r.id for r in listed] == [f"tester/repo-{n}" for n in reversed(range(7))]
        assert hub.count() == 3
        assert all(r.query["expand"] == ["likes"] and r.query["author"] == ["tester"] for r in hub.requests)
        assert "cursor" in hub.requests[1].query and "cursor" in hub.requests[2].query
        first = httpx2.get(f"{hub.url}/api/{kind}", params={"author": "tester", "sort": "likes", "limit": 3})
        next_url = first.links["next"]["url"]
        assert next_url.startswith(f"{hub.url}/api/{kind}?")
        assert {"author", "sort", "limit", "cursor"} <= set(parse_qs(urlsplit(next_url).query))


@pytest.mark.parametrize(("kind", "repo_id"), KINDS)
def test_a_renamed_repo_redirects_to_its_new_id(hub, api, kind, repo_id):
    old_id = load_fixture(f"{kind}/{repo_id.replace('/', '--')}.json")["_id"]
    hub.rename(repo_id, "new-owner/renamed", kind=kind)

    info = detail(api, kind, repo_id, expand=["author", "likes"])
    redirect = httpx2.get(f"{hub.url}/api/{kind}/{repo_id}", params={"expand": "likes"})

    assert (info.id, info.author) == ("new-owner/renamed", "new-owner")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{hub.url}/api/{kind}/new-owner/renamed?expand=likes"
    assert httpx2.get(redirect.headers["location"]).json()["_id"] == old_id
    assert repo_id not in [r.id for r in listing(api, kind, author="dragonkue")]
    assert [r.id for r in listing(api, kind, author="new-owner")] == ["new-owner/renamed"]
    # Models are not touched by a dataset's or a Space's rename.
    assert api.model_info("dragonkue/BGE-m3-ko").id == "dragonkue/BGE-m3-ko"


def test_scripts_are_keyed_per_kind(hub, api, monkeypatch):
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)
    hub.script(f"datasets/{TRIPLETS}", server_error(503))
    hub.script("list-spaces:dragonkue", server_error(502))
    hub.script(f"paper:{BGE_M3}", rate_limited(30))

    with pytest.raises(HfHubHTTPError) as dataset:
        api.dataset_info(TRIPLETS)
    spaces = list(api.list_spaces(author="dragonkue"))  # listings retry a 5xx
    with pytest.raises(HfHubHTTPError) as paper:
        api.paper_info(BGE_M3)  # and paper_info, like model_info, does not retry a 429

    assert dataset.value.response.status_code == 503
    assert len(spaces) == 2 and hub.count("/api/spaces") == 2
    assert paper.value.response.status_code == 429 and hub.count("/api/papers") == 1
    assert api.model_info("dragonkue/BGE-m3-ko").id == "dragonkue/BGE-m3-ko"  # same id, other kind: no script


# --- Quotas -----------------------------------------------------------------------------------------------------------


def test_one_quota_window_per_caller_across_every_kind():
    clock = ManualClock()
    seed = {"datasets": seed_datasets(), "spaces": seed_spaces(), "papers": seed_papers()}
    with FakeHub(seed_models(), **seed, quota=4, token_quota=6, window=60, clock=clock, tokens={"secret"}) as hub:
        api, token_api = HfApi(endpoint=hub.url, token=False), HfApi(endpoint=hub.url, token="secret")
        list(api.list_models(author="dragonkue"))
        list(api.list_datasets(author="dragonkue"))
        list(api.list_spaces(author="dragonkue"))
        token_api.dataset_info(TRIPLETS)  # the token's own window
        token_api.paper_info(BGE_M3)  # sends no token: the anonymous window's fourth
        with pytest.raises(HfHubHTTPError) as refused:
            api.space_info(DEMO)
        clock.advance(60)
        recovered = api.space_info(DEMO)

    assert "authorization" not in hub.requests[4].headers  # paper_info dropped HfApi's token
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["ratelimit"] == '"api";r=0;t=60'
    assert refused.value.response.headers["ratelimit-policy"] == '"fixed window";"api";q=4;w=60'
    assert recovered.id == DEMO


def test_rate_limit_headers_count_down_across_kinds(hub):
    paths = ["/api/models", "/api/datasets", f"/api/datasets/{TRIPLETS}", "/api/spaces", f"/api/papers/{BGE_M3}"]

    headers = [httpx2.get(hub.url + path).headers for path in paths]

    assert [h["ratelimit"].partition(";t=")[0] for h in headers] == [f'"api";r={n}' for n in (499, 498, 497, 496, 495)]
    assert {h["ratelimit-policy"] for h in headers} == {'"fixed window";"api";q=500;w=300'}


# --- Papers -----------------------------------------------------------------------------------------------------------


def test_paper_info_asks_one_path_with_no_parameter_and_no_token(hub):
    paper = with_token(hub).paper_info(BGE_M3)

    [request] = hub.requests
    assert (request.path, request.query) == (f"/api/papers/{BGE_M3}", {})
    assert "authorization" not in request.headers
    assert isinstance(paper, PaperInfo) and paper.id == BGE_M3


def test_paper_shape_as_the_library_parses_it(api):
    paper = api.paper_info(BGE_M3)

    assert paper.title.startswith("BGE M3-Embedding: Multi-Lingual, Multi-Functionality")
    assert [author.name for author in paper.authors][:2] == ["Jianlv Chen", "Shitao Xiao"]
    assert all(author.hidden is False and author.user is None for author in paper.authors)
    assert paper.published_at.isoformat() == "2024-02-05T17:26:49+00:00"
    assert (paper.upvotes, paper.github_repo) == (6, "https://github.com/FlagOpen/FlagEmbedding")
    assert re.fullmatch(r"[0-9a-f]{24}", paper.discussion_id)
    assert paper.submitted_by.username == "daily-curator" and paper.submitted_at is not None
    assert paper.summary and paper.ai_summary is None
    recent = api.paper_info("2412.04506")
    assert recent.ai_summary and "text embeddings" in recent.ai_keywords


def test_a_paper_links_the_repos_citing_it(hub, api):
    hub.add(hub_model("tester/private-cite", private=True, tags=[f"arxiv:{BGE_M3}"]))
    hub.add(hub_dataset("tester/gone", disabled=True, tags=[f"arxiv:{BGE_M3}"]), kind="datasets")

    paper = api.paper_info(BGE_M3)

    assert all(isinstance(m, ModelInfo) for m in paper.linked_models)
    assert [m.id for m in paper.linked_models] == ["dragonkue/BGE-m3-ko"]  # neither private nor disabled ones
    assert [d.id for d in paper.linked_datasets] == [TRIPLETS] and isinstance(paper.linked_datasets[0], DatasetInfo)
    assert [s.id for s in paper.linked_spaces] == [DEMO] and isinstance(paper.linked_spaces[0], SpaceInfo)
    assert (paper.num_total_models, paper.num_total_datasets) == (1, 1)
    assert paper.numTotalSpaces == 1  # not a PaperInfo field: it stays in __dict__
    sentence_bert = api.paper_info("1908.10084")
    assert len(sentence_bert.linked_models) == sentence_bert.num_total_models == 4


@pytest.mark.parametrize("paper_id", ["1234.56789", f"{BGE_M3}v2", "search"])
def test_an_unknown_paper_is_a_plain_404(api, paper_id):
    with pytest.raises(HfHubHTTPError) as raised:
        api.paper_info(paper_id)

    assert not isinstance(raised.value, RepositoryNotFoundError)
    assert raised.value.response.status_code == 404
    assert raised.value.response.json() == {"error": "Paper not found"}


def test_messy_papers_parse_as_the_library_does(hub, api):
    hub.add(*messy_papers(), kind="papers")

    claimed, undated, organized = (api.paper_info(f"2099.0000{n}") for n in (1, 2, 3))

    hidden, owner = claimed.authors
    assert (hidden.name, hidden.hidden) == ("Hidden Person", True)  # kept: a page must leave it out itself
    assert (owner.user.username, owner.status) == ("tester", "claimed_verified")
    assert (undated.published_at, undated.authors) == (None, None)  # `authors: []` becomes None
    assert organized.upvotes == 0
    assert organized.organization.name == "tester-lab"
    assert organized.organization.avatar_url == ""  # the Hub sends `avatar`, Organization reads `avatarUrl`
    assert organized.organization.avatar.endswith("tester-lab.png")


def test_seed_papers_are_the_ones_the_seed_repos_cite():
    cited = cited_papers([*seed_models(), *seed_datasets(), *seed_spaces()])

    assert sorted(cited) == sorted(paper["id"] for paper in seed_papers())
    assert {"1908.10084", "2101.06983", "2212.03533", BGE_M3, "2402.16829", "2412.04506"} == set(cited)
    assert cited_papers([hub_paper("2099.00001"), {"id": "x", "tags": ["arxiv:not-an-id", 3]}]) == []


# --- Seed, fixtures, README, overview ---------------------------------------------------------------------------------


def test_seed_repos_are_the_fixtures_as_the_hub_lists_them(hub):
    everything = {"datasets": list(DATASET_LIST_EXPAND), "spaces": list(SPACE_LIST_EXPAND)}
    for kind, seed in (("datasets", seed_datasets()), ("spaces", seed_spaces())):
        listed = httpx2.get(f"{hub.url}/api/{kind}", params={"author": "dragonkue", "expand": everything[kind]}).json()

        stored = [load_fixture(f"{kind}/{repo['id'].replace('/', '--')}.json") for repo in seed]
        only_plain = {"readme_body", "host", "gated"} if kind == "spaces" else {"readme_body"}
        assert listed == [{k: v for k, v in repo.items() if k not in only_plain} for repo in stored]
    assert [d["id"] for d in seed_datasets()] == [TRIPLETS, RAW]  # the listing's order: by _id
    assert [s["id"] for s in seed_spaces()] == [DEMO, ARENA]


def test_fixtures_hold_only_keys_the_library_knows():
    known = {
        "datasets": {"_id", "id", *get_args(ExpandDatasetProperty_T), "readme_body"},
        "spaces": {"_id", "id", *get_args(ExpandSpaceProperty_T), "host", "gated", "readme_body"},
    }
    for kind, keys in known.items():
        for path in (FIXTURES / kind).glob("*.json"):
            assert set(load_fixture(f"{kind}/{path.name}")) <= keys, path.name
    for path in (FIXTURES / "papers").glob("*.json"):
        paper = load_fixture(f"papers/{path.name}")
        assert path.stem == paper["id"]
        assert PaperInfo(**paper).title == paper["title"]


def test_readmes_are_served_for_datasets_and_spaces(hub):
    # Asked as the app asks for a model's README. (Not with hf_hub_download: under conftest's patched
    # constants.ENDPOINT, hf_hub_url no longer swaps in the given endpoint and would aim at huggingface.co.)
    text = httpx2.get(f"{hub.url}/datasets/{TRIPLETS}/resolve/main/README.md").text
    space = httpx2.get(f"{hub.url}/spaces/{DEMO}/resolve/main/README.md")
    none = httpx2.get(f"{hub.url}/datasets/{RAW}/resolve/main/README.md")

    assert text.startswith("---\nlanguage:\n- ko\n") and "# Korean Retrieval Triplets" in text
    assert "https://arxiv.org/abs/2402.03216" in text  # the link the Hub made the arxiv: tag from
    assert space.status_code == 200 and "title: BGE-m3-ko Demo" in space.text
    assert none.status_code == 404 and none.headers["x-error-code"] == "EntryNotFound"
    hub.rename(TRIPLETS, "dragonkue/renamed", kind="datasets")
    moved = httpx2.get(f"{hub.url}/datasets/{TRIPLETS}/resolve/main/README.md")
    assert moved.headers["location"] == f"{hub.url}/datasets/dragonkue/renamed/resolve/main/README.md"


def test_overview_counts_every_kind(hub, api):
    hub.add(hub_dataset("dragonkue/hidden", private=True), kind="datasets")
    hub.add(hub_paper("2099.00001", authors=[{"name": "Dragon Kue", "user": {"user": "dragonkue"}}]), kind="papers")

    overview = api.get_user_overview("dragonkue")

    assert (overview.num_models, overview.num_datasets, overview.num_spaces) == (5, 2, 2)
    assert overview.num_papers == 1  # only a paper the user claimed counts


def test_cli_serves_datasets_spaces_and_papers():
    with run_by_hand("tests.fakehub", cwd=ROOT) as run:
        url = f"http://127.0.0.1:{run.port}"
        datasets = httpx2.get(f"{url}/api/datasets", params={"author": "dragonkue"}, timeout=5)
        spaces = httpx2.get(f"{url}/api/spaces", params={"author": "dragonkue"}, timeout=5)
        paper = httpx2.get(f"{url}/api/papers/{BGE_M3}", timeout=5)

    assert [d["id"] for d in datasets.json()] == [TRIPLETS, RAW]
    assert [s["id"] for s in spaces.json()] == [DEMO, ARENA]
    assert paper.json()["numTotalModels"] == 1
    assert run.returncode == 0 and f"GET /api/papers/{BGE_M3} → 200" in run.stderr


def test_space_runtime_builder_matches_what_space_runtime_reads():
    runtime = SpaceRuntime(space_runtime("PAUSED", hardware=None, requested="t4-small"))

    assert (runtime.stage, runtime.hardware, runtime.requested_hardware, runtime.sleep_time) == (
        "PAUSED",
        None,
        "t4-small",
        None,
    )
    assert runtime.dev_mode is False and runtime.volumes is None
