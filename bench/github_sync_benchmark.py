"""Benchmark sync_github: N contributions spread over R repositories, against the strict fake GitHub on this machine.

    .venv/bin/python bench/github_sync_benchmark.py [--contributions 200] [--repos 50] [--timeout 300]

Runs in a throw-away SQLite database (or DATABASE_URL if set) and prints a markdown table of
wall time, requests (as the run's report counts them and as the fake GitHub saw them), 304s,
the report's counts and the exit code for: a first sync (everything new), an unchanged re-run
(every answer a 304), a re-run after one pull request changed on GitHub, and a traced first
sync for Python's peak allocations (tracing slows it, so it is not the timed run). All four use
a token, so the 5,000-an-hour quota applies and 304s are free. Then the same first sync without
a token (60 an hour), with --timeout and with 6 hours: time is virtual there, so a wait for
GitHub's next window passes at once and is reported, never slept. Numbers go in
docs/PERFORMANCE.md.
"""

import argparse
import resource
import time
from contextlib import nullcontext

from benchlib import connection_label, django_in_throwaway_dir, tracing

TOKEN = "bench-token"  # noqa: S105 (a token only the fake GitHub accepts)
AUTHOR = "bench-user"


def main(*, contributions: int, repos: int, timeout: float) -> None:
    django_in_throwaway_dir(prefix="github-sync-bench-")
    from contributions.github.client import GitHubClient
    from contributions.github.run import sync_contributions
    from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest
    from tests.fakegithub import FakeGitHub, github_pull, github_repo

    def forget_github() -> None:
        """What a sync stored goes: the next run is a first sync again."""
        PullRequest.objects.all().delete()
        GitHubRepository.objects.all().delete()  # and its star history

    forget_github()
    Contribution.objects.all().delete()
    ContributionGroup.objects.all().delete()
    group = ContributionGroup.objects.create(title="Benchmark")
    repositories = [
        github_repo(f"bench-org-{i % 10}/project-{i:03d}", stargazers_count=100 * i, language="Python")
        for i in range(repos)
    ]
    pulls = [
        github_pull(
            repositories[i % repos],
            100 + i,
            AUTHOR,
            title=f"Improve part {i}",
            merged_at="2025-06-01T12:00:00Z",
            labels=["enhancement"],
            additions=10 + i,
            deletions=i,
            changed_files=1 + i % 5,
        )
        for i in range(contributions)
    ]
    # bulk_create skips Contribution.save(), which fills `repository` and `number` from the URL.
    Contribution.objects.bulk_create(
        Contribution(
            group=group,
            pr_url=pull["html_url"],
            repository=pull["base"]["repo"]["full_name"],
            number=pull["number"],
            title=pull["title"],
            is_published=True,
            sort_order=i,
        )
        for i, pull in enumerate(pulls)
    )

    heading = (
        f"{contributions} contributions across {repos} repositories, strict fake GitHub, "
        f"{connection_label()}, --timeout {timeout:g}"
    )
    print(heading, end="\n\n")
    print(
        "| run | wall time | requests (report / fake) | 304s (report / fake) | synced | unchanged | failed "
        "| exit | peak Python allocations |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with FakeGitHub(repositories, pulls, tokens={TOKEN}) as github:

        def client(budget):
            return GitHubClient(token=TOKEN, base_url=github.url + "/", budget=budget)

        for label in ("first sync", "unchanged", "one PR changed", "traced first sync"):
            traced = label.startswith("traced")
            if label == "one PR changed":
                changed = pulls[0]
                github.update_pull(
                    changed["base"]["repo"]["full_name"],
                    changed["number"],
                    comments=3,
                    updated_at="2026-11-27T09:00:00Z",
                )
            if traced:
                forget_github()
            github.reset_requests()
            with tracing() if traced else nullcontext() as peak:
                started = time.perf_counter()
                report = sync_contributions(client_factory=client, timeout=timeout)
                seconds = time.perf_counter() - started
            memory = f"{peak['bytes'] / 2**20:.1f} MiB" if traced else ""
            print(row(label, seconds, report, github) + f" {memory} |")

    # Without a token: 60 requests an hour. The fake's and the run's clocks are virtual, so a wait passes at once.
    forget_github()
    lines = []
    for anonymous_timeout in (timeout, 6 * 3600.0):
        moment = VirtualTime()
        with FakeGitHub(repositories, pulls, tokens={TOKEN}, clock=moment.wall) as github:

            def anonymous(budget, github=github, moment=moment):
                return GitHubClient(token=None, base_url=github.url + "/", budget=budget, wall_clock=moment.wall)

            started = time.perf_counter()
            report = sync_contributions(
                client_factory=anonymous, timeout=anonymous_timeout, clock=moment.monotonic, sleep=moment.sleep
            )
            seconds = time.perf_counter() - started
            print(row(f"no token, --timeout {anonymous_timeout:g}", seconds, report, github) + " |")
            kinds = sorted({str(result.error_kind) for result in report.failed})
            first_failure = report.failed[0].error if report.failed else ""
            lines.append(
                f"no token, --timeout {anonymous_timeout:g}: waits asked {[round(s) for s in moment.sleeps]} s "
                f"(virtual, total {sum(moment.sleeps):.0f} s); failure kinds {kinds}; "
                f"first failure: {first_failure or '-'}\n  {report.summary()}"
            )
        forget_github()
    print()
    print("\n".join(lines))
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {max_rss:.0f} MiB (Django, githubkit, the fake GitHub and its JSON)")


def row(label, seconds, report, github) -> str:
    counts = [report.count("updated") + report.count("created"), report.count("unchanged"), len(report.failed)]
    return (
        f"| {label} | {seconds:.2f} s | {report.requests} / {github.count()} "
        f"| {report.not_modified} / {github.count(status=304)} | {' | '.join(map(str, counts))} "
        f"| {report.exit_code} |"
    )


class VirtualTime:
    """The run's clocks, real but for the waits asked: a sleep is recorded and moves both clocks on at once."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contributions", type=int, default=200)
    parser.add_argument("--repos", type=int, default=50, help="how many repositories they are spread over")
    parser.add_argument("--timeout", type=float, default=300.0, help="each run's --timeout, in seconds")
    main(**vars(parser.parse_args()))
