"""Pull each card's statistics from the Hugging Face Hub into the database.

- client.py: the requests (huggingface_hub's session, headers and errors) and what a failure
  means; timeouts, retries, deadline and quota pacing are portfolio/syncing/budget.py's;
- mapping.py: the Hub's raw JSON, untrusted, read into a card's fields;
- eval_rows.py: its model-index and evalResults, read result by result into evaluation rows;
- writer.py: the database writes (only the Hub's columns; rows updated in place);
- run.py: one run over the cards, and its report (portfolio/syncing/report.py).
- fetch.py: one model asked once while the owner adds its card in the admin (the same mapping and writer).

`sync_cards` is what `manage.py sync_hub` and the admin action call.
"""

from models_showcase.hub.client import DETAIL_EXPAND, LIST_EXPAND, classify
from models_showcase.hub.run import sync_cards, sync_listed, unknown_repo_ids

__all__ = ["DETAIL_EXPAND", "LIST_EXPAND", "classify", "sync_cards", "sync_listed", "unknown_repo_ids"]
