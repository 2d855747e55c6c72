"""INSERT ... ON CONFLICT DO NOTHING that SQLAlchemy caches; runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, UniqueConstraint, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from kerma.store.dml import insert_ignoring_conflicts

meta = MetaData()
pairs = Table(
    "dml_pairs",
    meta,
    Column("id", Integer, primary_key=True),
    Column("a", String(8), nullable=False),
    Column("b", Integer, nullable=False),
    UniqueConstraint("a", "b"),
)


def test_conflicting_rows_are_skipped_and_the_statement_is_compiled_once(engine: Engine) -> None:
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            first = conn.execute(insert_ignoring_conflicts(pairs), [{"a": "x", "b": 1}, {"a": "y", "b": 2}])
            # a conflict with a stored row and one inside the same batch are both skipped
            again = conn.execute(
                insert_ignoring_conflicts(pairs), [{"a": "x", "b": 1}, {"a": "z", "b": 3}, {"a": "z", "b": 3}]
            )
            # one row: PostgreSQL adds RETURNING for the new key, which must follow the clause
            one = conn.execute(insert_ignoring_conflicts(pairs).values(a="w", b=4))
            assert one.inserted_primary_key is not None
            conn.execute(insert_ignoring_conflicts(pairs).values(a="y", b=2))
            rows = conn.execute(select(pairs.c.a, pairs.c.b).order_by(pairs.c.a)).all()
        assert [tuple(r) for r in rows] == [("w", 4), ("x", 1), ("y", 2), ("z", 3)]
        assert again.rowcount in (1, -1)  # -1: the driver does not count an executemany
        # The second execution reused the first one's compiled statement (SQLAlchemy's cache).
        assert again.context.compiled is first.context.compiled
    finally:
        meta.drop_all(engine)


def test_differs_from_a_plain_insert_in_the_cache_and_precedes_returning() -> None:
    ours, plain = insert_ignoring_conflicts(pairs), insert(pairs)
    key = ours._generate_cache_key()
    assert key is not None and key != plain._generate_cache_key()
    dialects: list[Dialect] = [sqlite.dialect(), postgresql.dialect()]  # type: ignore[no-untyped-call]
    for dialect in dialects:
        assert str(ours.compile(dialect=dialect)).endswith(") ON CONFLICT DO NOTHING")
        sql = str(ours.returning(pairs.c.id).compile(dialect=dialect))
        assert ") ON CONFLICT DO NOTHING RETURNING " in sql
