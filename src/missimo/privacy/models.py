"""The privacy app keeps no data of its own: its reports are computed at request time from the
snapshots, the hints and the audit log."""
