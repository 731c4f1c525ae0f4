"""Keep only the rows whose date column matches the run's date (birthdays, due dates).

Recurring deployments send to "today's" rows of one customer sheet: a birthday matches on
day and month (29/02 birthdays are greeted on 28/02 in other years), a due date on the full
date, optionally some days ahead ("remind 3 days before").
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from zns.recipients.cells import cell_date
from zns.recipients.columns import ColumnIndex

Match = Literal["day_month", "date"]


@dataclass(frozen=True, slots=True)
class DateFilter:
    column: str
    on: date  # the run's date in Vietnam
    match: Match = "day_month"
    days_ahead: int = 0

    @property
    def target(self) -> date:
        return self.on + timedelta(days=self.days_ahead)

    def bind(self, columns: Sequence[str]) -> Callable[[Sequence[Any]], bool]:
        """A per-row predicate for this header; an unknown column fails like any mapping error."""
        index = ColumnIndex(columns).require(self.column, "cột ngày để lọc người nhận (date_filter)")
        target = self.target
        wanted = {f"{target.day:02d}/{target.month:02d}"}
        if self.match == "day_month":
            last = calendar.monthrange(target.year, 2)[1]
            if target.month == 2 and target.day == last == 28:
                wanted.add("29/02")  # leap-day birthdays are greeted on 28/02
            return lambda cells: (text := cell_date(cells[index])) is not None and text[:5] in wanted
        exact = target.strftime("%d/%m/%Y")
        return lambda cells: cell_date(cells[index]) == exact
