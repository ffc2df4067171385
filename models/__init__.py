"""The ground floor: the tracking store (SQLModel tables, engine, Alembic migrations,
store functions, accounts and sessions) and the shared vocabulary (``models.vocab``,
``models.wita``). Imports nothing else of aduan; every other package builds on it.

A mention's way through the house: harvester/ stores it here, router/ classifies it
(classifier/) and files it, lifecycle/ follows the complaint, notify/ tells the agency,
inbox/ shows it to people.
"""
