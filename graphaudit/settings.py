"""Neo4j connection settings: command-line options > NEO4J_* environment > .neo4j/connection.env.

``make neo4j-start`` writes ``.neo4j/connection.env`` in the checkout, so after it every command
finds the local server without flags. The file is looked for in the current directory and its
parents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_KEYS = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")
CONNECTION_FILE = Path(".neo4j") / "connection.env"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and as whom to connect. ``repr`` never shows the password."""

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str = ""
    database: str = "neo4j"

    def __repr__(self) -> str:
        return (f"ConnectionSettings(uri={self.uri!r}, user={self.user!r}, "
                f"database={self.database!r})")


def find_connection_file(start: Path | None = None) -> Path | None:
    """Return the nearest ``.neo4j/connection.env`` at or above ``start`` (default: cwd)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONNECTION_FILE
        if candidate.is_file():
            return candidate
    return None


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=value`` lines (comments and blank lines skipped, quotes stripped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def resolve_settings(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    environ: dict[str, str] | None = None,
    start: Path | None = None,
) -> ConnectionSettings:
    """Merge options, environment and the connection file, in that order of precedence."""
    env = os.environ if environ is None else environ
    # The file describes the local server; it must not lend its password to another server.
    own_server = uri or env.get("NEO4J_URI")
    path = None if own_server else find_connection_file(start)
    file_values = read_env_file(path) if path else {}

    def pick(option: str | None, key: str, *aliases: str) -> str | None:
        if option:
            return option
        for name in (key, *aliases):
            if env.get(name):
                return env[name]
        return file_values.get(key) or None

    defaults = ConnectionSettings()
    return ConnectionSettings(
        uri=pick(uri, "NEO4J_URI") or defaults.uri,
        user=pick(user, "NEO4J_USERNAME", "NEO4J_USER") or defaults.user,
        password=pick(password, "NEO4J_PASSWORD") or defaults.password,
        database=pick(database, "NEO4J_DATABASE") or defaults.database,
    )


def config_dir(environ: dict[str, str] | None = None) -> Path:
    """The per-user configuration folder, ``$XDG_CONFIG_HOME/graphaudit`` (or ``~/.config/...``).

    One place for what belongs to the user rather than to a checkout: the local server's
    connection file and the pseudonym key. It is never searched for in parent folders.

    >>> str(config_dir({"XDG_CONFIG_HOME": "/tmp/cfg"}))
    '/tmp/cfg/graphaudit'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "graphaudit"
