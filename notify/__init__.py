"""Everything that leaves aduan: the outbox worker and its channels (e-mail, signed
webhooks), daily digests, and the checks on where webhooks may go. It reads its
settings through Protocols (``notify.settings``) the composition root's config meets.
Imports models only."""
