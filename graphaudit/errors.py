"""One family of errors, mapped to exit codes in one place (the CLI).

The library raises these and never prints or exits; ``cli.py`` turns them into
a one-line message and the exit code from docs/design.md §6.
"""

from __future__ import annotations


class GraphauditError(Exception):
    """Base of every error graphaudit reports to a user.

    ``file``, ``line`` and ``field`` say where in the input the error is, when it is in one
    (the message names them too): ``validate --format json`` prints them apart.
    """

    exit_code = 1
    #: the word the command line puts before the message
    label = "Error"

    def __init__(self, message: str = "", *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.file, self.line, self.field = file, line, field

    def document(self) -> dict:
        """The error as one JSON object: the message, the exit code and where it is."""
        return {"error": str(self), "exit_code": self.exit_code, "file": self.file,
                "line": self.line, "field": self.field}


class DataError(GraphauditError):
    """The input data cannot be used (unreadable file, missing column, rejects under --strict)."""


class ConfigError(GraphauditError):
    """A setting or an option's value is wrong (bad column map, bad hubs file)."""

    exit_code = 2


class Neo4jUnavailable(GraphauditError):
    """Neo4j cannot be reached, or refused our credentials."""

    exit_code = 3


class QueryError(GraphauditError):
    """A named query is unknown, misses a parameter, or would write without --write."""


class Interrupted(GraphauditError):
    """The user stopped the run (Ctrl-C): the message says what it left and how to finish it.
    Exit code 130, the shells' code for a command ended by SIGINT."""

    exit_code = 130
    label = "Interrupted"
