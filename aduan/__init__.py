"""aduan: harvests citizen complaints from social media and routes them to agencies."""

__version__ = "0.1.0"
