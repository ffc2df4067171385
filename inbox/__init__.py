"""The web inbox: agency inboxes, Kominfo triage and overview, served by FastAPI."""
