"""Papers, as ``GET /api/papers/{arxiv_id}`` answers them (``HfApi.paper_info``), and how repos cite them.

Verified against huggingface_hub 2.4 and its production tests:

- ``paper_info(id)`` sends ``GET {endpoint}/api/papers/{id}`` with the id as given (not quoted, no version stripped),
  no query parameters and no headers at all: no token even when ``HfApi`` has one (``get_session().get(path)``), so
  every paper request counts against the caller's anonymous quota; and no timeout argument (only a client factory's
  timeout bounds it).
- ``PaperInfo`` reads ``id``, ``title``, ``summary``, ``publishedAt``, ``upvotes``, ``discussionId``, ``authors``
  (``PaperAuthor``: ``name``, ``hidden``, ``status``, ``statusLastChangedAt``, ``user``), ``submittedOnDailyAt`` /
  ``submittedOnDailyBy``, ``numComments``, ``ai_summary``, ``ai_keywords``, ``organization``, ``projectPage``,
  ``githubRepo``, ``githubStars``, and, since the Hub added them (huggingface_hub PR #4240), ``linkedModels`` /
  ``numTotalModels``, ``linkedDatasets`` / ``numTotalDatasets``, ``linkedSpaces``, parsed as ModelInfo, DatasetInfo
  and SpaceInfo. Other keys (``mediaUrls``, ``numTotalSpaces``, ``githubRepoAddedBy``) land in its ``__dict__``.
- An unknown id is a 404 without ``X-Error-Code`` (the production test asks ``1234.56789``): a plain HfHubHTTPError.
  hub-docs ``paper-pages.md``: a real arXiv paper nobody has indexed on the Hub has no page yet, so a repo's
  ``arxiv:`` tag may name a paper the API answers 404 for.
- Repos cite papers by ``arxiv:<id>`` tags, which the Hub adds to a model, dataset or Space whose card links an arXiv
  abstract, PDF or paper page (``paper-pages.md``); ``cited_papers`` reads them.

How the library parses real shapes: ``authors: []`` becomes ``authors`` None (it tests ``if authors``); a paper
without ``publishedAt`` has ``published_at`` None; ``organization`` carries ``avatar``, not the ``avatarUrl``
Organization reads, so ``avatar_url`` is "" and the URL sits in ``organization.avatar``; a hidden author is still in
``authors`` (``hidden=True``), so a page must filter it out itself.

Guesses: the 404 message; what a linked repo carries (its kind's default listing view), their order (most liked
first) and cap (``LINKED_LIMIT``); a versioned id (``2402.03216v2``) answering 404; the ``_id``s. In the seed the
titles, authors and arXiv submission days are the papers' own; ``summary`` is a short paraphrase, not arXiv's
abstract; times, upvotes, stars and AI summaries are invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakehub.common import FIXTURES, error_response, load_fixture, object_id, str_tags
from tests.fakeserver import Response

PAPER_NOT_FOUND = "Paper not found"
LINKED_LIMIT = 20
ARXIV_TAG = re.compile(r"arxiv:(\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})")


def paper_author(name: str, *, user: str | None = None, hidden: bool = False) -> dict[str, Any]:
    """One of a paper's ``authors``; with ``user``, an author who claimed the paper with that Hub account."""
    author: dict[str, Any] = {"_id": object_id(f"author:{name}"), "name": name, "hidden": hidden}
    if user is not None:
        author["status"] = "claimed_verified"
        author["statusLastChangedAt"] = "2024-06-01T12:00:00.000Z"
        author["user"] = {
            "_id": object_id(f"user:{user}"),
            "avatarUrl": f"/avatars/{object_id(f'avatar:{user}')}.svg",
            "isPro": False,
            "fullname": name,
            "user": user,
            "type": "user",
        }
    return author


def hub_paper(arxiv_id: str, **overrides: Any) -> dict[str, Any]:
    """A paper as the fake stores it (what ``/api/papers/{id}`` answers, less the linked repos it computes). A key set
    to ``None`` counts as absent (``publishedAt=None``: a paper the Hub has no date for)."""
    paper: dict[str, Any] = {
        "id": arxiv_id,
        "authors": [paper_author("Ji-woo Kim"), paper_author("Tester Lee", user="tester")],
        "publishedAt": "2024-05-01T17:59:59.000Z",
        "title": "Korean Retrieval with Hard Negatives",
        "summary": "We fine-tune multilingual embedding models on Korean triplets and report retrieval results.",
        "upvotes": 4,
        "discussionId": object_id(f"discussion:{arxiv_id}", "2024-05-02T00:00:00.000Z"),
    }
    paper.update(overrides)
    return {key: value for key, value in paper.items() if value is not None}


def seed_papers() -> list[dict[str, Any]]:
    """The papers the seed's repos cite through their ``arxiv:`` tags, from ``tests/fixtures/hub/papers/``."""
    return [load_fixture(f"papers/{path.name}") for path in sorted((FIXTURES / "papers").glob("*.json"))]


def messy_papers() -> list[dict[str, Any]]:
    """Papers as the Hub sends them at the edges (under ids no arXiv paper has: month 99): ``2099.00001`` with a
    hidden author and one who claimed it; ``2099.00002`` without ``publishedAt`` and with no authors at all;
    ``2099.00003`` with no upvotes (0) and an organization."""
    organization = {
        "_id": object_id("org:tester-lab"),
        "name": "tester-lab",
        "fullname": "Tester Lab",
        "avatar": "https://cdn-avatars.huggingface.co/v1/production/uploads/tester-lab.png",
    }
    return [
        hub_paper(
            "2099.00001",
            authors=[paper_author("Hidden Person", hidden=True), paper_author("Tester Lee", user="tester")],
        ),
        hub_paper("2099.00002", publishedAt=None, authors=[]),
        hub_paper("2099.00003", upvotes=0, organization=organization),
    ]


def cited_papers(repos: Iterable[Mapping[str, Any]]) -> list[str]:
    """The arXiv ids the repos cite through their ``arxiv:`` tags, each once, in order."""
    return list(
        dict.fromkeys(match[1] for repo in repos for tag in str_tags(repo) if (match := ARXIV_TAG.fullmatch(tag)))
    )


def paper_answer(paper: Mapping[str, Any], linked: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The answer for a stored paper; ``linked`` holds each kind's citing repos, already in their listing view and
    order. The Hub answers the first ``LINKED_LIMIT`` of each and the totals."""
    answer = {key: value for key, value in paper.items() if value is not None}
    for kind, key in (("models", "Models"), ("datasets", "Datasets"), ("spaces", "Spaces")):
        repos = linked.get(kind, [])
        answer[f"linked{key}"] = repos[:LINKED_LIMIT]
        answer[f"numTotal{key}"] = len(repos)
    return answer


def paper_not_found() -> Response:
    return error_response(404, PAPER_NOT_FOUND, **{"X-Error-Message": PAPER_NOT_FOUND})
