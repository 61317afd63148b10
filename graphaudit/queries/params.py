"""Parameter types of the query library: converters from what an analyst typed, the
declared parameters of a query header, and binding ``-p NAME=VALUE`` values to them."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import normalize, readonly
from ..errors import QueryError
from ..identifiers import KINDS, LABELS, RELATIONSHIPS
from ..normalize import identifier_key
from ..scoring import BRAND_RULE

if TYPE_CHECKING:
    from .library import Query


class ParameterError(QueryError):
    """A query or parameter the user named is unknown, missing or malformed (a usage error)."""

    exit_code = 2


#: Neo4j's integers: 64 bits, signed (a larger Python int stops the driver with a traceback)
INT_RANGE = (-(1 << 63), (1 << 63) - 1)


def _int(text: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ValueError(f"{value} is beyond Neo4j's integers (64 bits, "
                         f"{INT_RANGE[0]} to {INT_RANGE[1]})")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"must be between {low} and {high}, got {value}")
    return value


def _float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected an ISO date (YYYY-MM-DD), got {text!r}") from None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _string(text: str) -> str:
    return text.strip()


#: names an analyst may use for an identifier kind, beside the kinds themselves
KIND_ALIASES = {
    **{label.lower(): kind for kind, label in LABELS.items()},
    **{rel.lower(): kind for kind, rel in RELATIONSHIPS.items()},
    "id": "id_document", "id_number": "id_document", "document": "id_document",
    "account": "payment", "account_number": "payment", "bank": "payment", "card": "payment",
    "wallet": "payment", "mobile": "phone", "e-mail": "email", "mail": "email",
}


def _kind(text: str) -> str:
    word = text.strip().lower().replace(" ", "_")
    if word in KINDS:
        return word
    if word in KIND_ALIASES:
        return KIND_ALIASES[word]
    raise ValueError(f"expected an identifier kind ({', '.join(KINDS)}), got {text!r}")


def _brand(text: str) -> str:
    return normalize.brand_key(text)


#: Parameters graphaudit itself passes to any query that uses them, never given with -p: the
#: rules of :mod:`graphaudit.scoring`, so a query applies them with the scoring's values.
RULE_PARAMETERS: dict[str, object] = {f"brand_{name}": value for name, value in BRAND_RULE.items()}

#: type name -> converter from the text an analyst typed; a converter raises ValueError
PARAM_TYPES: dict[str, Callable[[str], object]] = {
    "string": _string,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "date": _date,
    "list": _list,
    "kind": _kind,
    "brand": _brand,
    # ids as loaded: a query that finds nothing says whether the id exists (empty_hints)
    "store_id": normalize.store_id_key,  # as records.py reads them: ＳＴ００１ is ST001
    "cluster_id": _string,
    **{kind: (lambda text, kind=kind: identifier_key(kind, text)) for kind in KINDS},
}
_TYPE_SPEC = re.compile(
    r"^(?:(?P<int>int)\[(?P<low>-?\d+)\.\.(?P<high>-?\d+)\]"
    r"|identifier\((?P<by>[A-Za-z_][A-Za-z0-9_]*)\)"
    r"|(?P<plain>[a-z_]+))$"
)


@dataclass(frozen=True)
class Param:
    """One declared parameter of a query."""

    name: str
    type: str  # as written in the header: int, int[1..10], identifier(kind), ...
    required: bool = True
    default: str | None = None  # the text of the default, converted on use; "null" -> None
    example: str | None = None
    help: str = ""

    @property
    def kind_param(self) -> str | None:
        """For ``identifier(P)``, the parameter that names the identifier kind."""
        match = _TYPE_SPEC.match(self.type)
        return match["by"] if match else None

    def identifier_kind(self, bound: Mapping[str, object]) -> object:
        """The identifier kind of the value: the type itself for a kind's type (``phone``...),
        for ``identifier(P)`` the value ``bound`` gives parameter P. Other types give None or
        their own name, which is no kind."""
        match = _TYPE_SPEC.match(self.type)
        if match is None or match["int"]:
            return None
        return bound.get(match["by"]) if match["by"] else match["plain"]

    def convert(self, text: str, bound: Mapping[str, object] | None = None) -> object:
        """Convert the text an analyst typed; raise ParameterError naming the parameter."""
        match = _TYPE_SPEC.match(self.type)
        try:
            if match is None:
                raise ValueError(f"unknown type {self.type!r}")
            if match["int"]:
                return _int(text, int(match["low"]), int(match["high"]))
            if match["by"]:
                kind = (bound or {}).get(match["by"])
                if kind is None:
                    raise ValueError(f"needs parameter {match['by']!r} to say its kind")
                return identifier_key(_kind(str(kind)), text)
            converter = PARAM_TYPES.get(match["plain"])
            if converter is None:
                raise ValueError(f"unknown type {self.type!r}")
            return converter(text)
        except ValueError as exc:
            raise ParameterError(f"parameter {self.name!r} ({self.type}): {exc}") from None

    def describe(self) -> str:
        """``name``, or ``name=default`` for an optional parameter (for ``--list``)."""
        if self.required:
            return self.name
        return f"{self.name}={'null' if self.default is None else self.default}"

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "example": self.example, "help": self.help}


_PARAM_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\S+)(?P<rest>.*)$")
_CYPHER_PARAM = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|`([^`]+)`)")


def parse_param(text: str, where: str) -> Param:
    help_text = ""
    if " -- " in f" {text} ":
        text, _, help_text = f" {text} ".partition(" -- ")
    match = _PARAM_LINE.match(text.strip())
    if not match:
        raise QueryError(f"{where}: cannot read parameter line {text.strip()!r}")
    name, type_ = match["name"], match["type"]
    spec = _TYPE_SPEC.match(type_)
    if not spec or (spec["plain"] and spec["plain"] not in PARAM_TYPES):
        raise QueryError(f"{where}: parameter {name!r} has an unknown type {type_!r} "
                         f"(known: {', '.join(PARAM_TYPES)}, int[LOW..HIGH], identifier(P))")
    try:
        tokens = shlex.split(match["rest"])
    except ValueError as exc:
        raise QueryError(f"{where}: parameter {name!r}: {exc}") from None
    required, default, example = True, None, None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "(required)":
            i += 1
        elif token.startswith("="):
            value = token[1:] or (tokens[i + 1] if i + 1 < len(tokens) else None)
            if value is None:
                raise QueryError(f"{where}: parameter {name!r}: '=' without a default")
            required, default = False, value
            i += 1 if token[1:] else 2
        elif token == "example" and i + 1 < len(tokens):
            example = tokens[i + 1]
            i += 2
        else:
            raise QueryError(f"{where}: parameter {name!r}: unexpected {token!r} (write "
                             "NAME TYPE [(required) | = DEFAULT] [example VALUE] [-- help])")
    if default == "null":
        default = None
    return Param(name, type_, required, default, example, help_text.strip())


def parameters_used(statement: str) -> list[str]:
    """The ``$parameters`` a Cypher text uses, in order of first use (comments and strings
    skipped)."""
    code = readonly.blank_strings_and_comments(statement)
    names = (a or b for a, b in _CYPHER_PARAM.findall(code))
    return list(dict.fromkeys(names))


# ---------------------------------------------------------------------------------------------
# Binding parameters


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``["a=S1", "max_hops=4"]`` -> ``{"a": "S1", "max_hops": "4"}``; a bad pair is an error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"parameter {pair!r}: write -p NAME=VALUE")
        if key in values:
            raise ParameterError(f"parameter {key!r} is given twice")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes of another encoding, as the command line gave them
            raw = value.encode("utf-8", "surrogateescape")
            raise ParameterError(f"parameter {key!r}: its value {raw!r} is not UTF-8 text "
                                 "(is the terminal set to another encoding?)") from None
        values[key] = value
    return values


def bind_parameters(query: Query, given: Mapping[str, str]) -> dict[str, object]:
    """Convert the ``-p`` values to the declared types, filling in defaults.

    An identifier parameter is normalized by the rules of loading (so ``138 0013 8000`` finds
    ``+8613800138000``). Raises ParameterError naming an unknown, missing or malformed parameter.

    >>> from graphaudit.queries.library import parse_query
    >>> q = parse_query("// name: q\\n// param: n int = 2\\nRETURN $n AS n")
    >>> bind_parameters(q, {"n": "5"})
    {'n': 5}
    """
    known = {p.name for p in query.params}
    unknown = [name for name in given if name not in known]
    if unknown:
        takes = ", ".join(p.describe() for p in query.params) or "no parameters"
        raise ParameterError(f"unknown parameter {unknown[0]!r} for query {query.name!r} "
                             f"(it takes: {takes})")
    bound: dict[str, object] = {}
    # Parameters that type others (identifier(kind)) are bound first.
    order = sorted(query.params, key=lambda p: p.kind_param is not None)
    for p in order:
        if p.name in given:
            bound[p.name] = p.convert(given[p.name], bound)
        elif p.required:
            example = f" (for example -p {p.name}={p.example})" if p.example else ""
            raise ParameterError(f"missing parameter {p.name!r} for query {query.name!r}"
                                 f"{example}")
        else:
            bound[p.name] = None if p.default is None else p.convert(p.default, bound)
    rules = {name: RULE_PARAMETERS[name] for name in parameters_used(query.statement)
             if name in RULE_PARAMETERS and name not in known}
    return {**{p.name: bound[p.name] for p in query.params}, **rules}
