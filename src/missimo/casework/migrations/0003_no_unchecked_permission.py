"""The permission declared here was never checked; accounts 0004 removes it (see accounts.policy)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_reviews_and_counter"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "Prüffall",
                "verbose_name_plural": "Prüffälle",
            },
        ),
    ]
