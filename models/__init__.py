"""The shared tracking store: tables, engine, migrations and store functions."""
