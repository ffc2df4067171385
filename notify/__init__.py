"""Everything that leaves aduan: the outbox worker, its channels (e-mail, signed
webhooks), daily digests and the checks on where webhooks may go. Imports models only."""
