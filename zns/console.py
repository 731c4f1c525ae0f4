"""The operator's console for `zns run`: progress bars on a terminal, drawn with rich (Prefect's
own console library) on the console Prefect prints the product's lines to, so both interleave."""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.theme import Theme

from zns.progress import LOGGER, STEP_LABELS


class ProgressBars(logging.Handler):
    """One bar per step, created on the step's first report; a step without a total counts up."""

    def __init__(self, console: Console) -> None:
        super().__init__(level=logging.DEBUG)
        self.bars = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event: Any = getattr(record, "zns_progress", None)
        if not event:
            return
        step, done, total = event
        if step not in self.tasks:
            if not self.tasks:
                self.bars.start()
            for earlier in self.tasks.values():  # a count-up step ended when the next one began
                bar = self.bars.tasks[earlier]
                if bar.total is None:
                    self.bars.update(earlier, total=bar.completed)
            self.tasks[step] = self.bars.add_task(STEP_LABELS.get(step, step), total=total)
        self.bars.update(self.tasks[step], completed=done, total=total)

    def close(self) -> None:
        if self.tasks:
            self.bars.stop()
        super().close()


def attach_bars(console: Console | None) -> ProgressBars | None:
    """Bars only where a person watches (a terminal); logs and pipes get the plain lines."""
    if console is None or not console.is_terminal:
        return None
    console.push_theme(Theme(inherit=True))  # Prefect's console theme lacks rich's progress styles
    handler = ProgressBars(console)
    LOGGER.setLevel(logging.DEBUG)
    LOGGER.addHandler(handler)
    LOGGER.propagate = False
    return handler


def detach_bars(handler: ProgressBars | None) -> None:
    if handler is not None:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(logging.NOTSET)
        LOGGER.propagate = True
        handler.close()
