"""MISSIMO."""
