"""Models, as ``GET /api/models`` and ``GET /api/models/{repo_id}`` answer them: what each endpoint accepts, the
stored shape (``hub_model``), the dragonkue seed (``seed_models``), and the model kind the server serves.

Verified against huggingface_hub 2.4 (``ExpandModelProperty_T``, ``list_models``' docstring, ``ModelInfo``) and the
real-shaped answers in ``tests/fixtures/hub/`` (see its README.md); ``LIST_VIEW`` / ``LIST_FULL_VIEW`` are the Hub's
known default listing, not a recording.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tests.fakehub.common import FIXTURES, first, flag, load_fixture, object_id, str_tags
from tests.fakehub.repos import DETAIL_PARAMS, LISTING_PARAMS, SORTS, Detail, Listing, RepoKind, new_repo

# huggingface_hub 2.4's ExpandModelProperty_T: what GET /api/models/{id}?expand=... accepts. Kept as a copy rather than
# read from the client because the fake plays the server, which does not change when the client does; the tests check
# the copy against the installed client so a drift is noticed.
MODEL_INFO_EXPAND: tuple[str, ...] = (
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "gguf",
    "inference",
    "inferenceProviderMapping",
    "lastModified",
    "library_name",
    "likes",
    "mask_token",
    "model-index",
    "pipeline_tag",
    "private",
    "resourceGroup",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "transformersInfo",
    "trendingScore",
    "usedStorage",
    "widgetData",
)
# The listing computes these per repo only on the single-model endpoint; list_models' docstring leaves them out, and
# the Hub answers 400 when a listing asks for them.
MODEL_INFO_ONLY_EXPAND = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
LIST_EXPAND: tuple[str, ...] = tuple(value for value in MODEL_INFO_EXPAND if value not in MODEL_INFO_ONLY_EXPAND)

# Query parameters, from what huggingface_hub's list_models / model_info / paginate can send, plus the listing's
# documented `direction`, `library` and `language` (hub-docs' API reference; older clients sent them).
LIST_PARAMS = LISTING_PARAMS | {
    "gated",
    "apps",
    "inference",
    "inference_provider",
    "pipeline_tag",
    "num_parameters",
    "library",
    "language",
    "cardData",
    "config",
}
MODEL_INFO_PARAMS = DETAIL_PARAMS | {"securityStatus"}
LIST_SORTS = (SORTS[0], "downloads", *SORTS[1:])

# GET /api/models/{id} without expand: the keys of models/*.full.json, in its order. `modelId` is derived from `id`;
# `model-index` is always there (null when the card has none), the rest only when the model has them.
MODEL_INFO_VIEW: tuple[str, ...] = (
    "_id",
    "id",
    "private",
    "pipeline_tag",
    "library_name",
    "tags",
    "downloads",
    "likes",
    "modelId",
    "author",
    "sha",
    "lastModified",
    "gated",
    "disabled",
    "mask_token",
    "widgetData",
    "model-index",
    "config",
    "cardData",
    "transformersInfo",
    "siblings",
    "spaces",
    "gguf",
    "createdAt",
    "safetensors",
    "usedStorage",
)
# GET /api/models without expand: the small set the Hub's listing answers by default (pipeline_tag and library_name
# only when set). Not in the fixtures; taken from the Hub's known default listing.
LIST_VIEW: tuple[str, ...] = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
# ?full=true adds the repo's identity and state (a guess at the exact set: the app's sync never asks for it).
LIST_FULL_VIEW: tuple[str, ...] = (*LIST_VIEW[:2], "author", "sha", "lastModified", "gated", "disabled", *LIST_VIEW[2:])


# --- Model JSON -------------------------------------------------------------------------------------------------------


def hub_model(repo_id: str, **overrides: Any) -> dict[str, Any]:
    """A realistic model as the fake stores it: every property the Hub can return for it (what
    ``GET /api/models/{repo_id}?expand=...`` with every value and the plain ``GET`` give together).

    ``overrides`` replace top-level keys; a key set to ``None`` counts as absent. Without an ``_id`` override, the
    ``_id`` follows ``createdAt``. There is no ``evalResults`` (most models have none): add it as an override.
    ``readme`` is the text of its README.md, served only by ``/resolve/`` (``readme=None``: the repo has none).
    """
    name = repo_id.rpartition("/")[2]
    model_index = [
        {
            "name": name,
            "results": [
                {
                    "task": {"type": "Retrieval", "name": "Retrieval"},
                    # Korean in the payload checks that UTF-8 survives the server and the client's parsing.
                    "dataset": {
                        "type": "mteb/ko-retrieval",
                        "name": "MTEB Ko-Retrieval (한국어 검색)",
                        "config": "default",
                        "split": "test",
                    },
                    "metrics": [{"type": "ndcg_at_10", "value": 0.7431, "name": "NDCG@10", "verified": False}],
                }
            ],
        }
    ]
    tags = [
        "sentence-transformers",
        "safetensors",
        "xlm-roberta",
        "sentence-similarity",
        "feature-extraction",
        "ko",
        "en",
        "dataset:nlpai-lab/ko-triplet-v1.0",
        "base_model:BAAI/bge-m3",
        "base_model:finetune:BAAI/bge-m3",
        "license:apache-2.0",
        "model-index",
        "autotrain_compatible",
        "text-embeddings-inference",
        "endpoints_compatible",
        "region:us",
    ]
    widget = [
        {
            "source_sentence": "대한민국의 수도는 어디인가요?",
            "sentences": ["서울은 대한민국의 수도이다.", "부산은 항구 도시이다."],
        }
    ]
    model = new_repo(
        repo_id,
        {
            "downloads": 1234,
            "downloadsAllTime": 56789,
            "likes": 42,
            "trendingScore": 3,
            "library_name": "sentence-transformers",
            "pipeline_tag": "sentence-similarity",
            "tags": tags,
            "cardData": {
                "license": "apache-2.0",
                "language": ["ko", "en"],
                "datasets": ["nlpai-lab/ko-triplet-v1.0"],
                "base_model": "BAAI/bge-m3",
                "pipeline_tag": "sentence-similarity",
                "library_name": "sentence-transformers",
                "tags": ["sentence-transformers", "sentence-similarity", "feature-extraction"],
                "widget": widget,
                "model-index": model_index,
            },
            "model-index": copy.deepcopy(model_index),
            "widgetData": copy.deepcopy(widget),
            "safetensors": {"parameters": {"F32": 567754752}, "total": 567754752},
            "baseModels": {
                "relation": "finetune",
                "models": [{"_id": object_id("BAAI/bge-m3", "2024-01-27T17:10:25.000Z"), "id": "BAAI/bge-m3"}],
            },
            "childrenModelCount": 2,
            "usedStorage": 2271062340,
            "config": {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta"},
            "transformersInfo": {
                "auto_model": "AutoModel",
                "pipeline_tag": "feature-extraction",
                "processor": "AutoTokenizer",
            },
            "siblings": [
                {"rfilename": name} for name in (".gitattributes", "README.md", "config.json", "model.safetensors")
            ],
            "spaces": [],
            "readme": model_readme(
                repo_id,
                f"{name} is a Korean and English sentence embedding model, fine-tuned from "
                "[BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3) on Korean retrieval triplets. "
                "It maps sentences and paragraphs to a 1024-dimensional dense vector space.",
            ),
        },
        overrides,
        created_at="2024-11-02T14:05:12.000Z",
        last_modified="2025-01-15T08:30:00.000Z",
    )
    return model


def model_readme(
    repo_id: str, summary: str, *, license: str = "apache-2.0", languages: Sequence[str] = ("ko", "en")
) -> str:
    """A README.md as model authors write them: YAML front matter, a title, badges, an HTML comment, the summary
    paragraph(s), then usage code."""
    name = repo_id.rpartition("/")[2]
    language = "".join(f"\n- {code}" for code in languages)
    return (
        f"---\nlicense: {license}\nlanguage:{language}\nlibrary_name: sentence-transformers\n"
        "pipeline_tag: sentence-similarity\ntags:\n- sentence-transformers\n---\n\n"
        f"# {name}\n\n"
        f"[![License](https://img.shields.io/badge/license-{license.replace('-', '--')}-blue)](LICENSE)\n\n"
        "<!-- Provide a quick summary of what the model is/does. -->\n\n"
        f"{summary}\n\n"
        "## Usage\n\n```python\nfrom sentence_transformers import SentenceTransformer\n\n"
        f'model = SentenceTransformer("{repo_id}")\nembeddings = model.encode(["안녕하세요"])\n```\n'
    )


# The seed models' README summaries, after the seed page's descriptions (Korean first, as the author writes them).
SEED_READMES: dict[str, str] = {
    "dragonkue/BGE-m3-ko": (
        "BGE-m3-ko는 [BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3)를 한국어 검색 데이터로 미세 조정한 임베딩 "
        "모델입니다. AutoRAG 임베딩 벤치마크에서 SOTA를 기록했습니다.\n\n"
        "It maps Korean and English sentences to a 1024-dimensional dense vector space for retrieval and semantic "
        "similarity."
    ),
    "dragonkue/bge-reranker-v2-m3-ko": (
        "bge-reranker-v2-m3-ko는 BAAI/bge-reranker-v2-m3를 한국어 질의-문서 쌍으로 미세 조정한 리랭커입니다. "
        "AutoRAG 벤치마크에서 리랭커 SOTA를 기록했습니다."
    ),
    "dragonkue/multilingual-e5-small-ko": (
        "multilingual-e5-small-ko는 intfloat/multilingual-e5-small을 한국어 검색에 맞게 미세 조정한 작은 임베딩 "
        "모델입니다. A small, fast embedding model for Korean retrieval."
    ),
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko": (
        "snowflake-arctic-embed-l-v2.0-ko는 한국어 IR 벤치마크(**MTEB-ko-retrieval Leaderboard**)에서 종합 SOTA를 "
        "기록한 임베딩 모델입니다."
    ),
    "dragonkue/multilingual-e5-small-ko-v2": (
        "multilingual-e5-small-ko-v2는 multilingual-e5-small-ko의 두 번째 판으로, 더 많은 한국어 검색 데이터로 "
        "학습했습니다."
    ),
}


def base_models_from_tags(tags: Iterable[str]) -> dict[str, Any] | None:
    """``baseModels`` as the Hub derives it from a card's ``base_model:<relation>:<id>`` tags (None without any).

    The Hub's object holds one relation; a card mixing relations keeps the first tag's. The base models' ``_id`` are
    made up (stable per id): the real ones are not in the tags.
    """
    related = [tag.split(":", 2)[1:] for tag in tags if tag.startswith("base_model:") and tag.count(":") >= 2]
    if not related:
        return None
    relation = related[0][0]
    ids = list(dict.fromkeys(repo for rel, repo in related if rel == relation))
    return {"relation": relation, "models": [{"_id": object_id(repo), "id": repo} for repo in ids]}


def seed_models() -> list[dict[str, Any]]:
    """The five dragonkue models, each with every property the fixtures know.

    Built from the author's listing (``list/author=dragonkue.expand-without-baseModels.200.json``), completed by
    ``models/*.expand.json`` (which adds ``baseModels``) and ``models/*.full.json`` (config, siblings, usedStorage...)
    where they exist; the two models with no file of their own get ``baseModels`` from their ``base_model:`` tags.
    What the seed shows: BGE-m3-ko has a model-index and no base model; the reranker's pipeline is ``text-ranking``
    and its ``cardData.base_model`` a list; snowflake-ko has no model-index.
    """
    models = []
    for listed in load_fixture("list/author=dragonkue.expand-without-baseModels.200.json"):
        model = dict(listed)
        stem = listed["id"].replace("/", "--")
        expand_file, full_file = FIXTURES / "models" / f"{stem}.expand.json", FIXTURES / "models" / f"{stem}.full.json"
        if expand_file.exists():
            model.update(load_fixture(f"models/{expand_file.name}"))
        else:
            base_models = base_models_from_tags(model.get("tags", []))
            if base_models is not None:
                model["baseModels"] = base_models
        if full_file.exists():
            # Only what the expand answers lack; the full answer's `"model-index": null` means "none", and `modelId`
            # is derived from `id` when answering.
            extra = load_fixture(f"models/{full_file.name}")
            model.update({k: v for k, v in extra.items() if k not in model and v is not None and k != "modelId"})
        if listed["id"] in SEED_READMES:
            card = model.get("cardData") or {}
            languages = card.get("language") or ["ko"]
            model["readme"] = model_readme(
                listed["id"],
                SEED_READMES[listed["id"]],
                license=str(card.get("license") or "apache-2.0"),
                languages=[languages] if isinstance(languages, str) else languages,
            )
        models.append(model)
    return models


def mteb_model_index() -> list[dict[str, Any]]:
    """A model-index in MTEB's layout (22 tasks, 1,424 metric rows; values synthetic): a list, as in a card."""
    return load_fixture("mteb-shaped.model-index.json")


# --- The kind ---------------------------------------------------------------------------------------------------------


def _model_filters(model: Mapping[str, Any], query: Mapping[str, list[str]]) -> bool:
    """The model listing's own filters. ``library`` and ``language`` match tags (the Hub tags a model with its library
    and languages); apps, inference, inference_provider and num_parameters are accepted but not applied: the fake has
    no providers or parameter counts to filter on."""
    pipeline = first(query, "pipeline_tag")
    if pipeline is not None and model.get("pipeline_tag") != pipeline:
        return False
    tags = str_tags(model)
    return all(value.lower() in tags for value in [*query.get("library", []), *query.get("language", [])])


def _security_status(query: Mapping[str, list[str]]) -> dict[str, Any]:
    # A clean scan; the shape huggingface_hub keeps as ModelInfo.security_repo_status.
    return {"securityRepoStatus": {"scansDone": True, "filesWithIssues": []}} if flag(query, "securityStatus") else {}


MODELS = RepoKind(
    "models",
    Detail(
        MODEL_INFO_EXPAND,
        MODEL_INFO_PARAMS,
        MODEL_INFO_VIEW,
        exclusive=("securityStatus", "blobs"),
        # `model-index` is the one key the real answer keeps as null rather than leaving out (models/*.full.json).
        kept_null=frozenset({"model-index"}),
        flag_keys=_security_status,
    ),
    Listing(
        LIST_EXPAND,
        LIST_PARAMS,
        LIST_SORTS,
        LIST_VIEW,
        LIST_FULL_VIEW,
        exclusive=("full", "cardData", "config"),
        flags={"cardData": "cardData", "config": "config"},
    ),
    matches=_model_filters,
    aliases={"modelId": "id"},
)
