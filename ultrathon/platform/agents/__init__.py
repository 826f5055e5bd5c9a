"""Scoring agents at the data holder: their tokens, the challenges they score, and their leases."""
