"""Ultrathon: multi-week machine-learning competitions on clinical data."""

__version__ = "0.1.0"
