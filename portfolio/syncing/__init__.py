"""What every sync from an outside service shares: the cron machinery, written once.

`sync_hub` (models_showcase/hub/) and `sync_github` (contributions/github/) each bring
only their own fetching and mapping; the rest is here:

- errors.py: what a failure means (`SyncErrorKind`, `SyncError`), `DeadlineExceeded`, and
  `clean_text` for every string that came from outside;
- budget.py: the run's deadline, bounded deadline-aware retries, and quota pacing;
- report.py: each item's outcome, the run's report, its summary line, JSON and exit code;
- locking.py: one run of each sync at a time, across processes and machines;
- command.py: the management command both syncs are (arguments, progress, exit codes 0/1/2);
- runs.py: syncs started from the admin, run by a process of their own (`SyncRun`).

Nothing here imports an app: the apps import this.
"""
