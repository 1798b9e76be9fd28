"""Evaluation results from the Hub's raw JSON: the card's `model-index`, and `evalResults`.

Any model-index the Hub accepted is read result by result: a result without a dataset, a
metric whose value is NaN, a string or a boolean, a `source` without `url` or given as plain
text cost only themselves (huggingface_hub's own parser refuses the whole index for any of
them). What is skipped is said in a warning; what cannot be read at all is None, and the
writer then keeps the stored rows.
"""

from __future__ import annotations

import math
import re
from typing import Any

from models_showcase.models import EvalResult
from portfolio.syncing.errors import clean_text

MAX_EVAL_ROWS = 5000  # per card and source; an MTEB card has about 1,500

EVAL_KEY_FIELDS = [
    "source", "task_type", "task_name", "dataset_type", "dataset_name", "dataset_config", "dataset_split",
    "metric_type", "metric_name",
]  # fmt: skip
EVAL_FIELDS = [*EVAL_KEY_FIELDS, "metric_value", "verified", "source_name", "source_url"]


def show(value: Any, limit: int = 40) -> str:
    """A value from outside, quoted for a message: short, printable."""
    return clean_text(repr(value), limit)


def _text(value: Any, limit: int = 200) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return clean_text(value, limit) if isinstance(value, str) else ""


def _url(value: Any) -> str:
    text = _text(value, 500)
    return text if re.match(r"^https?://[^\s<>\"']+$", text) else ""


def _metric_value(value: Any) -> float | None:
    """A finite number that fits a float column; NaN, infinities, strings and booleans are not results."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) < 1e15 else None


def read_model_index(raw: dict[str, Any], warnings: list[str]) -> list[dict[str, Any]] | None:
    """Rows from the model-index, result by result: a malformed one costs only itself.

    None means "could not be read at all": the stored rows stay as they are.
    """
    index = raw.get("model-index")
    card = raw.get("cardData")
    if index is None and isinstance(card, dict):
        index = card.get("model-index")
    if index is None:
        tags = raw.get("tags")
        if isinstance(tags, list) and "model-index" not in tags:
            return []  # the model has no model-index (the Hub tags the ones that do)
        if isinstance(tags, list) or isinstance(card, dict):
            warnings.append("evaluation results: the model-index was not in the Hub's answer; kept the stored ones")
        return None
    if not isinstance(index, list):
        warnings.append("evaluation results: the model-index is not a list; kept the stored ones")
        return None

    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    results_seen = 0
    for entry in index:
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, list):
            skipped.append("an entry without results")
            continue
        for result in results:
            results_seen += 1
            rows.extend(_result_rows(result, results_seen, skipped))
    if skipped:
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        warnings.append(f"evaluation results: skipped {len(skipped)} unreadable: {'; '.join(skipped[:3])}{more}")
    if not rows and (results_seen or skipped):
        warnings.append("evaluation results: nothing readable in the model-index; kept the stored ones")
        return None
    return _capped(rows, warnings)


def _result_rows(result: Any, number: int, skipped: list[str]) -> list[dict[str, Any]]:
    if not isinstance(result, dict):
        skipped.append(f"result {number} is not an object")
        return []
    task = result.get("task") if isinstance(result.get("task"), dict) else {}
    dataset = result.get("dataset")
    if not isinstance(dataset, dict) or not (_text(dataset.get("name")) or _text(dataset.get("type"))):
        # A number without what it was measured on is no evidence to show.
        skipped.append(f"result {number} has no dataset")
        return []
    source = result.get("source")
    source_name, source_url = "", ""
    if isinstance(source, dict):
        source_name, source_url = _text(source.get("name")), _url(source.get("url"))
    elif isinstance(source, str):
        source_name = _text(source)
    metrics = result.get("metrics")
    if not isinstance(metrics, list):
        skipped.append(f"result {number} has no metrics")
        return []
    common = {
        "source": EvalResult.Source.MODEL_INDEX,
        "task_type": _text(task.get("type")),
        "task_name": _text(task.get("name")),
        "dataset_type": _text(dataset.get("type")),
        "dataset_name": _text(dataset.get("name")),
        "dataset_config": _text(dataset.get("config")),
        "dataset_split": _text(dataset.get("split")),
        "source_name": source_name,
        "source_url": source_url,
    }
    rows = []
    for metric in metrics:
        metric = metric if isinstance(metric, dict) else {}
        value = _metric_value(metric.get("value"))
        metric_type = _text(metric.get("type")) or _text(metric.get("name"))
        if value is None or not metric_type:
            label = metric_type or "a metric"
            skipped.append(f"{label} of result {number}: {show(metric.get('value'), 20)} is not a number")
            continue
        rows.append(
            {
                **common,
                "metric_type": metric_type,
                "metric_name": _text(metric.get("name")),
                "metric_value": value,
                "verified": metric.get("verified") is True,
            }
        )
    return rows


def read_eval_results(raw: dict[str, Any], warnings: list[str]) -> list[dict[str, Any]] | None:
    """Rows from `evalResults`, the Hub's newer format (one entry per `.eval_results/*.yaml` score)."""
    entries = raw.get("evalResults")
    if entries is None:
        return []  # only models with `.eval_results` files have it
    if not isinstance(entries, list):
        warnings.append("evaluation results: evalResults is not a list; kept the stored ones")
        return None
    rows, skipped = [], 0
    for item in entries:
        data = item.get("data", item) if isinstance(item, dict) else None
        if not isinstance(data, dict) or "error" in item:
            skipped += 1  # the Hub marks a file that failed its own validation with "error"
            continue
        dataset = data.get("dataset") if isinstance(data.get("dataset"), dict) else {}
        dataset_id = _text(dataset.get("id"))
        value = _metric_value(data.get("value"))
        if not dataset_id or value is None:
            skipped += 1
            continue
        source = data.get("source") if isinstance(data.get("source"), dict) else {}
        rows.append(
            {
                "source": EvalResult.Source.EVAL_RESULTS,
                "task_type": "",
                "task_name": "",
                "dataset_type": dataset_id,
                "dataset_name": dataset_id,
                "dataset_config": _text(dataset.get("task_id")),
                "dataset_split": "",
                "metric_type": "score",
                "metric_name": "",
                "metric_value": value,
                "verified": bool(data.get("verifyToken")),
                "source_name": _text(source.get("name")),
                "source_url": _url(source.get("url")),
            }
        )
    if skipped:
        warnings.append(f"evaluation results: skipped {skipped} unreadable .eval_results entries")
    if not rows and skipped:
        return None
    return _capped(rows, warnings)


def _capped(rows: list[dict[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    if len(rows) > MAX_EVAL_ROWS:
        warnings.append(f"evaluation results: {len(rows)} rows, only the first {MAX_EVAL_ROWS} kept")
        return rows[:MAX_EVAL_ROWS]
    return rows
