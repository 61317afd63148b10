"""cypher-shell for analysts: where it is, and the environment that logs it in.

``make neo4j-start`` (scripts/neo4j.sh) fetches cypher-shell 5.26 from Maven Central next to the
server's jars and names its launcher in the per-user connection file
(``GRAPHAUDIT_CYPHER_SHELL``). ``graphaudit shell`` runs it on the server of the usual settings
(options, NEO4J_* variables, the connection file). The password travels in the child's
environment (``NEO4J_PASSWORD``, which cypher-shell reads), never on a command line that
``ps`` shows.

The shell is an analyst's full client: unlike ``graphaudit query`` it is not read-only (the
checks of :mod:`graphaudit.readonly` do not apply); what the user may do is what the Neo4j user
may do (docs/security.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from .errors import ConfigError
from .settings import ConnectionSettings, connection_file, read_env_file

__all__ = ["SHELL_ENV", "check_shell_args", "find_cypher_shell", "shell_environment"]

#: names the cypher-shell launcher (environment, or a line of the per-user connection file)
SHELL_ENV = "GRAPHAUDIT_CYPHER_SHELL"


#: cypher-shell's own options that choose the server or the login: graphaudit's --uri, --user
#: and --database choose them (with the rule that keeps the saved password off other servers)
_CONNECTION_OPTIONS = {"-a": "--uri", "--address": "--uri", "--uri": "--uri", "-u": "--user",
                       "--username": "--user", "-p": "--password", "--password": "--password",
                       "-d": "--database", "--database": "--database",
                       "--impersonate": "another Neo4j user"}


def check_shell_args(args: list[str] | tuple[str, ...]) -> None:
    """Refuse cypher-shell arguments that name a server, a user or a database: cypher-shell
    would log in there with the password graphaudit gives it (the saved one), so a pasted
    ``-a bolt://elsewhere`` would send it to another server."""
    for arg in args:
        name = arg.split("=", 1)[0]
        short = arg[:2] if len(arg) > 2 and not arg.startswith("--") else arg
        found = name if name in _CONNECTION_OPTIONS else short
        if found in _CONNECTION_OPTIONS:
            raise ConfigError(
                f"cypher-shell's {found} is refused: it would log in with the saved password "
                f"wherever it points; give graphaudit's {_CONNECTION_OPTIONS[found]} instead "
                "(graphaudit shell --help), which never sends a saved password to another "
                "server")


def find_cypher_shell(environ: Mapping[str, str] | None = None) -> Path:
    """The cypher-shell to run: ``$GRAPHAUDIT_CYPHER_SHELL``, else the launcher the per-user
    connection file names (written by scripts/neo4j.sh), else ``cypher-shell`` on PATH."""
    env = os.environ if environ is None else environ
    candidates: list[tuple[str, str]] = []
    if env.get(SHELL_ENV):
        candidates.append((env[SHELL_ENV], f"${SHELL_ENV}"))
    path = connection_file(env)
    if path.is_file():
        named = read_env_file(path).get(SHELL_ENV)
        if named:
            candidates.append((named, str(path)))
    for found, origin in candidates:
        if os.access(found, os.X_OK):
            return Path(found)
        raise ConfigError(f"cypher-shell {found!r} (from {origin}) is not an executable file: "
                          "run `make neo4j-start` in the graphaudit checkout to fetch it")
    on_path = shutil.which("cypher-shell", path=env.get("PATH"))
    if on_path:
        return Path(on_path)
    raise ConfigError("no cypher-shell: `make neo4j-start` (scripts/neo4j.sh) fetches it with the "
                      f"server, or set {SHELL_ENV} to a cypher-shell executable")


def shell_environment(settings: ConnectionSettings,
                      environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for cypher-shell: the caller's, with the connection settings in the
    NEO4J_* variables cypher-shell reads (so the password is on no command line)."""
    env = dict(os.environ if environ is None else environ)
    env.pop("NEO4J_ADDRESS", None)  # cypher-shell prefers it to NEO4J_URI
    env.update(NEO4J_URI=settings.uri, NEO4J_USERNAME=settings.user,
               NEO4J_PASSWORD=settings.password or "", NEO4J_DATABASE=settings.database)
    return env
