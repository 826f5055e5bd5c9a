"""Data-use terms kept exactly: the digest of the text accepted, deletion attestations, the access log."""
