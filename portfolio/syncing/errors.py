"""What a failed request means, in words an owner can act on; shared by every sync."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncErrorKind(models.TextChoices):
    """Why an item could not be synced, stored on it and shown in the admin."""

    NOT_FOUND = "not_found", _("Not found (deleted, or private: set the token)")
    TOKEN_REJECTED = "token_rejected", _("Token rejected: check HF_TOKEN or GITHUB_TOKEN")
    DISABLED = "disabled", _("Disabled or blocked")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    SERVER_ERROR = "server_error", _("Server error")
    TIMEOUT = "timeout", _("Timed out")
    NETWORK = "network", _("Network unreachable")
    INVALID_RESPONSE = "invalid_response", _("Unreadable answer")
    DEADLINE = "deadline", _("Not reached before --timeout")


class SyncError(Exception):
    """One item (or listing) could not be fetched; `kind` is a SyncErrorKind value."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable


class DeadlineExceeded(Exception):
    """The run's --timeout is reached: no further request may start."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str, limit: int = 200) -> str:
    """A string from outside, made safe to print on a terminal or store: no control characters, bounded."""
    text = _CONTROL.sub("", value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
