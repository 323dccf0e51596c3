"""The permission declared here was never checked; accounts 0004 removes it (see accounts.policy)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("properties", "0002_search_indexes_postgresql"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="property",
            options={
                "ordering": ["sort_address", "objekt_id"],
                "verbose_name": "Objekt",
                "verbose_name_plural": "Objekte",
            },
        ),
    ]
