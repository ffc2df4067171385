"""Tests of the classifier package (issue 11 onwards)."""
