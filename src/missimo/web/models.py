from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A list's filter and sort order, saved by one user under a name (only the query string of the
    list's address: the filters themselves decide again, with the user's rights, what it shows)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    path = models.CharField("Liste", max_length=200)
    name = models.CharField("Name", max_length=80)
    query = models.CharField("Filter", max_length=1000)
    created_at = models.DateTimeField("gespeichert", auto_now_add=True)

    class Meta:
        verbose_name = "gespeicherter Filter"
        verbose_name_plural = "gespeicherte Filter"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "path", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path
