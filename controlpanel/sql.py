"""Hand-compiled statements for the hottest reads, with the ORM's own value conversion.

A few reads run on nearly every API request (the session check, a learner's category rows).
The ORM spends far longer compiling them than the database spends answering (docs/performance.md
P1), so those few are written once per database from the models' metadata and run through a
cursor. Values still pass through the converters the ORM would apply (SQLite's text
datetimes become aware datetimes, booleans become ``bool``), so callers see the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db.models import Model

Converters = list[tuple[Any, list]]


def column(connection, model: type[Model], field_name: str) -> str:
    """``model``'s column for ``field_name``, quoted for ``connection``."""
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


def converters_for(connection, model: type[Model], field_names: Sequence[str]) -> Converters:
    """The ORM's converters for these fields of ``model``, in order."""
    out = []
    for name in field_names:
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        out.append((column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)))
    return out


_CONVERTERS: dict[tuple, Converters] = {}


def model_converters(connection, model: type[Model], *field_names: str) -> Converters:
    """``converters_for``, built once per process for each database vendor, model and fields (the
    converters depend on nothing else), for the statements that run on every request."""
    key = (connection.vendor, model, field_names)
    found = _CONVERTERS.get(key)
    if found is None:
        found = _CONVERTERS[key] = converters_for(connection, model, field_names)
    return found


def convert_row(connection, row: Sequence[Any], converters: Converters) -> list[Any]:
    """``row``'s values as the ORM would hand them over."""
    values = []
    for value, (column, functions) in zip(row, converters, strict=True):
        for convert in functions:
            value = convert(value, column, connection)
        values.append(value)
    return values


def fetch_all(connection, sql: str, params: Sequence[Any]) -> list[tuple]:
    """The rows of one written statement."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def among(connection, expression: str, ids: Sequence[int], *, negate: bool = False) -> tuple[str, object]:
    """A condition that ``expression`` is (or with ``negate`` is not) one of ``ids``, and its one parameter: the
    list whole (``= ANY`` on PostgreSQL, ``json_each`` on SQLite), however long, where SQLite caps a
    statement's parameters."""
    if connection.vendor == "postgresql":
        return (f"NOT ({expression} = ANY(%s))" if negate else f"{expression} = ANY(%s)"), list(ids)
    return f"{expression} {'NOT IN' if negate else 'IN'} (SELECT value FROM json_each(%s))", json.dumps(list(ids))  # noqa: S608
