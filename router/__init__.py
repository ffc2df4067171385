"""Turns classified mentions into complaints in the right inbox."""
