"""The permission declared here was never checked; accounts 0004 removes it (see accounts.policy)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="import",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "Datenlieferung",
                "verbose_name_plural": "Datenlieferungen",
            },
        ),
    ]
