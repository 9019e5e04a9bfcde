"""The one exception root and the documented exit codes.

The engine layer translates docker-py and requests errors into these; the CLI catches
`DoctorError` in one place, prints its message as one line and exits with `exit_code`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every `doctor` command (documented in the README)."""

    OK = 0  # diagnosed (whatever the findings), or the command did its job
    ERROR = 1  # an unexpected error: the engine answered something we cannot use
    USAGE = 2  # bad arguments: unknown option, bad duration, ambiguous id prefix
    ENGINE_UNREACHABLE = 3  # no engine answers, or the socket refuses us
    NOT_FOUND = 4  # no such container
    FINDINGS = 5  # findings at or above --fail-on
    EXPECTATIONS = 6  # a scenario did not produce what it expects (doctor scenario)


class DoctorError(Exception):
    """Root of every error dockerdoctor reports to the user as one line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(DoctorError):
    exit_code = ExitCode.USAGE


class AmbiguousReference(UsageError):
    """An id prefix matches more than one container."""


class EngineUnreachable(DoctorError):
    exit_code = ExitCode.ENGINE_UNREACHABLE


class NotFound(DoctorError):
    exit_code = ExitCode.NOT_FOUND


class EngineError(DoctorError):
    """The engine answered, but with an error we cannot work around."""
