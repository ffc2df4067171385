"""The web inbox people use (FastAPI): sign-in and access, agency inboxes, complaint pages,
Kominfo triage and dashboard, admin pages, the REST and Open311 APIs, /healthz, /metrics.
No store code of its own: it calls models, lifecycle and notify."""
