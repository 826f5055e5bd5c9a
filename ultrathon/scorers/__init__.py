"""Pure scoring library: read and validate a submission, compute metrics and their uncertainty."""
