"""Fixtures of the store tests: a fresh database file per test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.store import sync


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "data" / "box.db")


@pytest.fixture
def conn(db_path: str) -> Iterator[sqlite3.Connection]:
    connection = sync.connect(db_path)
    yield connection
    connection.close()

