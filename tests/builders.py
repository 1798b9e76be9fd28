"""Small builders for test content: only what a test cares about is spelled out."""

import io
from itertools import count

from contributions.models import Contribution, ContributionGroup
from models_showcase.models import Badge, ModelCard
from portfolio.models import Profile

_serial = count(1)


def make_profile(**fields) -> Profile:
    fields = {"display_name": "Test Owner", "hub_username": "tester", **fields}
    profile = Profile(**fields)
    profile.save()
    return profile


def make_badge(label: str | None = None, **fields) -> Badge:
    return Badge.objects.create(label=label or f"Badge {next(_serial)}", **fields)


def make_card(repo_id: str | None = None, *, badges=(), is_published=True, **fields) -> ModelCard:
    card = ModelCard.objects.create(
        repo_id=repo_id or f"tester/model-{next(_serial)}", is_published=is_published, **fields
    )
    card.badges.set(badges)
    return card


def make_group(title: str | None = None, **fields) -> ContributionGroup:
    return ContributionGroup.objects.create(title=title or f"Group {next(_serial)}", **fields)


def make_contribution(pr_url: str | None = None, *, group=None, is_published=True, **fields) -> Contribution:
    fields = {"title": f"Contribution {next(_serial)}", **fields}
    return Contribution.objects.create(
        pr_url=pr_url or f"https://github.com/example/project/pull/{next(_serial)}",
        group=group or make_group(),
        is_published=is_published,
        **fields,
    )


class Terminal(io.StringIO):
    """Output or input that says it is a terminal (for progress lines and confirmation prompts)."""

    def isatty(self):
        return True
