"""The engine most Python developers would write: a ``transitions.Machine`` per task on
SQLAlchemy ORM objects. A peer for ``fanout.py`` and ``sweep.py``, on the same schema.

It fans out by loading the schools, creating one ORM object and one machine per task and
flushing them; it sweeps by loading every open task past its due, firing ``mark_overdue``
on each one's machine and committing. It writes no events, climbs no escalation ladder and
queues no notifications (chidao does all three in its figures), so it is a lower bound for
this design.
"""

from __future__ import annotations

import time

import common  # noqa: F401 (puts src/ on sys.path)
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from transitions import Machine

STATES = ["received", "implementing", "reported", "overdue"]
TRANSITIONS = [
    {"trigger": "start", "source": "received", "dest": "implementing"},
    {"trigger": "report", "source": ["received", "implementing", "overdue"], "dest": "reported"},
    {"trigger": "mark_overdue", "source": ["received", "implementing"], "dest": "overdue"},
]


class Base(DeclarativeBase):
    pass


class UnitLevel(Base):
    __tablename__ = "unit_levels"
    unit_code: Mapped[str] = mapped_column(String, primary_key=True)
    level: Mapped[str] = mapped_column(String, primary_key=True)


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directive_id: Mapped[int] = mapped_column(Integer)
    deliverable_id: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String)
    period: Mapped[str] = mapped_column(String, default="")
    state: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer, default=1)
    due_at: Mapped[str | None] = mapped_column(String)
    late_at: Mapped[str | None] = mapped_column(String)
    due_seq: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[str | None] = mapped_column(String)
    rung: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)

    def attach(self) -> None:
        """Give the object its own machine, starting from its stored state."""
        Machine(
            model=self,
            states=STATES,
            transitions=TRANSITIONS,
            initial=self.state,
            model_attribute="state",
            auto_transitions=False,
        )


def fan_out(path: str) -> tuple[float, str]:
    """One ORM object and one machine per school of level TH, then one commit."""
    import fanout

    engine = create_engine(f"sqlite:///{path}")
    start = time.perf_counter()
    with Session(engine) as session:
        codes = session.scalars(select(UnitLevel.unit_code).where(UnitLevel.level == "TH"))
        for code in codes:
            task = Task(
                directive_id=1,
                deliverable_id=1,
                unit_code=code,
                period="",
                state="received",
                version=1,
                due_at=fanout.DUE,
                late_at=fanout.DUE,
                due_seq=0,
                received_at=fanout.NOW_TEXT,
                rung=0,
                created_at=fanout.NOW_TEXT,
                updated_at=fanout.NOW_TEXT,
            )
            task.attach()
            session.add(task)
        session.commit()
    took = time.perf_counter() - start
    engine.dispose()
    return took, ""


def sweep(path: str, now: str) -> tuple[float, str]:
    """Load every open task past its due, fire ``mark_overdue`` on each, commit."""
    engine = create_engine(f"sqlite:///{path}")
    start = time.perf_counter()
    with Session(engine) as session:
        late = session.scalars(
            select(Task).where(Task.state.in_(["received", "implementing"]), Task.late_at < now)
        )
        moved = 0
        for task in late:
            task.attach()
            task.mark_overdue()
            task.version += 1
            task.updated_at = now
            moved += 1
        session.commit()
    took = time.perf_counter() - start
    engine.dispose()
    return took, str(moved)
