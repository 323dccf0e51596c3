"""Synthetic city: realistic agency exports with ground truth."""
