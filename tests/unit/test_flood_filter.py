"""The log's flood filter: a burst of one kind of line, then a count of what was dropped."""

from __future__ import annotations

import logging

from app.logs import FloodFilter


def record(msg: str, at: float, name: str = "app.transport") -> logging.LogRecord:
    line = logging.LogRecord(name, logging.INFO, __file__, 1, msg, ("x",), None)
    line.created = at
    return line


def test_a_flood_is_cut_to_its_burst_and_the_drop_is_counted() -> None:
    flood = FloodFilter(("app",), burst=3, window_s=10)
    passed = [flood.filter(record("refused %s", at=0.1 * i)) for i in range(8)]
    assert passed == [True] * 3 + [False] * 5
    later = record("refused %s", at=11.0)
    assert flood.filter(later)
    assert later.getMessage() == "refused x [5 like it suppressed in 10 s]"
    assert flood.filter(record("refused %s", at=11.1))  # a fresh window


def test_other_kinds_of_line_are_not_held_back() -> None:
    flood = FloodFilter(("app",), burst=1, window_s=10)
    assert flood.filter(record("refused %s", at=0))
    assert not flood.filter(record("refused %s", at=1))
    assert flood.filter(record("serving %s", at=1))
    assert flood.filter(record("refused %s", at=1, name="app.rpc"))


def test_the_table_of_kinds_stays_bounded() -> None:
    flood = FloodFilter(("app",), burst=1, window_s=10, kinds=4)
    for n in range(10):
        assert flood.filter(record(f"line {n}", at=0))
    assert len(flood._seen) <= 4


def test_lines_of_other_loggers_pass_however_many() -> None:
    flood = FloodFilter(("app.transport",), burst=1, window_s=10)
    assert all(flood.filter(record("started %s", at=0, name="app.worker")) for _ in range(50))
