"""Row counts of every table, in one query: a refused request must leave all of them as they were."""

from django.db import connection


def row_counts() -> dict[str, int]:
    tables = sorted(connection.introspection.table_names(include_views=False))
    query = " UNION ALL ".join(
        f"SELECT %s, count(*) FROM {connection.ops.quote_name(table)}"  # noqa: S608 (our tables)
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return dict(cursor.fetchall())


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Tables whose row count differs, with (before, after)."""
    return {t: (before.get(t, 0), n) for t, n in after.items() if before.get(t, 0) != n}
