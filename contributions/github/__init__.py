"""Pull each contribution's pull request, and its repository, from GitHub into the database.

- client.py: the requests (githubkit's `GitHub`, with our timeouts, retries, deadline, ETags and
  the core and search quotas) and what a failure means;
- mapping.py: GitHub's raw JSON, untrusted, read field by field into a pull request, a
  repository or a search result;
- writer.py: the database writes (the sync's own rows, one item per transaction; a moved pull
  request's address; draft contributions for discovered pull requests).
"""
