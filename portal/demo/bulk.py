"""COPY for the large demo data (PostgreSQL): hundreds of thousands of rows in seconds, where
bulk_create spends most of a minute building model instances and quoting each value. Rows bypass
save() and its signals, as bulk_create's do."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write `rows` (values in the order of `fields`, plain Python values) into the model's table.
    JSON fields' values are wrapped for jsonb here; the caller's transaction holds the rows."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    is_json = [isinstance(field, models.JSONField) for field in columns]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(field.column) for field in columns)
    )
    written = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [Jsonb(value) if json else value for value, json in zip(row, is_json, strict=True)]
            )
            written += 1
    return written
