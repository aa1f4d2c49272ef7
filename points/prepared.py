"""A cursor for the credit path: values sent apart from the statement, each statement prepared once
per database connection.

A closed session is credited one attendance per transaction, a handful of statements each (bench
ledger_credit). Through Django's own cursor each statement goes as text with its values quoted in
(client-side binding: psycopg quotes every value, the arrays of ledger.post among them, and that
quoting was a sixth of a credit's time), and the server parses and plans it anew (0.3-0.5 ms of
planning for the joins of the attendance's and the budget's locks, beside 0.1 ms of executing them).

prepared_cursor() sends the values apart (server-side binding) and has psycopg prepare each statement
on its first use in a connection; psycopg keeps track of them (it prepares them again after a
rollback, a DISCARD or a reconnect). The cursor is wrapped as Django wraps its own: errors become
django.db errors, and execute wrappers and query logging (the tests' query counts) see its statements.
On SQLite (the embedded default) it is Django's cursor.
"""

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _Preparing(psycopg.Cursor):
    """psycopg's cursor with server-side binding, preparing every statement it runs. (Django turns
    psycopg's automatic preparation off for the connection, for the sake of connection poolers.)"""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor() -> CursorWrapper:
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _Preparing(connection.connection)
    # As Django wraps its own cursors (BaseDatabaseWrapper._prepare_cursor).
    if connection.queries_logged:
        return CursorDebugWrapper(cursor, connection)
    return CursorWrapper(cursor, connection)


def for_update(clause: str) -> str:
    """A statement's locking clause, where the database has one. SQLite has none: a writer holds the
    whole database until it commits."""
    return clause if connection.features.has_select_for_update else ""
