"""The settings of a run, as objects passed in (:class:`Settings`), and where Neo4j is
(:class:`ConnectionSettings`).

Neo4j connection settings: command-line options > NEO4J_* environment > the per-user file.

The per-user file is ``connection.env`` in :func:`config_dir` (``$XDG_CONFIG_HOME/graphaudit``,
by default ``~/.config/graphaudit``). ``make neo4j-start`` writes it, so after it every command
finds the local server from any directory. Nothing else is read: no file of the current
directory or of its parents, where a file planted in a shared folder could redirect the tool.
Every setting remembers where it came from, so an error can name the places that were tried.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .parallel import Parallel

__all__ = ["CONNECTION_FILE_NAME", "URI_SCHEMES", "ConnectionSettings", "Settings", "check_uri",
           "config_dir", "connection_file", "read_env_file", "resolve_settings", "safe_uri"]

ENV_KEYS = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")
CONNECTION_FILE_NAME = "connection.env"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and as whom to connect. ``repr`` never shows the password.

    ``origin`` says where the URI came from and which places were tried before it, for error
    messages (``"NEO4J_URI"``, ``"/home/ana/.config/graphaudit/connection.env"``, ...).
    """

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str = ""
    database: str = "neo4j"
    origin: str = field(default="", compare=False)
    #: where the password came from (``"--password"``, ``"NEO4J_PASSWORD"``, the connection
    #: file, or none given), so a refused login names the place to fix
    password_origin: str = field(default="", compare=False)

    def __repr__(self) -> str:
        return (f"ConnectionSettings(uri={self.safe_uri!r}, user={self.user!r}, "
                f"database={self.database!r})")

    @property
    def safe_uri(self) -> str:
        """The URI to print: no user name, password or query in it (:func:`safe_uri`)."""
        return safe_uri(self.uri)


@dataclass(frozen=True)
class Settings:
    """How one run reads, computes and writes: made once (by the command line from its options
    and environment, or by a script) and passed down to :mod:`graphaudit.pipeline`. Nothing in
    the package reads a module global that a caller would need to change; a test that needs
    another value passes another object.

    >>> Settings().parallel.workers, Settings().show_pii
    (1, False)
    """

    #: where and as whom to connect to Neo4j (:func:`resolve_settings`)
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    #: the budget of workers (:mod:`graphaudit.parallel`); the default runs in this process
    parallel: Parallel = field(default_factory=Parallel)
    #: outputs show ID numbers, accounts, phones and e-mails unmasked
    show_pii: bool = False
    #: the key of the pseudonyms and hashes; None: this installation's (privacy.load_key)
    secret: bytes | None = field(default=None, repr=False)
    #: any reject (a row, or a value dropped) fails the run
    strict: bool = False
    #: text encoding of the record files (None: detected), export columns renamed to
    #: graphaudit's (records.load_column_map), strftime format of unusual dates
    encoding: str | None = None
    column_map: Mapping[str, Mapping[str, str]] | None = None
    date_format: str | None = None
    #: identifiers keyed through the vectorized rewrites and keys (the same keys as the plain
    #: normalizers, much faster); False sends every value through the plain rules
    shortcuts: bool = True


#: the schemes of Bolt, the protocol graphaudit speaks (``http://`` is Neo4j's Query API, which
#: the driver reaches only through optional packages, and graphaudit does not use)
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def safe_uri(uri: str) -> str:
    """``uri`` without its user information and query, so that it can be printed.

    >>> safe_uri("neo4j+s://ana:s3cret@db.example:7687/?policy=x")
    'neo4j+s://db.example:7687/?...'
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    rest, query, _ = rest.partition("?")
    host, slash, path = rest.partition("/")
    host = host.rpartition("@")[2]
    return f"{scheme}{sep}{host}{slash}{path}{'?...' if query else ''}"


def check_uri(uri: str) -> str:
    """Return ``uri`` when graphaudit can use it; else raise ConfigError (never repeating a
    password): a Bolt scheme of :data:`URI_SCHEMES`, and no credentials in the URI."""
    from .errors import ConfigError

    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.lower() not in URI_SCHEMES:
        schemes = ", ".join(f"{s}://" for s in URI_SCHEMES)
        raise ConfigError(f"Neo4j URI {safe_uri(uri)!r}: the scheme must be one of {schemes} "
                          "(Bolt; graphaudit does not use the HTTP API)")
    if "@" in rest.partition("/")[0].partition("?")[0]:
        raise ConfigError(f"Neo4j URI {safe_uri(uri)!r} carries a user name or password: give "
                          "them with --user/--password or NEO4J_USERNAME/NEO4J_PASSWORD")
    return uri


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user configuration folder, ``$XDG_CONFIG_HOME/graphaudit`` (or ``~/.config/...``).

    One place for what belongs to the user rather than to a checkout: the local server's
    connection file and the pseudonym key. It is never searched for in parent folders.

    >>> str(config_dir({"XDG_CONFIG_HOME": "/tmp/cfg"}))
    '/tmp/cfg/graphaudit'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "graphaudit"


def connection_file(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user connection file that ``make neo4j-start`` writes.

    >>> str(connection_file({"XDG_CONFIG_HOME": "/tmp/cfg"}))
    '/tmp/cfg/graphaudit/connection.env'
    """
    return config_dir(environ) / CONNECTION_FILE_NAME


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
    environ: Mapping[str, str] | None = None,
) -> ConnectionSettings:
    """Merge options, environment and the per-user connection file, in that order.

    The file describes the local server: when ``--uri`` or ``NEO4J_URI`` names a server, the
    file is not read at all, so it never lends its password to another server.

    >>> s = resolve_settings(environ={"NEO4J_URI": "bolt://db:7687", "XDG_CONFIG_HOME": "/no"})
    >>> s.uri, s.origin
    ('bolt://db:7687', 'NEO4J_URI')
    """
    env = os.environ if environ is None else environ
    path = connection_file(env)
    file_values: dict[str, str] = {}
    if uri:
        origin = "--uri"
    elif env.get("NEO4J_URI"):
        origin = "NEO4J_URI"
    else:
        try:
            file_values = read_env_file(path) if path.is_file() else {}
        except (OSError, UnicodeDecodeError):
            file_values = {}
        origin = (str(path) if file_values.get("NEO4J_URI") else
                  f"the default (tried: --uri, NEO4J_URI, {path}: "
                  f"{'no NEO4J_URI in it' if path.is_file() else 'not there'})")

    def pick(option: str | None, key: str, *aliases: str) -> str | None:
        if option:
            return option
        for name in (key, *aliases):
            if env.get(name):
                return env[name]
        return file_values.get(key) or None

    def password_origin() -> str:
        if password:
            return "--password"
        if env.get("NEO4J_PASSWORD"):
            return "NEO4J_PASSWORD"
        if file_values.get("NEO4J_PASSWORD"):
            return str(path)
        return "none given (tried --password, NEO4J_PASSWORD" + (
            ")" if uri or env.get("NEO4J_URI") else f", {path})")

    defaults = ConnectionSettings()
    return ConnectionSettings(
        uri=check_uri(pick(uri, "NEO4J_URI") or defaults.uri),
        user=pick(user, "NEO4J_USERNAME", "NEO4J_USER") or defaults.user,
        password=pick(password, "NEO4J_PASSWORD") or defaults.password,
        database=pick(database, "NEO4J_DATABASE") or defaults.database,
        origin=origin,
        password_origin=password_origin(),
    )
