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


class UnreadableModel(Exception):
    """A model answer without a usable id: nothing of it can be matched to a card."""


@dataclass
class HubModel:
    repo_id: str
    object_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    # Per EvalResult.Source: the rows, or None when they could not be read (keep the stored ones).
    evals: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.fields.get("sha", "")


def repo_id_of(raw: Any) -> str:
    """The model's id, if it is one the Hub could have issued; else UnreadableModel."""
    if not isinstance(raw, dict):
        raise UnreadableModel(f"a model entry that is not an object: {show(raw)}")
    repo_id = raw.get("id")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise UnreadableModel(f"a model with an invalid id: {show(repo_id)}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise UnreadableModel(f"a model with an invalid id: {show(repo_id)}") from None
    return repo_id


def read_model(raw: Any, *, read_evals: bool = True) -> HubModel:
    """Everything a card stores, from one model's JSON (a listing item or a model_info answer).

    `read_evals=False` when the repo's revision is the one already synced: evaluation
    results live in the repo's files, so they cannot have changed, and an MTEB-sized
    model-index need not be parsed again.
    """
    model = HubModel(repo_id=repo_id_of(raw))
    object_id = raw.get("_id")
    model.object_id = object_id if isinstance(object_id, str) and _OBJECT_ID.match(object_id) else ""
    reader = _Reader(raw, model)
    reader.count("downloads", "downloads", "downloads (30 days)", MAX_BIGINT)
    reader.count("downloadsAllTime", "downloads_all_time", "downloads (all time)", MAX_BIGINT)
    reader.count("likes", "likes", "likes", MAX_INT)
    reader.trending_score()
    reader.date("lastModified", "hub_last_modified", "last modified")
    reader.date("createdAt", "hub_created_at", "created")
    reader.token("pipeline_tag", "pipeline_tag", "task")
    reader.token("library_name", "library_name", "library")
    reader.flags()
    reader.sha()
    reader.tags()
    reader.card_data()
    reader.base_models()
    reader.parameters()
    if read_evals:
        model.evals = {
            EvalResult.Source.MODEL_INDEX: read_model_index(raw, model.warnings),
            EvalResult.Source.EVAL_RESULTS: read_eval_results(raw, model.warnings),
        }
    return model


class _Reader:
    """Reads one model's properties into `model.fields`, noting what it could not read."""

    def __init__(self, raw: dict[str, Any], model: HubModel):
        self.raw = raw
        self.model = model
        self.fields = model.fields

    def warn(self, message: str) -> None:
        self.model.warnings.append(message)

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
        number = _whole_number(value)
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

    def flags(self) -> None:
        gated = self.required("gated", "gated")
        if gated is False or gated in ("auto", "manual"):
            self.fields["gated"] = gated or ""
        elif gated is not None:
            self.warn(f"gated: {show(gated)} is not false, 'auto' or 'manual'; kept the previous value")
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

    def card_data(self) -> None:
        card = self.raw.get("cardData")
        if card is None:
            self.warn("card metadata: missing from the Hub's answer; kept licence, languages and datasets")
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
        self.fields["datasets"] = self.strings(card.get("datasets") or [], "datasets")

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
        number = _whole_number(total)
        if number is None or not 0 <= number <= MAX_BIGINT:
            self.warn(f"parameter count: {show(total)} is not a count; kept the previous value")
            return
        self.fields["parameters"] = number


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    return int(value)


def _valid_repo_id(value: str) -> bool:
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True
