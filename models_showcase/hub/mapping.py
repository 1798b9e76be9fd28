"""From the Hub's raw JSON to a card's fields (its evaluation rows: eval_rows.py).

Every value from the Hub is untrusted: a number may be negative, a string, NaN or too big
for its column; a string may carry control characters or markup, or be far too long; a
model-index may be any YAML the Hub accepted. Nothing here raises on such data: what
cannot be read is left out, and a warning says so.

"Left out" means *unknown*, not empty: the writer keeps the stored value of a field this
mapping does not return. Where the Hub simply omits a property a model does not have
(no pipeline tag, no safetensors, no model-index), the field is returned empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huggingface_hub.utils import HFValidationError, validate_repo_id

from models_showcase.hub.eval_rows import read_eval_results, read_model_index, show
from models_showcase.models import EvalResult
from portfolio.syncing.errors import clean_text

MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
MAX_LIST_ITEMS = 300
BASE_MODEL_RELATIONS = {"adapter", "finetune", "merge", "quantized"}
# What the Hub's own ids, tags and names look like; anything else is not pasted anywhere.
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
_SIZE = re.compile(r"^(?:n<[0-9]+[KMBT]?|[0-9]+[KMBT]?<n<[0-9]+[KMBT]?|n>[0-9]+[KMBT]?)$")
_STAGE = re.compile(r"^[A-Z][A-Z_]{0,39}$")


class UnreadableModel(Exception):
    """A repo answer without a usable id: nothing of it can be matched to a card."""


@dataclass
class HubRepo:
    """What one model, dataset or Space answer says, as a card's fields."""

    repo_id: str
    kind: str = "model"
    object_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    # Models only, per EvalResult.Source: the rows, or None when they could not be read (keep the stored ones).
    evals: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.fields.get("sha", "")


