"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 that answers the Hub's API as strictly as the Hub.

Tests point the real client at it (``HfApi(endpoint=hub.url, token=False)``), so URL building, pagination, redirects,
error mapping and JSON parsing inside huggingface_hub are exercised rather than mocked away. A lenient fake lets a
wrong request pass every test and fail in production, so this one refuses what the real Hub refuses: ``expand``
values checked per endpoint (400), unknown query parameters (400), 401 / 404 / 403 as the Hub words them, per-caller
quotas shared by every endpoint (429), renames (307), ``Link`` pagination.

It speaks models, datasets and Spaces (listing and detail each), papers (``paper_info``), the user overview and
README.md files. One module per responsibility:

- ``server.py``: ``FakeHub`` (routing, auth, quotas, renames, scripts) and ``ManualClock``;
- ``repos.py``: what the three repo kinds share (expand and parameter checks, views, filters, sort, cursor);
- ``models.py``, ``datasets.py``, ``spaces.py``: each kind's accepted values, shapes, builders and seed;
- ``papers.py``: the paper API and ``arxiv:`` citations;
- ``scripted.py``: canned answers (errors, rate limits, slow or broken answers);
- ``common.py``: fixtures, ids, the Hub's JSON and error answers.

Each module's docstring says what was verified against huggingface_hub and the Hub's docs, and what is a guess. The
shapes come from ``tests/fixtures/hub/`` (real-shaped answers; see its README.md)::

    with FakeHub([hub_model("tester/ko-embed")], page_size=2, tokens={"secret"}) as hub:
        hub.script("tester/ko-embed", rate_limited(), slow(0.5))
        ...

    with FakeHub(seed_models(), datasets=seed_datasets(), spaces=seed_spaces(), papers=seed_papers()) as hub:
        ...  # everything dragonkue publishes, as the Hub shows it, and the papers it cites

By hand, from the repository root (no Django needed)::

    .venv/bin/python -m tests.fakehub --port 8765
"""

from typing import Any

from tests.fakehub.common import (
    ANONYMOUS_DENIED,
    FIXTURES,
    INVALID_TOKEN,
    REPO_DISABLED,
    REPO_NOT_FOUND,
    TOO_MANY_REQUESTS,
    load_fixture,
    object_id,
)
from tests.fakehub.datasets import (
    DATASET_INFO_EXPAND,
    DATASET_LIST_EXPAND,
    hub_dataset,
    messy_datasets,
    seed_datasets,
)
from tests.fakehub.models import (
    LIST_EXPAND,
    LIST_FULL_VIEW,
    LIST_PARAMS,
    LIST_SORTS,
    LIST_VIEW,
    MODEL_INFO_EXPAND,
    MODEL_INFO_ONLY_EXPAND,
    MODEL_INFO_PARAMS,
    MODEL_INFO_VIEW,
    SEED_READMES,
    base_models_from_tags,
    hub_model,
    model_readme,
    mteb_model_index,
    seed_models,
)
from tests.fakehub.papers import cited_papers, hub_paper, messy_papers, paper_author, seed_papers
from tests.fakehub.repos import MAX_LIMIT
from tests.fakehub.scripted import (
    Scripted,
    bare_not_found,
    disabled,
    gated,
    malformed_json,
    missing_anonymous,
    not_found,
    rate_limited,
    server_error,
    slow,
    truncated,
    unauthorized,
)
from tests.fakehub.server import FakeHub, ManualClock
from tests.fakehub.spaces import (
    SPACE_INFO_EXPAND,
    SPACE_LIST_EXPAND,
    hub_space,
    messy_spaces,
    seed_spaces,
    space_runtime,
)

__all__ = [
    "ANONYMOUS_DENIED",
    "DATASET_INFO_EXPAND",
    "DATASET_LIST_EXPAND",
    "FIXTURES",
    "INVALID_TOKEN",
    "LIST_EXPAND",
    "LIST_FULL_VIEW",
    "LIST_PARAMS",
    "LIST_SORTS",
    "LIST_VIEW",
    "MAX_LIMIT",
    "MODEL_INFO_EXPAND",
    "MODEL_INFO_ONLY_EXPAND",
    "MODEL_INFO_PARAMS",
    "MODEL_INFO_VIEW",
    "REPO_DISABLED",
    "REPO_NOT_FOUND",
    "SEED_READMES",
    "SPACE_INFO_EXPAND",
    "SPACE_LIST_EXPAND",
    "TOO_MANY_REQUESTS",
    "FakeHub",
    "ManualClock",
    "Scripted",
    "bare_not_found",
    "base_models_from_tags",
    "cited_papers",
    "disabled",
    "gated",
    "hub_dataset",
    "hub_model",
    "hub_paper",
    "hub_space",
    "load_fixture",
    "malformed_json",
    "messy_datasets",
    "messy_papers",
    "messy_spaces",
    "missing_anonymous",
    "model_readme",
    "mteb_model_index",
    "not_found",
    "object_id",
    "paper_author",
    "rate_limited",
    "seed_datasets",
    "seed_models",
    "seed_papers",
    "seed_spaces",
    "server_error",
    "slow",
    "space_runtime",
    "truncated",
    "unauthorized",
]


def __getattr__(name: str) -> Any:
    # `main` lives in __main__.py (python -m tests.fakehub); importing it here eagerly would make runpy warn that the
    # module was imported before being run, so it is fetched only when someone asks for it.
    if name == "main":
        from tests.fakehub.__main__ import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
