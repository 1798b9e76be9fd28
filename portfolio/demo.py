"""Load the demo content (the seed page) into the database, adding only what is missing.

Keyed on natural keys (badge label, Hub id, group title, pull request URL), so a
second run changes nothing, and anything the owner has edited is left alone.

A card in the file has the fields of ModelCard: its `summary` is what the card says on
the home page (the seed page's one-liners); a `description` would be the write-up on the
model's own page, which the seed page never had.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from contributions.models import Contribution, ContributionGroup
from models_showcase.models import Badge, ModelCard
from portfolio.models import Profile, ProfileLink

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "seed.json"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"created {len(self.created)}, kept {len(self.kept)} already present (left as they are)"


def has_content() -> bool:
    return Profile.objects.exists() or ModelCard.objects.exists() or Contribution.objects.exists()


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

        for item in data["model_cards"]:
            item = dict(item)
            badge_labels = item.pop("badges", [])
            if ModelCard.objects.filter(repo_id__iexact=item["repo_id"]).exists():
                report.kept.append(f"card {item['repo_id']}")
                continue
            card = ModelCard(**item)
            _create(card, report, f"card {card.repo_id}")
            card.badges.set([badges[label] for label in badge_labels])

        groups = {}
        for item in data["contribution_groups"]:
            group = ContributionGroup.objects.filter(title=item["title"]).first()
            if group:
                report.kept.append(f"group {group}")
            else:
                group = ContributionGroup(**item)
                _create(group, report, f"group {group}")
            groups[item["title"]] = group

        for item in data["contributions"]:
            item = dict(item, group=groups[item["group"]])
            if Contribution.objects.filter(pr_url__iexact=item["pr_url"]).exists():
                report.kept.append(f"contribution {item['pr_url']}")
                continue
            _create(Contribution(**item), report, f"contribution {item['pr_url']}")
    return report
