"""Datasets, as ``GET /api/datasets?author=...`` and ``GET /api/datasets/{repo_id}`` answer them.

Verified against huggingface_hub 2.4:

- ``DATASET_INFO_EXPAND`` is ``ExpandDatasetProperty_T``; ``DATASET_LIST_EXPAND`` is what ``list_datasets``'
  docstring names, which is the same twenty values (unlike models, whose listing refuses three: PR #3182 narrowed
  only ``list_models``' docstring). The fake follows the library; whether the real listing refuses ``usedStorage``
  as the model listing does is unknown, so a sync should not ask the listing for it.
- The parameters are what ``list_datasets`` / ``dataset_info`` / ``paginate`` send (``filter`` carries
  ``language:``, ``size_categories:``, ``task_categories:``... and ``benchmark:`` values; ``search`` may repeat, one
  per ``dataset_name`` and ``search``), plus ``direction`` (hub-docs ``api.md``) and ``full`` on the detail (ditto).
  Sorts: ``DatasetSort_T`` as the client maps it.
- Keys and their types are ``DatasetInfo``'s and huggingface.js ``api-dataset.ts``' ``ApiDatasetInfo``
  (``cardData`` after ``ApiDatasetMetadata``: license, language, size_categories, task_categories, pretty_name,
  configs, and the ``dataset_info`` block ``datasets`` writes, with ``splits[].num_examples``). huggingface_hub's own
  production tests show that ``expand`` answers only ``_id``, ``id`` and the asked-for keys, that the default
  listing has no ``cardData`` and that ``full=true`` adds it.
- Tags are written as the Hub writes them: ``task_categories:``, ``task_ids:``, ``language:``, ``license:``,
  ``size_categories:`` from the card, the card's own tags, then ``format:``, ``modality:``, ``library:``,
  ``arxiv:`` and ``region:us`` (hub-docs ``paper-pages.md``: a card linking an arXiv paper gets its ``arxiv:`` tag).
- The dataset viewer's row count is NOT in this API: it comes only from the dataset viewer's own server
  (``datasets-server.huggingface.co/size``, ``num_rows``), which huggingface_hub refuses to call on any endpoint
  but huggingface.co (``list_dataset_parquet_files`` raises ValueError). The fake does not invent it; what the Hub
  API does give is the card's ``dataset_info.splits[].num_examples``, which the author (or ``datasets``) wrote.

Guesses: ``DATASET_INFO_VIEW`` / ``DATASET_LIST_VIEW`` / ``DATASET_LIST_FULL_VIEW`` (the keys without ``expand``);
``description`` starting with the tabs and newlines the Hub leaves where it strips the card's heading markup; the tag
order; the absence of ``description`` and ``citation`` on a repo without README. The seed's numbers are invented.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fakehub.common import card_readme, hub_tags, load_seed
from tests.fakehub.repos import DETAIL_PARAMS, LISTING_PARAMS, SORTS, STATE, Detail, Listing, RepoKind, new_repo

# huggingface_hub 2.4's ExpandDatasetProperty_T, copied (the fake plays the server); tests compare it with the client.
DATASET_INFO_EXPAND: tuple[str, ...] = (
    "author",
    "cardData",
    "citation",
    "createdAt",
    "description",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "likes",
    "mainSize",
    "paperswithcode_id",
    "private",
    "resourceGroup",
    "sha",
    "siblings",
    "tags",
    "trendingScore",
    "usedStorage",
)
DATASET_LIST_EXPAND: tuple[str, ...] = DATASET_INFO_EXPAND  # list_datasets' docstring names every one

DATASET_LIST_PARAMS = LISTING_PARAMS | {"gated"}
DATASET_INFO_PARAMS = DETAIL_PARAMS | {"full"}
DATASET_LIST_SORTS = (*SORTS, "downloads")

DATASET_LIST_VIEW: tuple[str, ...] = (*STATE, "tags", "description", "downloads", "likes", "trendingScore", "createdAt")
DATASET_INFO_VIEW: tuple[str, ...] = (
    *STATE,
    "tags",
    "citation",
    "description",
    "downloads",
    "likes",
    "paperswithcode_id",
    "cardData",
    "siblings",
    "createdAt",
    "usedStorage",
)
DATASET_LIST_FULL_VIEW: tuple[str, ...] = (*DATASET_LIST_VIEW, "citation", "paperswithcode_id", "cardData", "siblings")

# The card keys the Hub turns into `<key>:<value>` tags, in the order it writes them.
CARD_TAG_KEYS = ("task_categories", "task_ids", "language", "license", "size_categories")
# What the Hub adds for a dataset of parquet (or json) files it can load with these libraries.
FILE_TAGS = ("modality:text", "library:datasets", "library:pandas", "library:mlcroissant", "library:polars")

DATASETS = RepoKind(
    "datasets",
    Detail(DATASET_INFO_EXPAND, DATASET_INFO_PARAMS, DATASET_INFO_VIEW),
    Listing(DATASET_LIST_EXPAND, DATASET_LIST_PARAMS, DATASET_LIST_SORTS, DATASET_LIST_VIEW, DATASET_LIST_FULL_VIEW),
)


def dataset_tags(
    card: dict[str, Any] | None, *, file_format: str = "parquet", arxiv: tuple[str, ...] = ()
) -> list[str]:
    """A dataset's ``tags`` as the Hub derives them from its card, files and cited papers."""
    own = [tag for tag in (card or {}).get("tags") or [] if isinstance(tag, str)]
    return [
        *hub_tags(card, CARD_TAG_KEYS),
        *own,
        f"format:{file_format}",
        *FILE_TAGS,
        *(f"arxiv:{paper}" for paper in arxiv),
        "region:us",
    ]


