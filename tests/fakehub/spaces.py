"""Spaces, as ``GET /api/spaces?author=...`` and ``GET /api/spaces/{repo_id}`` answer them.

Verified against huggingface_hub 2.4:

- ``SPACE_INFO_EXPAND`` is ``ExpandSpaceProperty_T``; ``SPACE_LIST_EXPAND`` is what ``list_spaces``' docstring
  names: the same nineteen values (as for datasets, the library does not narrow the listing the way PR #3182 did for
  models; the fake follows the library).
- Parameters: what ``list_spaces`` / ``space_info`` / ``paginate`` send (``filter``, ``author``, ``search``,
  ``datasets``, ``models``, ``linked``, ``sort``, ``limit``, ``expand``, ``full``, ``cursor``; ``blobs`` and ``expand``
  on the detail), plus ``direction`` (hub-docs ``api.md``). Sorts: ``SpaceSort_T`` as the client maps it; Spaces
  have no downloads, so ``sort=downloads`` is a 400 here (a guess: the client never sends it).
- Keys: ``SpaceInfo`` and huggingface.js ``api-space.ts`` (``ApiSpaceInfo``, ``ApiSpaceMetadata``): ``sdk``,
  ``subdomain``, ``host``, ``models``, ``datasets``, ``runtime``, and ``cardData`` with title, emoji, colorFrom,
  colorTo, sdk, app_file, license, models, datasets, short_description. ``host`` and ``gated`` are no expand
  values: only the plain GET answers them.
- ``runtime`` as ``SpaceRuntime`` parses it: ``stage`` (required: ``SpaceRuntime`` reads ``data["stage"]``),
  ``hardware.current`` / ``hardware.requested``, ``gcTimeout`` (48 h for a free ``cpu-basic`` Space, per
  ``SpaceRuntime``'s docstring), ``storage``, ``devMode``, and huggingface.js' ``errorMessage`` for an error stage.
  The stage is kept as the string the Hub sends: huggingface.js lists ``SLEEPING``, which huggingface_hub's
  ``SpaceStage`` enum lacks (``SpaceStage("SLEEPING")`` raises ValueError; ``runtime.stage`` is the plain string).

Guesses: the views without ``expand``; ``runtime.replicas``, ``runtime.domains`` and ``runtime.sha``; a sleeping
Space's ``hardware.current`` being null; the subdomain rule (owner-name, lower-cased, ``_`` and ``.`` as ``-``); when
the Hub leaves ``runtime`` out (``messy_spaces``). The seed's numbers are invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakehub.common import card_readme, flag, load_seed, stable_hex
from tests.fakehub.repos import DETAIL_PARAMS, LISTING_PARAMS, SORTS, STATE, Detail, Listing, RepoKind, new_repo

# huggingface_hub 2.4's ExpandSpaceProperty_T, copied (the fake plays the server); tests compare it with the client.
SPACE_INFO_EXPAND: tuple[str, ...] = (
    "author",
    "cardData",
    "createdAt",
    "datasets",
    "disabled",
    "lastModified",
    "likes",
    "models",
    "private",
    "region",
    "resourceGroup",
    "runtime",
    "sdk",
    "sha",
    "siblings",
    "subdomain",
    "tags",
    "trendingScore",
    "usedStorage",
)
SPACE_LIST_EXPAND: tuple[str, ...] = SPACE_INFO_EXPAND  # list_spaces' docstring names every one

SPACE_LIST_PARAMS = LISTING_PARAMS | {"datasets", "models", "linked"}
SPACE_INFO_PARAMS = DETAIL_PARAMS
SPACE_LIST_SORTS = SORTS

SPACE_INFO_VIEW: tuple[str, ...] = (
    *STATE,
    "host",
    "subdomain",
    "likes",
    "sdk",
    "tags",
    "siblings",
    "createdAt",
    "cardData",
    "runtime",
    "models",
    "datasets",
    "usedStorage",
)
SPACE_LIST_VIEW: tuple[str, ...] = ("_id", "id", "likes", "trendingScore", "private", "sdk", "tags", "createdAt")
# full=true: "last_modified, siblings and card_data" (list_spaces' docstring), and the runtime with its resources
# (huggingface.js' SpaceRuntime: "when calling /spaces, those props are only fetched if ?full=true").
SPACE_LIST_FULL_VIEW: tuple[str, ...] = (
    *SPACE_LIST_VIEW,
    *("author", "sha", "lastModified", "gated", "disabled", "subdomain"),
    *("cardData", "siblings", "runtime", "models", "datasets"),
)
FREE_SLEEP_SECONDS = 48 * 3600  # SpaceRuntime: a free cpu-basic Space sleeps after 48 hours without visits


def _space_filters(space: Mapping[str, Any], query: Mapping[str, list[str]]) -> bool:
    """The Space listing's own filters: the models and datasets it uses (each asked one must be among them), or
    ``linked=true`` for any Space that uses one."""
    models, datasets = space.get("models") or [], space.get("datasets") or []
    if not all(model in models for model in query.get("models", [])):
        return False
    if not all(dataset in datasets for dataset in query.get("datasets", [])):
        return False
    return not ("linked" in query and flag(query, "linked") and not (models or datasets))


SPACES = RepoKind(
    "spaces",
    Detail(SPACE_INFO_EXPAND, SPACE_INFO_PARAMS, SPACE_INFO_VIEW),
    Listing(SPACE_LIST_EXPAND, SPACE_LIST_PARAMS, SPACE_LIST_SORTS, SPACE_LIST_VIEW, SPACE_LIST_FULL_VIEW),
    matches=_space_filters,
)


def subdomain(repo_id: str) -> str:
    return repo_id.replace("/", "-").replace("_", "-").replace(".", "-").lower()


def space_runtime(
    stage: str,
    *,
    hardware: str | None = "cpu-basic",
    requested: str | None = "cpu-basic",
    repo_id: str = "tester/space",
    error: str | None = None,
) -> dict[str, Any]:
    """A Space's ``runtime`` object: ``SpaceRuntime`` reads ``stage``, ``hardware.current``/``.requested``,
    ``gcTimeout``, ``storage``, ``devMode``; the rest stays in its ``raw``."""
    runtime: dict[str, Any] = {
        "stage": stage,
        "hardware": {"current": hardware, "requested": requested},
        "storage": None,
        "gcTimeout": FREE_SLEEP_SECONDS if requested == "cpu-basic" else None,
        "replicas": {"current": 1 if hardware else 0, "requested": 1},
        "devMode": False,
        "domains": [{"domain": f"{subdomain(repo_id)}.hf.space", "stage": "READY"}],
        "sha": stable_hex(f"sha:spaces/{repo_id}", 40),
    }
    if error is not None:
        runtime["errorMessage"] = error
    return runtime


def hub_space(repo_id: str, **overrides: Any) -> dict[str, Any]:
    """A realistic Space as the fake stores it: every property ``GET /api/spaces/{repo_id}`` can return.

    ``overrides`` replace top-level keys; a key set to ``None`` counts as absent (``runtime=None``: the Hub sent no
    runtime). ``readme`` is its README.md, served only by ``/spaces/{repo_id}/resolve/...``.
    """
    name = repo_id.rpartition("/")[2]
    models, datasets = ["tester/ko-embed"], ["tester/ko-triplets"]
    card = {
        "title": name,
        "emoji": "🔎",
        "colorFrom": "blue",
        "colorTo": "indigo",
        "sdk": "gradio",
        "sdk_version": "5.9.1",
        "app_file": "app.py",
        "pinned": False,
        "license": "apache-2.0",
        "short_description": "한국어 의미 검색 데모 (Korean semantic search)",
        "models": models,
        "datasets": datasets,
    }
    return new_repo(
        repo_id,
        {
            "likes": 3,
            "trendingScore": 0,
            "sdk": "gradio",
            "tags": ["gradio", "region:us"],
            "cardData": card,
            "runtime": space_runtime("RUNNING", repo_id=repo_id),
            "models": list(models),
            "datasets": list(datasets),
            "subdomain": subdomain(repo_id),
            "host": f"https://{subdomain(repo_id)}.hf.space",
            "region": "us",
            "usedStorage": 104857,
            "siblings": [{"rfilename": path} for path in (".gitattributes", "README.md", "app.py", "requirements.txt")],
            "readme": card_readme(
                card,
                "Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n",
            ),
        },
        overrides,
        prefix=SPACES.prefix,
        created_at="2025-01-05T08:00:00.000Z",
        last_modified="2025-02-20T10:00:00.000Z",
    )


def seed_spaces() -> list[dict[str, Any]]:
    """The author's Spaces, from ``tests/fixtures/hub/spaces/`` (each file is ``GET /api/spaces/{id}`` with every expand
    value, plus what only the plain GET answers: ``host``, ``gated``), in the listing's order, with a README rebuilt
    from the card.

    ``BGE-m3-ko-demo`` runs on ``cpu-basic`` and uses BGE-m3-ko and the triplets dataset (and cites BGE M3);
    ``ko-reranker-arena`` is ``SLEEPING`` (a free Space after 48 h without visits; a stage huggingface_hub's enum
    lacks), its ``hardware.current`` null. Numbers invented.
    """
    return load_seed("spaces")


def messy_spaces() -> list[dict[str, Any]]:
    """Spaces as the Hub may send them: ``tester/no-runtime`` without ``runtime`` (SpaceInfo.runtime is then None);
    ``tester/broken`` in ``RUNTIME_ERROR`` with the error message; ``tester/new-stage`` in a stage neither library
    knows (the Hub adds stages; ``runtime.stage`` stays the string); ``tester/static-page`` a static Space with no
    models, datasets or card models."""
    broken = space_runtime("RUNTIME_ERROR", hardware=None, repo_id="tester/broken", error="Exit code: 1. Reason: ...")
    static_card = {"title": "static-page", "emoji": "📄", "colorFrom": "gray", "colorTo": "gray", "sdk": "static"}
    return [
        hub_space("tester/no-runtime", runtime=None),
        hub_space("tester/broken", runtime=broken),
        hub_space("tester/new-stage", runtime=space_runtime("QUEUED_FOR_GPU", repo_id="tester/new-stage")),
        hub_space(
            "tester/static-page",
            sdk="static",
            cardData=static_card,
            models=None,
            datasets=None,
            tags=["static", "region:us"],
            runtime=space_runtime("RUNNING", repo_id="tester/static-page"),
        ),
    ]
