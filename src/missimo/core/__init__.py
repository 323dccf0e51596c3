"""The shared core of the application: what every app uses and no app owns.

- `tables`: the one writer of CSV and XLSX downloads, with the one formula escaping;
- `errors`: the base of every refusal (`Refused`) and of every stale-version conflict (`Conflict`);
- `models`: the base of every append-only history model (`AppendOnly`);
- `datadir`: paths inside the data directory (`MISSIMO_DATA_DIR`);
- `params`: parsing parameters that name database rows;
- `extensions`: the registry through which apps contribute navigation entries and page panels.

The core imports no app (an import-linter contract in pyproject.toml keeps it so).
"""