def hub_dataset(repo_id: str, **overrides: Any) -> dict[str, Any]:
    """A realistic dataset as the fake stores it: every property ``GET /api/datasets/{repo_id}`` can return.

    ``overrides`` replace top-level keys; a key set to ``None`` counts as absent (``cardData=None``: a repo without
    card metadata). ``readme`` is its README.md, served only by ``/datasets/{repo_id}/resolve/...``.
    """
    name = repo_id.rpartition("/")[2]
    card = {
        "language": ["ko"],
        "license": "apache-2.0",
        "size_categories": ["10K<n<100K"],
        "task_categories": ["sentence-similarity", "text-retrieval"],
        "pretty_name": f"{name} (한국어 검색)",
        "tags": ["retrieval"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
        "dataset_info": {
            "features": [{"name": column, "dtype": "string"} for column in ("query", "positive", "negative")],
            "splits": [{"name": "train", "num_bytes": 8123456, "num_examples": 12000}],
            "download_size": 4567890,
            "dataset_size": 8123456,
        },
    }
    return new_repo(
        repo_id,
        {
            "downloads": 321,
            "downloadsAllTime": 4567,
            "likes": 5,
            "trendingScore": 1,
            "tags": dataset_tags(card),
            "cardData": card,
            "description": f"\n\t\n\t\t\n\t\t{name}\n\t\n\nKorean (query, positive, negative) triplets for retrieval.",
            "citation": None,
            "paperswithcode_id": None,
            "mainSize": 4567890,
            "usedStorage": 9135780,
            "siblings": [
                {"rfilename": path} for path in (".gitattributes", "README.md", "data/train-00000-of-00001.parquet")
            ],
            "readme": card_readme(card, f"# {name}\n\nKorean (query, positive, negative) triplets for retrieval.\n"),
        },
        overrides,
        prefix=DATASETS.prefix,
        created_at="2024-12-01T12:00:00.000Z",
        last_modified="2025-02-10T09:00:00.000Z",
    )


def seed_datasets() -> list[dict[str, Any]]:
    """The author's datasets, from ``tests/fixtures/hub/datasets/`` (each file is ``GET /api/datasets/{id}`` with every
    expand value), in the listing's order, with a README rebuilt from the card and ``readme_body``.

    ``ko-retrieval-triplets`` has a full card citing BGE M3 (``arxiv:2402.03216``); ``ko-hard-negatives-raw`` was
    uploaded without a README: no ``cardData``, ``description`` or ``citation``, and only the tags the Hub derives
    from its files. Numbers invented.
    """
    return load_seed("datasets")


def messy_datasets() -> list[dict[str, Any]]:
    """Datasets the way authors really leave them, each a shape the Hub serves:

    ``tester/no-card`` has no card metadata at all (``cardData`` absent, ``card_data`` None); ``tester/one-size``
    writes ``size_categories`` and ``language`` as plain strings and ``dataset_info`` as a list, one entry per
    config (``datasets`` writes it so for a multi-config dataset); ``tester/gated-eval`` is gated (``"manual"``): its
    metadata is public all the same.
    """
    no_card = hub_dataset(
        "tester/no-card", cardData=None, description=None, tags=dataset_tags(None, file_format="json")
    )
    one_size = hub_dataset("tester/one-size")
    card = copy.deepcopy(one_size["cardData"])
    card.update(size_categories="n<1K", language="ko", pretty_name=None)
    card["dataset_info"] = [
        {"config_name": config, "splits": [{"name": "test", "num_bytes": 20480, "num_examples": examples}]}
        for config, examples in (("corpus", 812), ("queries", 96))
    ]
    one_size.update(cardData={k: v for k, v in card.items() if v is not None}, tags=dataset_tags(card))
    gated_eval = hub_dataset("tester/gated-eval", gated="manual")
    return [no_card, one_size, gated_eval]
