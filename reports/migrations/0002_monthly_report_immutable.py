"""A closed month's 月次参加レポート never changes: on PostgreSQL, the database itself refuses to update or
delete a snapshot row (a recomputation inserts a new version). SQLite, the embedded try-out default,
relies on MonthlyReport.save() refusing an update."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reports_monthlyreport_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'a monthly report snapshot is never changed (' || TG_OP || '): compute a new version',
        ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_monthlyreport_immutable
    BEFORE UPDATE OR DELETE ON reports_monthlyreport
    FOR EACH ROW EXECUTE FUNCTION reports_monthlyreport_immutable();
"""

BACKWARD = """
DROP TRIGGER reports_monthlyreport_immutable ON reports_monthlyreport;
DROP FUNCTION reports_monthlyreport_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_monthly_report")]

    operations = [migrations.RunPython(forward, backward)]
