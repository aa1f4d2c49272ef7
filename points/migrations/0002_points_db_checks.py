"""The ledger's rules held by PostgreSQL itself, whatever code writes to it:

- each transaction's entries sum to zero, checked at commit (a deferred constraint trigger, so the
  entries of one transaction may be inserted one by one);
- entries and transactions are append-only: UPDATE and DELETE are refused (TRUNCATE, used only by the
  test suite's flush, fires no row trigger).

SQLite (the embedded default) gets none of this: there points.ledger.post checks the sum in Python.
"""

from django.db import migrations

BALANCED = """
CREATE FUNCTION points_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM points_entry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'points transaction % does not balance (sum %)', NEW.transaction_id, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER points_entry_balanced AFTER INSERT ON points_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION points_entry_balanced();

CREATE FUNCTION points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: write a reversing transaction instead', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_append_only();
CREATE TRIGGER points_transaction_append_only BEFORE UPDATE OR DELETE ON points_transaction
    FOR EACH ROW EXECUTE FUNCTION points_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS points_transaction_append_only ON points_transaction;
DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry;
DROP FUNCTION IF EXISTS points_append_only();
DROP TRIGGER IF EXISTS points_entry_balanced ON points_entry;
DROP FUNCTION IF EXISTS points_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_points_ledger")]

    operations = [migrations.RunPython(forwards, backwards)]
