"""The message catalogs: Danish and Swedish beside the English written in the code and templates."""
