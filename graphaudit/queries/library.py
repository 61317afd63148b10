"""The query library: the ``.cypher`` files of ``graphaudit/cypher/``, read with
:mod:`importlib.resources`, and their headers (name, description, parameters, guide text)."""

from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .. import readonly
from ..errors import QueryError
from .params import RULE_PARAMETERS, Param, ParameterError, parameters_used, parse_param

#: the library's folder inside the installed package (a Path for an ordinary install)
QUERY_DIR: Traversable = resources.files("graphaudit") / "cypher"
#: files of ``cypher/`` that are not named queries
NOT_QUERIES = frozenset({"schema.cypher"})
#: the largest query FILE read (a query is a few KiB; a bigger file is a mistake, or /dev/zero)
MAX_QUERY_BYTES = 1 << 20


@dataclass(frozen=True)
class Query:
    """A Cypher query with its header: name, description, parameters and guide text."""

    name: str
    description: str
    statement: str  # the Cypher text that runs (header kept: comments are harmless)
    params: tuple[Param, ...] = ()
    returns: str = ""
    notes: tuple[str, ...] = ()
    path: Path | Traversable | None = None
    declared: bool = True  # False for a file without a header: parameters were inferred

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def example_command(self) -> str:
        """A command line that runs the query with its parameters' examples."""
        parts = ["graphaudit", "query", self.name]
        for p in self.params:
            value = p.example if p.example is not None else (None if not p.required else "...")
            if value is not None:
                parts += ["-p", shlex.quote(f"{p.name}={value}")]
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description,
                "parameters": [p.as_dict() for p in self.params]}


_HEADER_FIELD = re.compile(r"^(name|description|param|returns)\s*:\s*(.*)$")


def parse_query(text: str, path: Path | Traversable | None = None,
                name: str | None = None) -> Query:
    """Read a query and its header from Cypher ``text``.

    A text without a ``// name:`` header is an ad-hoc query: it is named after its file (or
    ``name``) and takes the ``$parameters`` it uses, each a required string.

    Raises QueryError for a malformed header or a text of more than one statement.
    """
    where = str(path) if path else (name or "query")
    header: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            header.append(stripped[2:].strip())
        elif stripped:
            break
    fields: dict[str, str] = {}
    params: list[Param] = []
    notes: list[str] = []
    for line in header:
        match = _HEADER_FIELD.match(line)
        if not match:
            notes.append(line)
        elif match[1] == "param":
            params.append(parse_param(match[2], where))
        else:
            fields[match[1]] = match[2].strip()
    statement = _single_statement(text, where)
    used = parameters_used(statement)
    if "name" not in fields:
        return Query(
            name=name or (Path(path.name).stem if path else "query"), description=fields.get(
                "description", "ad-hoc query"), statement=statement,
            params=tuple(Param(p, "string") for p in used if p not in RULE_PARAMETERS),
            path=path, declared=False)
    names = [p.name for p in params]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise QueryError(f"{where}: parameter declared twice: {', '.join(sorted(duplicates))}")
    undeclared = [p for p in used if p not in names and p not in RULE_PARAMETERS]
    if undeclared:
        raise QueryError(f"{where}: uses undeclared parameter(s): {', '.join(undeclared)}")
    for p in params:
        if p.kind_param and p.kind_param not in names:
            raise QueryError(f"{where}: parameter {p.name!r} is typed by {p.kind_param!r}, "
                             "which is not declared")
    return Query(
        name=fields["name"], description=fields.get("description", ""), statement=statement,
        params=tuple(params), returns=fields.get("returns", ""),
        notes=tuple(n for n in notes if n), path=path,
    )


def _single_statement(text: str, where: str) -> str:
    """The text with a trailing ``;`` dropped; more than one statement is an error."""
    statements = readonly.split_statements(text)
    if len(statements) > 1:
        raise QueryError(f"{where}: holds more than one statement; give one query per file")
    if not statements:
        raise QueryError(f"{where}: holds no query")
    return statements[0]


def load_library(directory: Traversable = QUERY_DIR) -> dict[str, Query]:
    """Every named query of ``directory`` (``cypher/``), by name, in name order.

    Raises QueryError when a file is malformed, lacks a header, or two files share a name.
    """
    library: dict[str, Query] = {}
    files = [p for p in directory.iterdir() if p.name.endswith(".cypher") and p.is_file()]
    for path in sorted(files, key=lambda p: p.name):
        if path.name in NOT_QUERIES:
            continue
        query = parse_query(path.read_text(encoding="utf-8"), path)
        if not query.declared:
            raise QueryError(f"{path}: has no '// name:' header")
        if query.name in library:
            raise QueryError(f"{path}: query name {query.name!r} is taken by "
                             f"{library[query.name].path}")
        if query.name != path.name.removesuffix(".cypher"):
            raise QueryError(f"{path}: is named {query.name!r}; name the file after its query")
        library[query.name] = query
    return dict(sorted(library.items()))


def list_queries(directory: Traversable = QUERY_DIR) -> list[dict]:
    """Name, parameters and description of every query, for ``graphaudit query --list``."""
    return [q.as_dict() for q in load_library(directory).values()]


def find_query(name_or_file: str, directory: Traversable = QUERY_DIR) -> Query:
    """A query of the library by name, or the query in a ``.cypher`` file given by path.

    A path contains a slash or ends in ``.cypher``; anything else is a library name, so a file
    in the current directory named like a library query never shadows it.
    """
    path = Path(name_or_file)
    looks_like_file = path.suffix == ".cypher" or "/" in name_or_file
    if looks_like_file:
        try:
            info = os.stat(path)  # never blocks, unlike opening a FIFO
            if not stat.S_ISREG(info.st_mode):
                raise ParameterError(f"query file {name_or_file} is not a regular file (a FIFO, "
                                     "a device or a socket): give a .cypher file")
            if info.st_size > MAX_QUERY_BYTES:
                raise ParameterError(f"query file {name_or_file} holds {info.st_size:,} bytes, "
                                     f"more than a query's {MAX_QUERY_BYTES >> 20} MiB: is it a "
                                     "query?")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"cannot read query file {name_or_file}: {exc}") from None
        return parse_query(text, path)
    library = load_library(directory)
    if name_or_file not in library:
        close = [n for n in library if name_or_file.lower() in n or n in name_or_file.lower()]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        if path.is_file():
            hint += f"; to run the file, write ./{name_or_file}"
        raise ParameterError(f"unknown query {name_or_file!r}{hint} "
                             "(graphaudit query --list shows them all)")
    return library[name_or_file]
