"""Use cases, one transaction each. The web and the CLI call these and nothing below them."""
