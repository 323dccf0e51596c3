"""The two shapes of "no" that a service gives a view.

`Refused`: the user may not do this, or not in this state; `message` is one German sentence the
page shows. `Conflict`: somebody else saved the same record since the form was opened (a stale
`version`); the page shows the current state and keeps the user's input. Each app names its own
subclasses (e.g. `runs.services.RunRefused`), so a view catches exactly the refusals of its app.
"""

from __future__ import annotations


class Refused(Exception):
    """An operation refused with one German message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(Exception):
    """Somebody else saved in between (stale version); `message` is German."""

    message = (
        "Ihre Änderungen wurden nicht gespeichert: Jemand anderes hat diesen Eintrag geändert, "
        "nachdem Sie das Formular geöffnet haben. Bitte prüfen Sie die aktuelle Fassung und tragen "
        "Sie Ihre Änderungen erneut ein."
    )

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)
