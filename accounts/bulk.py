"""Bulk loading for the large demo and benchmark data (PostgreSQL), here at the bottom layer so that
every app's demo module can use it.

- copy_rows: COPY, hundreds of thousands of rows in seconds, where bulk_create spends most of a minute
  building model instances and quoting each value. Rows bypass save() and its signals, as
  bulk_create's do.
- foreign_keys_checked_at_end: the advice of PostgreSQL's manual for bulk loads ("Populating a
  Database: Remove Foreign Key Constraints"): each foreign key is checked once for all the rows, by
  one join, instead of by one lookup per row at commit (seen: 16 s of a million applications' commit).
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write `rows` (values in the order of `fields`, plain Python values) into the model's table.
    JSON fields' values are wrapped for jsonb here; the caller's transaction holds the rows."""
    meta = model._meta
    columns = [field for name in fields if isinstance(field := meta.get_field(name), models.Field)]
    is_json = [isinstance(field, models.JSONField) for field in columns]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(str(field.column)) for field in columns)
    )
    written = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [Jsonb(value) if json else value for value, json in zip(row, is_json, strict=True)]
            )
            written += 1
    return written


@contextmanager
def foreign_keys_checked_at_end(*tables: str) -> Iterator[None]:
    """Inside a transaction: drop the tables' foreign keys and add them back, as they were defined,
    when the block ends. Adding a key checks every row against it: a row without its referenced row
    fails the transaction as the key would have. The tables (and those they reference) stay locked
    until the commit; an error inside the block rolls the drop back with everything else."""
    if not connection.in_atomic_block:
        raise RuntimeError("foreign_keys_checked_at_end needs a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY conrelid, conname",
            [list(tables)],
        )
        keys = cursor.fetchall()
        # A table with checks still pending from earlier in the transaction cannot be altered: they
        # run now. Every deferrable check of this schema is initially deferred (Django's foreign
        # keys, the ledger's balance trigger), so DEFERRED at the end is the transaction's default.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Names and definitions come from the catalogue, quoted by PostgreSQL itself.
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        yield
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
