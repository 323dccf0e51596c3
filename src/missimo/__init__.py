"""MISSIMO: lawful, transparent data matching for cities fighting organised benefit misuse."""

__version__ = "0.1.0"
