"""The permission declared here was never checked; accounts 0004 removes it (see accounts.policy)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0002_rejectedlink"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="run",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "Abgleich",
                "verbose_name_plural": "Abgleiche",
            },
        ),
    ]
