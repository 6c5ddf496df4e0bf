"""Set-based writes for the sweep's hot path (PostgreSQL only).

Django's psycopg cursors bind parameters on the client, which quotes every element of
a 500-element array with regular expressions. Arrays go to the server far faster with
server-side binding in psycopg's binary format: one statement per batch, no per-row
Python beyond building the lists.
"""

import time

import psycopg
from django.db import connection


def execute_with_arrays(statement: str, params: list) -> int:
    """Run one statement whose parameters are (mostly) arrays; the row count.

    Runs on Django's connection, hence in the caller's transaction.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        start = time.monotonic()
        cursor.execute(statement, params, binary=True)
        if connection.queries_logged:  # counted as Django's cursors are (tests, benchmarks)
            connection.queries_log.append(
                {"sql": statement, "time": f"{time.monotonic() - start:.3f}"}
            )
        return cursor.rowcount
