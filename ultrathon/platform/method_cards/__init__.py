"""Method cards: what a team says of how it made a final entry, shown with the results."""
