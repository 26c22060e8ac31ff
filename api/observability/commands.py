"""Which database commands a piece of work sends: PyMongo's command monitoring, for benchmarks and tests.

Registered process-wide before the clients it should see are built (PyMongo copies the global
listeners into each new client); it records only while a ``recording()`` block is open.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pymongo import monitoring


class CommandLog(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []  # (command name, collection(s)) in the order sent
        self._recording = False

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, str]]]:
        self.commands = []
        self._recording = True
        try:
            yield self.commands
        finally:
            self._recording = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self._recording:
            self.commands.append((event.command_name, _target(event.command, event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _target(command: Mapping[str, Any], name: str) -> str:
    """The collection a command names; a client-level ``bulkWrite``'s collections joined by "+"."""
    target = command.get(name)
    if isinstance(target, str):
        return target
    return "+".join(ns["ns"].split(".", 1)[1] for ns in command.get("nsInfo", []))


def install_command_log() -> CommandLog:
    """A process-wide log; clients built from now on report to it."""
    log = CommandLog()
    monitoring.register(log)
    return log
