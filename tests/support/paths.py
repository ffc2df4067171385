"""Where things are in the repository, for tests that read its files."""

from pathlib import Path

#: the repository's root
ROOT = Path(__file__).parents[2]
#: aduan's packages, ground floor first (DESIGN.md: models <- harvester, classifier,
#: notify <- router <- lifecycle <- inbox, aduan)
PACKAGES = ("models", "harvester", "classifier", "notify", "router", "lifecycle", "inbox", "aduan")
#: the bundled config file
CONFIG = ROOT / "config.yaml"
#: the bundled replay sample (a stream written for the project, several platforms)
SAMPLE = ROOT / "harvester" / "samples" / "denpasar.jsonl"
#: recorded, docs-shaped platform answers: one folder per platform
FIXTURES = ROOT / "tests" / "fixtures"
#: the web inbox's page templates
TEMPLATES = ROOT / "inbox" / "templates"