def repo_id_of(raw: Any) -> str:
    """The repo's id, if it is one the Hub could have issued; else UnreadableModel."""
    if not isinstance(raw, dict):
        raise UnreadableModel(f"an entry that is not an object: {show(raw)}")
    repo_id = raw.get("id")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise UnreadableModel(f"an entry with an invalid id: {show(repo_id)}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise UnreadableModel(f"an entry with an invalid id: {show(repo_id)}") from None
    return repo_id


def read_repo(raw: Any, kind: str = "model", *, read_evals: bool = True) -> HubRepo:
    """Everything a card stores, from one repo's JSON (a listing item or a repo_info answer).

    What the three kinds share is read for all; then each kind's own lines. `read_evals=False`
    when the repo's revision is the one already synced: evaluation results live in the repo's
    files, so they cannot have changed, and an MTEB-sized model-index need not be parsed again.
    """
    repo = HubRepo(repo_id=repo_id_of(raw), kind=kind)
    object_id = raw.get("_id")
    repo.object_id = object_id if isinstance(object_id, str) and _OBJECT_ID.match(object_id) else ""
    reader = _Reader(raw, repo)
    if kind != "space":  # Spaces have no downloads
        reader.count("downloads", "downloads", "downloads (30 days)", MAX_BIGINT)
        reader.count("downloadsAllTime", "downloads_all_time", "downloads (all time)", MAX_BIGINT)
    reader.count("likes", "likes", "likes", MAX_INT)
    reader.trending_score()
    reader.date("lastModified", "hub_last_modified", "last modified")
    reader.date("createdAt", "hub_created_at", "created")
    reader.flags(gated=kind != "space")  # a Space's `gated` is no expand value
    reader.sha()
    reader.tags()
    reader.card_data(datasets=kind == "model")
    if kind == "model":
        reader.token("pipeline_tag", "pipeline_tag", "task")
        reader.token("library_name", "library_name", "library")
        reader.base_models()
        reader.parameters()
        if read_evals:
            repo.evals = {
                EvalResult.Source.MODEL_INDEX: read_model_index(raw, repo.warnings),
                EvalResult.Source.EVAL_RESULTS: read_eval_results(raw, repo.warnings),
            }
    elif kind == "dataset":
        reader.dataset_card()
    else:
        reader.space()
    return repo


class FieldReader:
    """Reads one answer's properties into `item.fields`, noting in `item.warnings` what it could not read."""

    def __init__(self, raw: dict[str, Any], item: Any):
        self.raw = raw
        self.item = item
        self.fields = item.fields

    def warn(self, message: str) -> None:
        self.item.warnings.append(message)


class _Reader(FieldReader):
    """Reads one repo's properties (a HubRepo's fields)."""

    def required(self, key: str, label: str) -> Any:
        """A property every answer to our expand has: absent or null means unknown, not zero."""
        value = self.raw.get(key)
        if value is None:
            self.warn(f"{label}: missing from the Hub's answer; kept the previous value")
        return value

    def count(self, key: str, name: str, label: str, maximum: int) -> None:
        value = self.required(key, label)
        if value is None:
            return
        number = whole_number(value)
        if number is None or not 0 <= number <= maximum:
            self.warn(f"{label}: {show(value)} is not a count; kept the previous value")
            return
        self.fields[name] = number

    def trending_score(self) -> None:
        value = self.required("trendingScore", "trending score")
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.warn(f"trending score: {show(value)} is not a number; kept the previous value")
        elif abs(value) > 1e12:
            self.warn(f"trending score: {show(value)} is out of range; kept the previous value")
        else:
            self.fields["trending_score"] = float(value)

    def date(self, key: str, name: str, label: str) -> None:
        value = self.required(key, label)
        if value is None:
            return
        parsed = None
        if isinstance(value, str) and len(value) <= 40:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.warn(f"{label}: {show(value)} is not a date; kept the previous value")
            return
        self.fields[name] = parsed

    def token(self, key: str, name: str, label: str) -> None:
        # Optional: a model without a pipeline tag or library simply has none.
        value = self.raw.get(key)
        if value is None:
            self.fields[name] = ""
        elif isinstance(value, str) and len(value) <= 100 and _TOKEN.match(value):
            self.fields[name] = value
        else:
            self.warn(f"{label}: {show(value)} is not a name the Hub uses; left empty")
            self.fields[name] = ""

    def flags(self, *, gated: bool = True) -> None:
        if gated:
            value = self.required("gated", "gated")
            if value is False or value in ("auto", "manual"):
                self.fields["gated"] = value or ""
            elif value is not None:
                self.warn(f"gated: {show(value)} is not false, 'auto' or 'manual'; kept the previous value")
        for key in ("private", "disabled"):
            value = self.required(key, key)
            if isinstance(value, bool):
                self.fields[key] = value
            elif value is not None:
                self.warn(f"{key}: {show(value)} is not true or false; kept the previous value")

    def sha(self) -> None:
        value = self.required("sha", "revision")
        if isinstance(value, str) and _SHA.match(value):
            self.fields["sha"] = value
        elif value is not None:
            self.warn(f"revision: {show(value)} is not a commit id; kept the previous value")

    def tags(self) -> None:
        value = self.required("tags", "tags")
        if value is not None:
            self.fields["tags"] = self.strings(value, "tags", limit=100)

    def strings(self, value: Any, label: str, *, limit: int = 200) -> list[str]:
        """A list of short strings; a single string counts as a list of one."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.warn(f"{label}: {show(value)} is not a list; left empty")
            return []
        kept: list[str] = []
        dropped = 0
        for item in items:
            text = clean_text(item, limit) if isinstance(item, str) else ""
            if not text or len(kept) >= MAX_LIST_ITEMS:
                dropped += 1
            elif text not in kept:
                kept.append(text)
        if dropped:
            self.warn(f"{label}: {dropped} unreadable or surplus entries left out")
        return kept

    def card_data(self, *, datasets: bool = True) -> None:
        card = self.raw.get("cardData")
        if card is None:
            if self.item.kind == "model":  # a dataset or Space without a README has no card metadata at all
                self.warn("card metadata: missing from the Hub's answer; kept licence, languages and datasets")
            else:
                self.fields["license"], self.fields["languages"] = "", []
            return
        if not isinstance(card, dict):
            self.warn(f"card metadata: {show(card)} is not an object; kept licence, languages and datasets")
            return
        licences = self.strings(card.get("license") or [], "licence", limit=100)
        license_ = ", ".join(licences)
        if len(license_) > 100:
            self.warn("licence: too long; shortened")
            license_ = license_[:99] + "…"
        self.fields["license"] = license_
        self.fields["languages"] = self.strings(card.get("language") or [], "languages", limit=50)
        if datasets:
            self.fields["datasets"] = self.strings(card.get("datasets") or [], "datasets")

    # Datasets

    def dataset_card(self) -> None:
        """Size category, task categories and declared rows, from the card's metadata (the tags say the first two)."""
        card = self.raw.get("cardData")
        card = card if isinstance(card, dict) else {}
        tags = self.raw.get("tags") if isinstance(self.raw.get("tags"), list) else []
        sizes = self.strings(card.get("size_categories") or _tag_values(tags, "size_categories"), "size category")
        size = sizes[0] if sizes else ""
        if size and not _SIZE.match(size):
            self.warn(f"size category: {show(size)} is not one the Hub uses; left empty")
            size = ""
        self.fields["size_category"] = size
        tasks = card.get("task_categories") or _tag_values(tags, "task_categories")
        self.fields["task_categories"] = [
            task for task in self.strings(tasks, "task categories", limit=100) if _TOKEN.match(task)
        ][:20]
        self.fields["row_count"] = self.declared_rows(card.get("dataset_info"))

    def declared_rows(self, info: Any) -> int | None:
        """The rows the card declares: the sum of its splits' `num_examples`, over every config."""
        configs = info if isinstance(info, list) else [info] if isinstance(info, dict) else []
        total, seen = 0, False
        for config in configs[:100]:
            splits = config.get("splits") if isinstance(config, dict) else None
            for split in splits if isinstance(splits, list) else []:
                number = whole_number(split.get("num_examples")) if isinstance(split, dict) else None
                if number is None or number < 0:
                    continue
                total, seen = total + number, True
        if seen and total > MAX_BIGINT:
            self.warn("rows: more than a column holds; left out")
            return None
        return total if seen else None

    # Spaces

    def space(self) -> None:
        """SDK, runtime stage and hardware, and the models and datasets the Space uses."""
        sdk = self.raw.get("sdk")
        self.fields["sdk"] = sdk if isinstance(sdk, str) and len(sdk) <= 40 and _TOKEN.match(sdk) else ""
        runtime = self.raw.get("runtime")
        # A stage is kept as the Hub writes it (RUNNING, SLEEPING, BUILDING, RUNTIME_ERROR, ...): huggingface_hub's
        # own SpaceStage lacks some the Hub sends. Unknown ones are shown as they are, never as markup.
        stage = runtime.get("stage") if isinstance(runtime, dict) else None
        self.fields["runtime_stage"] = stage if isinstance(stage, str) and _STAGE.match(stage) else ""
        hardware = runtime.get("hardware") if isinstance(runtime, dict) else None
        current = hardware.get("current") or hardware.get("requested") if isinstance(hardware, dict) else None
        self.fields["hardware"] = (
            current if isinstance(current, str) and len(current) <= 60 and _TOKEN.match(current) else ""
        )
        for key, name in (("models", "models_used"), ("datasets", "datasets")):
            value = self.raw.get(key)
            found = self.strings(value, f"{key} used") if value is not None else []
            valid = [repo_id for repo_id in found if repo_id.count("/") <= 1 and _valid_repo_id(repo_id)]
            if len(valid) < len(found):
                self.warn(f"{key} used: {len(found) - len(valid)} ids that are not Hub ids left out")
            self.fields[name] = valid[:50]

    def base_models(self) -> None:
        """From `baseModels` (model_info only), else the `base_model:` tags, else cardData."""
        found: list[str] = []
        declared = self.raw.get("baseModels")
        if isinstance(declared, dict) and isinstance(declared.get("models"), list):
            found = [m.get("id") for m in declared["models"] if isinstance(m, dict)]
        elif isinstance(self.raw.get("tags"), list):
            for tag in self.raw["tags"]:
                if isinstance(tag, str) and tag.startswith("base_model:"):
                    relation, _, rest = tag.removeprefix("base_model:").partition(":")
                    found.append(rest if relation in BASE_MODEL_RELATIONS and rest else tag.removeprefix("base_model:"))
        card = self.raw.get("cardData")
        if not found and isinstance(card, dict) and card.get("base_model"):
            declared_ids = card["base_model"]
            found = declared_ids if isinstance(declared_ids, list) else [declared_ids]
        if not found and not isinstance(self.raw.get("tags"), list) and not isinstance(card, dict):
            return  # nothing to tell from: unknown, keep what is stored
        valid = [base for base in found if isinstance(base, str) and _valid_repo_id(base)]
        if len(valid) < len(found):
            self.warn(f"base models: {len(found) - len(valid)} ids that are not Hub ids left out")
        self.fields["base_models"] = list(dict.fromkeys(valid))[:20]

    def parameters(self) -> None:
        safetensors = self.raw.get("safetensors")
        if safetensors is None:
            self.fields["parameters"] = None  # no safetensors weights: the Hub cannot count them
            return
        total = safetensors.get("total") if isinstance(safetensors, dict) else None
        number = whole_number(total)
        if number is None or not 0 <= number <= MAX_BIGINT:
            self.warn(f"parameter count: {show(total)} is not a count; kept the previous value")
            return
        self.fields["parameters"] = number


def whole_number(value: Any) -> int | None:
    """A JSON number that is a whole number (1 or 1.0; not True, 1.5, NaN), as an int; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    return int(value)


def _tag_values(tags: list[Any], prefix: str) -> list[str]:
    """`size_categories:10K<n<100K` -> `10K<n<100K`: what the Hub's tags say when the card's metadata does not."""
    return [tag.partition(":")[2] for tag in tags if isinstance(tag, str) and tag.startswith(prefix + ":")]


def _valid_repo_id(value: str) -> bool:
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True
