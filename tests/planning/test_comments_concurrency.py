"""50 concurrent writers adding comments on SQLite (WAL) and on PostgreSQL lose none.

Each thread has its own session on a file-backed SQLite database or the PostgreSQL test schema
and writes through :func:`planning.comments.run_write`, the same path as the page. SQLite lets
one writer at a time: its busy timeout makes a writer wait for the lock, but a transaction
that read before writing is refused at once when its snapshot went stale, which is what
``run_write`` retries.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlmodel import Session

from app.session import SessionUser
from inventory import writes
from inventory.db import make_engine
from inventory.models import AuditEntry, Comment, Scenario, User
from planning import comments

WRITERS = 50


def test_fifty_concurrent_writers_lose_no_comment(engine, database_url):
    with Session(engine) as session:
        scenario = writes.add(
            session,
            Scenario,
            {"name": "Plan", "model": "manual", "base_year": 2024, "status": "open_for_comment"},
        )
        accounts = writes.add_all(
            session,
            User,
            [
                {"username": f"ref{i}", "display_name": f"Ref {i}", "role": "referensgrupp"}
                for i in range(WRITERS)
            ],
        )
        session.commit()
        scenario_id = scenario.id
        users = [
            SessionUser(a.username, a.display_name, "referensgrupp", id=a.id) for a in accounts
        ]

    writers = make_engine(database_url, pool_size=WRITERS, max_overflow=0)
    if writers.dialect.name == "sqlite":  # the engine's settings the writers rely on
        with writers.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(number: int) -> None:
        start.wait()
        try:
            comments.run_write(
                writers,
                lambda s: (
                    comments.add_comment(s, users[number], scenario_id, f"synpunkt {number}").id
                ),
            )
        except BaseException as exc:  # collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writers.dispose()
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    with engine.connect() as connection:
        texts = connection.execute(sa.select(Comment.text)).scalars().all()
        authors = connection.execute(sa.select(Comment.author_id)).scalars().all()
        audited = connection.execute(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "comment", AuditEntry.action == "create")
        ).scalar_one()
    assert len(texts) == WRITERS
    assert sorted(texts) == sorted(f"synpunkt {n}" for n in range(WRITERS))
    assert sorted(authors) == sorted(u.id for u in users)
    assert audited == WRITERS  # exactly one audit entry per comment, none from a retried try
