"""Phases: a challenge's windows, one after another, each with its own board, quotas and feedback."""
