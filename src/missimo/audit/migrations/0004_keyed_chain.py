"""The keyed audit chain (issue #21): a MAC under the audit key for every entry and for the chain
head, existing entries sealed, and the head protected by a trigger (forward only, never deleted).

Sealing does not hide earlier tampering: `verify_chain` still checks the SHA-256 chain the entries
were written with; the MACs only add what a database user without the key cannot recompute."""

from django.db import migrations, models

from missimo.audit.db import install_append_only_triggers, remove_append_only_triggers

GENESIS = "0" * 64


def seal(apps, schema_editor):
    from missimo.audit.services import entry_mac, head_mac

    connection = schema_editor.connection
    remove_append_only_triggers(connection)
    try:
        with connection.cursor() as cursor:
            previous_mac = GENESIS  # a log starting after a purge: its old checkpoint has no MAC
            cursor.execute("SELECT sequence, entry_hash FROM audit_auditevent ORDER BY sequence")
            rows = cursor.fetchall()
            for sequence, entry_hash in rows:
                previous_mac = entry_mac(previous_mac, entry_hash)
                cursor.execute(
                    "UPDATE audit_auditevent SET entry_mac = %s WHERE sequence = %s", [previous_mac, sequence]
                )
            cursor.execute("SELECT last_sequence, last_hash FROM audit_auditchainhead WHERE id = 1")
            head = cursor.fetchone()
            if head is not None:
                last_mac = previous_mac if rows and rows[-1][0] == head[0] else GENESIS
                cursor.execute(
                    "UPDATE audit_auditchainhead SET last_mac = %s, head_mac = %s WHERE id = 1",
                    [last_mac, head_mac(head[0], head[1], last_mac)],
                )
    finally:
        install_append_only_triggers(connection)


def unseal(apps, schema_editor):
    remove_append_only_triggers(schema_editor.connection)
    install_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditevent_action")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="entry_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="last_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="head_mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(seal, unseal),
    ]
