"""``python -m tests.fakehub``: serve everything the seed's author publishes until Ctrl-C, so the site's sync can be
tried against something Hub-shaped offline."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence

from tests.fakehub.datasets import seed_datasets
from tests.fakehub.models import seed_models
from tests.fakehub.papers import seed_papers
from tests.fakehub.server import FakeHub
from tests.fakehub.spaces import seed_spaces
from tests.fakeserver import serve_until_interrupted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakehub",
        description="A fake Hugging Face Hub serving dragonkue's models, datasets, Spaces and the papers they cite.",
    )
    options = {
        "--host": {"default": "127.0.0.1", "help": "address to listen on (default: %(default)s)"},
        "--port": {
            "type": int,
            "default": 8765,
            "help": "port to listen on, 0 for any free one (default: %(default)s)",
        },
        "--page-size": {"type": int, "default": 100, "help": "repos per listing page (default: %(default)s)"},
        "--token": {"action": "append", "default": [], "help": "a token to accept (repeatable)"},
        "--quiet": {"action": "store_true", "help": "do not print a line per request"},
    }
    for flag, settings in options.items():
        parser.add_argument(flag, **settings)
    args = parser.parse_args(argv)

    hub = FakeHub(
        seed_models(),
        datasets=seed_datasets(),
        spaces=seed_spaces(),
        papers=seed_papers(),
        page_size=args.page_size,
        tokens=args.token,
        host=args.host,
        port=args.port,
        log=None if args.quiet else functools.partial(print, file=sys.stderr, flush=True),
    )
    return serve_until_interrupted(
        hub,
        parser,
        lambda url: f"Fake Hub on {url} — try: HF_ENDPOINT={url} .venv/bin/python manage.py sync_hub --discover",
    )


if __name__ == "__main__":
    sys.exit(main())
