"""Presidio recognizers for the privacy layer, grouped by jurisdiction."""
