"""aduan's composition root: settings loaded once, the CLI, the daemon and its jobs; the
only package that imports all the others and wires them together."""

__version__ = "0.1.0"
