"""Moving bytes: listing and reading sources, writing outputs. Nothing about translation."""
