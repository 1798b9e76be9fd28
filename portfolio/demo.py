"""Load the demo content (the seed page) into the database, adding only what is missing.

Keyed on natural keys (badge label, Hub id, group title, pull request URL; GitHub's
repository id, and the contribution a pull request's data belongs to), so a second run
changes nothing, and anything the owner has edited or sync_github has written is left alone.

A card in the file has the fields of HubCard: its `summary` is what the card says on
the home page (the seed page's one-liners); a `description` would be the write-up on the
card's own page, which the seed page never had. `model_cards`, `dataset_cards` and
`space_cards` are the three kinds. A paper carries the title, authors and date arXiv gives
it, and the demo's cards that cite it; sync_hub fills in the rest.

A contribution's `pull_request` and the `github_repositories` are what sync_github stores
for them, so the page shows the pull request's state and numbers before any sync. They are
left unsynced (no `synced_at`, no ETag): the first sync fetches them in full and replaces them.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest
from models_showcase.models import Badge, DatasetCard, HubCard, ModelCard, SpaceCard
from models_showcase.papers.models import Paper
from portfolio.models import Profile, ProfileLink

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "seed.json"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"created {len(self.created)}, kept {len(self.kept)} already present (left as they are)"


def has_content() -> bool:
    return Profile.objects.exists() or HubCard.objects.exists() or Contribution.objects.exists()


def _create(obj, report: LoadReport, label: str) -> None:
    obj.full_clean()  # a broken data file fails loudly, naming the field
    obj.save()
    report.created.append(label)


def load_demo(*, path: Path = DEMO_FILE) -> LoadReport:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    report = LoadReport()
    with transaction.atomic():
        if Profile.objects.exists():
            report.kept.append("profile")
        else:
            profile_data = dict(data["profile"])
            links = profile_data.pop("links", [])
            profile = Profile(**profile_data)
            _create(profile, report, "profile")
            for link in links:
                _create(ProfileLink(profile=profile, **link), report, f"link {link['url']}")

        badges = {}
        for item in data["badges"]:
            badge = Badge.objects.filter(label=item["label"]).first()
            if badge:
                report.kept.append(f"badge {badge}")
            else:
                badge = Badge(**item)
                _create(badge, report, f"badge {badge}")
            badges[item["label"]] = badge

        cards = [
            (proxy, item)
            for key, proxy in (("model_cards", ModelCard), ("dataset_cards", DatasetCard), ("space_cards", SpaceCard))
            for item in data.get(key, [])
        ]
        for proxy, item in cards:
            item = dict(item)
            badge_labels = item.pop("badges", [])
            if proxy.objects.filter(repo_id__iexact=item["repo_id"]).exists():
                report.kept.append(f"card {item['repo_id']}")
                continue
            card = proxy(**item)
            _create(card, report, f"card {card.hub_path}")
            card.badges.set([badges[label] for label in badge_labels])

        for item in data.get("papers", []):
            item = dict(item)
            citing = item.pop("cited_by", [])
            if Paper.objects.filter(arxiv_id=item["arxiv_id"]).exists():
                report.kept.append(f"paper arXiv:{item['arxiv_id']}")
                continue
            paper = Paper(**item)
            _create(paper, report, f"paper arXiv:{paper.arxiv_id}")
            paper.cited_by.set(HubCard.objects.filter(kind="model", repo_id__in=citing))

        groups = {}
        for item in data["contribution_groups"]:
            group = ContributionGroup.objects.filter(title=item["title"]).first()
            if group:
                report.kept.append(f"group {group}")
            else:
                group = ContributionGroup(**item)
                _create(group, report, f"group {group}")
            groups[item["title"]] = group

        repositories = {}
        for item in data.get("github_repositories", []):
            repository = GitHubRepository.objects.filter(github_id=item["github_id"]).first()
            repository = repository or GitHubRepository.objects.filter(full_name__iexact=item["full_name"]).first()
            if repository:
                report.kept.append(f"repository {repository}")
            else:
                repository = GitHubRepository(**item)
                _create(repository, report, f"repository {repository}")
            repositories[item["full_name"]] = repository

        for item in data["contributions"]:
            item = dict(item, group=groups[item["group"]])
            github = item.pop("pull_request", None)
            contribution = Contribution.objects.filter(pr_url__iexact=item["pr_url"]).first()
            if contribution:
                report.kept.append(f"contribution {item['pr_url']}")
            else:
                contribution = Contribution(**item)
                _create(contribution, report, f"contribution {item['pr_url']}")
            if github is None:
                continue
            if PullRequest.objects.filter(contribution=contribution).exists():
                report.kept.append(f"pull request data {item['pr_url']}")
                continue
            github = dict(github, repository=repositories[github["repository"]])
            _create(PullRequest(contribution=contribution, **github), report, f"pull request data {item['pr_url']}")
    return report
