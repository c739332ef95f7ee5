from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests import factories


@pytest.fixture
def manager(org):
    """A Sales Manager in Asia-Pacific: import and export over the Asia subtree."""
    return factories.user(
        "maya", unit=org["asia"], roles=["Sales Manager"], email="maya@example.com", region="ID"
    )


@pytest.fixture
def rep(org, manager):
    """A Sales Representative in Jakarta: no import or export privilege."""
    return factories.user(
        "rudi", unit=org["jakarta"], roles=["Sales Representative"], reports_to=manager
    )


@pytest.fixture
def write_csv(tmp_path):
    def write(rows: list[list[str]], name: str = "people.csv") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path):
    def write(rows: list[list], name: str = "people.xlsx") -> Path:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return path

    return write
