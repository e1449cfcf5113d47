"""Scorers, thresholds and findings shared by every use case."""
