"""A backstop for a run's --timeout, should anything block past every request's own timeout."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from portfolio.syncing.errors import DeadlineExceeded


@contextmanager
def hard_deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in the command's main thread after `seconds`.

    Only in the main thread, where SIGALRM can interrupt a wait; the run's own deadline
    checks (budget.py) stop it well before this fires.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise DeadlineExceeded

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
