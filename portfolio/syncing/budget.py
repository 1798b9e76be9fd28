"""Time and quota: how long a run may take, how often a request is tried, when to wait.

Every request to an outside service follows the same rules, whichever client sends it:
- a timeout on every request, never past the run's deadline, and no request started with
  less than MIN_REQUEST_SECONDS left (it could not finish);
- bounded retries (MAX_ATTEMPTS) of what may pass (timeouts, 5xx, rate limits), waiting what
  the service asked (Retry-After, its rate-limit reset) or a doubling backoff, and never a
  wait that would end past the deadline: the item fails now instead, with the reason;
- the service's quota, read from its headers on every answer: when it is used up (less a
  reserve), wait for the next window *before* asking, rather than be refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # per request: the first try and three retries
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
# No request starts with less time than this left before the run's deadline: it could not finish.
MIN_REQUEST_SECONDS = 1.0


class RequestBudget:
    """The run's deadline and the retry policy, for one client."""

    def __init__(
        self,
        *,
        deadline: float,
        request_timeout: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.deadline = deadline
        self.request_timeout = request_timeout
        self.clock = clock
        self.sleep = sleep

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def check_deadline(self) -> None:
        if self.remaining() < MIN_REQUEST_SECONDS:
            raise DeadlineExceeded

    def attempts(self) -> range:
        return range(1, MAX_ATTEMPTS + 1)

    def timeout(self) -> tuple[float, bool]:
        """The next request's timeout, and whether the deadline (not the setting) cut it short.

        A request cut short by the deadline that times out is the deadline, not a slow service.
        """
        self.check_deadline()
        timeout = min(self.request_timeout, self.remaining())
        return timeout, timeout < self.request_timeout

    def before_retry(self, attempt: int, failure: SyncError, wait: float | None, what: str) -> None:
        """Sleep before trying `what` again, or raise `failure` if it may not be retried."""
        if not failure.retryable or attempt >= MAX_ATTEMPTS:
            raise failure
        if wait is None:
            wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
        if wait + MIN_REQUEST_SECONDS >= self.remaining():
            raise SyncError(failure.kind, f"{failure} (asked to wait {wait:.0f} s, past --timeout)")
        logger.info("%s: %s; retrying in %.1f s", what, failure, wait)
        self.sleep(wait)


class Quota:
    """What a service's rate-limit headers last said: requests left in this window, and when it resets.

    `reserve` requests are kept back (for the owner's browser and other tools on the same
    address or token); reaching it means waiting for the next window.
    """

    def __init__(self, budget: RequestBudget, *, service: str, reserve: int = 0):
        self.budget = budget
        self.service = service
        self.reserve = reserve
        self.remaining: int | None = None
        self.limit: int | None = None
        self.resets_at = 0.0
        self.waited = 0.0

    def update(self, *, remaining: int, limit: int | None, reset_in_seconds: float) -> None:
        self.remaining = remaining
        self.limit = limit
        self.resets_at = self.budget.clock() + max(0.0, reset_in_seconds)

    def wait_needed(self) -> float:
        """Seconds to wait before the next request; 0 while the quota (less the reserve) lasts."""
        if self.remaining is None or self.budget.clock() >= self.resets_at:
            return 0.0
        reserve = min(self.reserve, (self.limit or self.reserve * 10) // 10)
        if self.remaining > reserve:
            return 0.0
        return self.resets_at - self.budget.clock() + 1.0  # the new window opens after the reset second

    def wait_if_needed(self) -> None:
        wait = self.wait_needed()
        if not wait:
            return
        if wait + MIN_REQUEST_SECONDS >= self.budget.remaining():
            raise SyncError(
                SyncErrorKind.RATE_LIMITED,
                f"{self.service}'s request quota is used up until its window resets in {wait:.0f} s, past --timeout",
            )
        logger.info(
            "%s quota nearly used (%s left): waiting %.0f s for the next window", self.service, self.remaining, wait
        )
        self.waited += wait
        self.budget.sleep(wait)
        self.remaining = None  # a new window: the next answer says how much is left
