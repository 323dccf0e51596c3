"""The engine: pure Python + DuckDB core of MISSIMO (no Django imports)."""
