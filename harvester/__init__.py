"""Collectors that pull mentions from social platforms (and replay files) into the store."""
