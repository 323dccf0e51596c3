"""The base of every history that is only ever appended to (case history, reviews, protocol
changes, property history, outcome revisions, letter history, the audit log)."""

from __future__ import annotations

from django.db import models


class AppendOnly(models.Model):
    """A record that is written once and then neither changed nor deleted by the application.

    `append_only_name` names the records in the German refusal, e.g. "Einträge im Verlauf"."""

    append_only_name = "Einträge"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{self.append_only_name} können nicht geändert werden.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self.append_only_name} können nicht gelöscht werden.")
