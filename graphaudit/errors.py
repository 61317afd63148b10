"""One family of errors, mapped to exit codes in one place (the CLI).

The library raises these and never prints or exits; ``cli.py`` turns them into
a one-line message and the exit code from docs/design.md §6.
"""

from __future__ import annotations


class GraphauditError(Exception):
    """Base of every error graphaudit reports to a user."""

    exit_code = 1


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
