"""Personal data in outputs: keyed pseudonyms, masks, scrubbing, and cells safe to open.

Every output of graphaudit (CSV files, the HTML report, ``query`` and ``explain``, the rejects
file, the graph loaded with ``--hash-identifiers``) goes through this module, and each rule is
written here once: where a rule needs a whole-column form for a million rows, the Arrow form sits
beside the scalar one and the tests hold the two equal.

* **Pseudonyms** (``#1f2e3d4c``) are HMAC-SHA-256 of the identifier under a secret key that the
  user owns (:func:`load_key`): without the key nobody can confirm a guess by hashing
  candidates, as anyone could with the unkeyed hash used before. The same key gives the same
  tags in every case; a new key makes cases unlinkable (docs/security.md).
* **Masks** show at most the last four characters of an ID number or an account
  (``****123X``, ``**** 3445``), the last three of a phone, the first letter of an e-mail.
* **Scrubbing** masks runs of nine or more digits (up to four spaces, ``.``, ``-``, ``/``,
  ``_``, ``(`` or ``)`` between two of them), eight digits written together, seven after two
  letters (a passport), a Hong Kong identity card, and e-mail addresses inside free text (an
  address, a reason, a whole rejected row); dates, times and
  amounts with cents are kept. Numbers are found on :func:`graphaudit.normalize.digit_view`,
  the text the identifier keys are read from (Chinese numerals, letter O for zero), so that
  masking and matching agree on what a number is.
* **Formula cells**: a CSV cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
  would run as a formula in a spreadsheet (OWASP "CSV injection"): it is prefixed with ``'``
  and quoted, unless it is a plain number (``-1.5``), which a spreadsheet reads as a number.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError, DataError
from .normalize import DIGIT_LOOKALIKES, HAN_DIGITS, digit_view, is_phone_number
from .settings import config_dir

__all__ = [
    "HASHED_GRAPH_SCRUBBED",
    "KEY_ENV",
    "KEY_FILE",
    "MIN_KEY_BITS",
    "PII_FIELDS",
    "PII_KINDS",
    "check_key_file",
    "check_key_text",
    "csv_line",
    "display_identifier",
    "display_identifiers",
    "escape_column",
    "formula_cells",
    "hash_value",
    "hash_values",
    "hashed_graph_table",
    "installation_key_path",
    "is_hashed",
    "key_bits",
    "key_id",
    "load_key",
    "mask",
    "mask_column",
    "mask_field",
    "mask_raw",
    "may_scrub",
    "neutralise",
    "new_key",
    "pseudonym",
    "scrub",
    "scrub_column",
    "unneutralise",
]

#: identifier kinds whose values are personal data
PII_KINDS = frozenset({"id_document", "payment", "phone", "email"})
#: input columns holding personal data, and the identifier kind of each
PII_FIELDS = {"id_number": "id_document", "account_number": "payment", "phone": "phone",
              "email": "email"}

# ---------------------------------------------------------------------------------------------
# The key

#: the key's file in the user's configuration folder (created on first use, mode 600)
KEY_FILE = "pseudonym.key"
#: environment variable naming a key file (what ``--pseudonym-key`` gives on the command line)
KEY_ENV = "GRAPHAUDIT_PSEUDONYM_KEY_FILE"
#: a name a user may guess for :data:`KEY_ENV`: refused, never ignored (it would leave the
#: installation's key in use while the user believes the case has its own)
WRONG_KEY_ENV = "GRAPHAUDIT_PSEUDONYM_KEY"
#: a key file holds at least this many characters (``new_key`` writes 64 hex digits)
MIN_KEY_CHARS = 32

_KEYS: dict[str, bytes] = {}


def installation_key_path(environ: dict[str, str] | None = None) -> Path:
    """Where this installation's key lives: ``config_dir()/pseudonym.key``."""
    return config_dir(environ) / KEY_FILE


def new_key(path: Path) -> Path:
    """Write a new random key (256 bits as 64 hex digits) to ``path``, readable by its owner
    only; never overwrites a key (a lost key makes earlier pseudonyms unmatchable).

    Raises DataError when ``path`` exists or cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DataError(f"{path}: a key is already there; it is never overwritten") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot write a key ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


def load_key(path: Path | None = None, environ: dict[str, str] | None = None,
             inputs: Iterable[Path | None] = (), out: Path | None = None) -> bytes:
    """The secret of the pseudonyms: the file ``path``, else the file named by
    ``$GRAPHAUDIT_PSEUDONYM_KEY_FILE``, else this installation's key (made on first use).

    The key is a file, never a value on the command line, where ``ps`` and the shell history
    would show it. A key file must be the user's alone, strong, and nothing else of the run
    (:func:`check_key_file`): ``inputs`` are the files the run reads (its data files, column
    map, hubs file, previous clusters), ``out`` the folder it writes. Raises DataError for a
    missing or unreadable key file, and ConfigError (a usage error) for a key file refused by
    :func:`check_key_file` or when ``$GRAPHAUDIT_PSEUDONYM_KEY`` (not a name graphaudit
    reads) is set.
    """
    env = os.environ if environ is None else environ
    if env.get(WRONG_KEY_ENV):
        raise ConfigError(f"{WRONG_KEY_ENV} is set, but graphaudit reads the key file from "
                          f"{KEY_ENV} (or --pseudonym-key FILE): rename the variable")
    given = path or (Path(env[KEY_ENV]) if env.get(KEY_ENV) else None)
    target = Path(given) if given else installation_key_path(environ)
    if given is None and not target.exists():
        try:
            new_key(target)
        except DataError:
            if not target.exists():  # another process may have just made it: read theirs
                raise
    try:
        mode = target.stat().st_mode
    except OSError as exc:
        raise DataError(f"{target}: cannot read the pseudonym key ({exc})") from None
    check_key_file(target, mode, inputs, out)
    cached = _KEYS.get(str(target))
    if cached is not None:
        return cached
    try:
        text = target.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{target}: cannot read the pseudonym key ({exc})") from None
    check_key_text(target, text)
    _KEYS[str(target)] = key = text.encode("utf-8")
    return key


#: the least strength a key may have, in bits as :func:`key_bits` estimates it: NIST's minimum
#: security strength (SP 800-131A); ``openssl rand -hex 16`` (128 bits) passes, ``new-key``
#: writes 256
MIN_KEY_BITS = 112
#: the character classes of :func:`key_bits` and the size of each
_CLASSES = ((frozenset("0123456789"), 10), (frozenset("abcdefghijklmnopqrstuvwxyz"), 26),
            (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 26))
_HEX = (frozenset("0123456789abcdef"), frozenset("0123456789ABCDEF"))


def key_bits(text: str) -> float:
    """An estimate of the strength of a key's text, in bits: the characters that no pattern of
    the text foretells, times log2 of the alphabet they come from.

    The alphabet is 16 for hex digits of one case, else the sum of the classes used: digits
    10, lower-case 26, upper-case 26, other ASCII 33, anything else 128. A character is
    foretold when it ends three characters already seen together earlier in the text (a
    repeated word or block: ``passwordpassword``, ``aaaa``) or a fourth character in one step
    (``abcd``, ``1357``). It is an upper bound for text a person chose (a passphrase of
    dictionary words counts as random letters), and close for random text: 32 random hex
    digits give 112-128 bits, 64 give 232-256.

    >>> round(key_bits("k" * 64), 1), key_bits("password" * 4) < MIN_KEY_BITS
    (14.1, True)
    """
    chars = set(text)
    if not chars:
        return 0.0
    if any(chars <= digits for digits in _HEX) and not chars <= _CLASSES[0][0]:
        size = 16
    else:
        size = sum(n for members, n in _CLASSES if chars & members)
        size += 33 * any(c.isascii() and not c.isalnum() for c in chars)
        size += 128 * any(not c.isascii() for c in chars)
    seen: set[str] = set()
    free = 0
    for i in range(len(text)):
        triple = text[i - 2:i + 1] if i >= 2 else text[i]  # one character: never seen
        steps = {ord(text[k]) - ord(text[k - 1]) for k in range(i - 2, i + 1)} if i >= 3 else ()
        free += triple not in seen and len(steps) != 1
        if i >= 2:
            seen.add(triple)
    return free * float(np.log2(size))


def check_key_text(path: Path, text: str) -> None:
    """Refuse (ConfigError) a key too short or too weak to keep its tags from being reversed:
    fewer than :data:`MIN_KEY_CHARS` characters, or fewer than :data:`MIN_KEY_BITS` bits as
    :func:`key_bits` estimates them (``passwordpassword...``, one character repeated)."""
    remedy = "`graphaudit new-key FILE` writes a strong one"
    if len(text) < MIN_KEY_CHARS:
        raise ConfigError(f"pseudonym key {path}: a key needs at least "
                          f"{MIN_KEY_CHARS} characters; {remedy}")
    bits = key_bits(text)
    if bits < MIN_KEY_BITS:
        raise ConfigError(f"pseudonym key {path}: a weak key (about {bits:.0f} bits: repeated "
                          f"or sequential characters, or a small alphabet; at least "
                          f"{MIN_KEY_BITS} needed); {remedy}")


def check_key_file(path: Path, mode: int, inputs: Iterable[Path | None] = (),
                   out: Path | None = None) -> None:
    """Refuse (ConfigError) a key file that others may read, or that is something else of the
    run: one of its ``inputs`` (a data file given as the key would make the tags depend on
    data anyone with the export holds), or a file inside its output folder ``out`` (shared
    with the report, or overwritten by it). ``mode`` is the file's ``st_mode``."""
    if mode & 0o077:
        raise ConfigError(f"pseudonym key {path}: the file may be read by others (mode "
                          f"{mode & 0o777:03o}); make it the owner's alone: chmod 600 {path}")
    for given in inputs:
        if given is not None and os.path.exists(given) and os.path.samefile(path, given):
            raise ConfigError(f"pseudonym key {path} is the input file {given}: a key is a "
                              "secret file of its own (`graphaudit new-key FILE`)")
    if out is not None:
        folder = out.resolve()
        if folder in path.resolve().parents:
            raise ConfigError(f"pseudonym key {path} is inside the output folder {out}, "
                              "which is shared with the report and rewritten by it: keep the "
                              "key elsewhere")


def key_id(secret: bytes | None = None) -> str:
    """A fingerprint of the key (not the key): tells whether two runs used the same one."""
    return hmac.digest(secret or load_key(), b"graphaudit key id", "sha256").hex()[:16]


# ---------------------------------------------------------------------------------------------
# Pseudonyms and hashed identifiers

#: characters of the digest in a pseudonym tag (32 bits: a tag is for recognising, not storing)
TAG_HEX = 8
#: characters of the digest in a stored hash (128 bits)
HASH_HEX = 32
_HASHED = re.compile(rf"#[0-9a-f]{{{HASH_HEX}}}")


@functools.lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    """An HMAC-SHA-256 set up once for ``secret``: a copy per value costs a third of
    ``hmac.digest``, which sets the key up again for every value."""
    return hmac.new(secret, digestmod=hashlib.sha256)


def _hmac_hex(keyed: hmac.HMAC, message: str) -> str:
    """HMAC-SHA-256 of ``message`` (UTF-8), as hex, under the key of ``keyed``."""
    step = keyed.copy()
    step.update(message.encode())
    return step.hexdigest()


def _digest(secret: bytes, domain: str, value: str) -> str:
    return _hmac_hex(_keyed(secret), f"{domain}\x00{value}")


def pseudonym(kind: str, key: str, secret: bytes | None = None) -> str:
    """A short tag for an identifier key, keyed: equal keys give equal tags under one key.

    A stored hash (:func:`hash_value` of the same kind and key) begins with this tag, so a
    graph loaded with ``--hash-identifiers`` shows the tags the files would have shown.
    """
    if is_hashed(key):
        return key[:TAG_HEX + 1]
    return "#" + _digest(secret or load_key(), kind, key)[:TAG_HEX]


def hash_value(domain: str, value: str, secret: bytes | None = None) -> str:
    """The keyed hash stored instead of ``value`` (``#`` and 32 hex digits); "" stays "".

    ``domain`` is the identifier kind for keys (``phone``), and names what else is hashed
    (``phone raw``, ``holder_name``), so equal text of two meanings hashes apart.
    """
    if not value or is_hashed(value):
        return value
    return "#" + _digest(secret or load_key(), domain, value)[:HASH_HEX]


def hash_values(domain: str, values: pa.Array, secret: bytes | None = None) -> pa.Array:
    """:func:`hash_value` of a column: each distinct value is hashed once."""
    secret = secret or load_key()
    encoded = pc.dictionary_encode(_flat(values).cast(pa.large_string()).fill_null(""))
    hashed = pa.array([hash_value(domain, v, secret) for v in encoded.dictionary.to_pylist()],
                      pa.large_string())
    return hashed.take(encoded.indices)


def is_hashed(value: object) -> bool:
    """Whether ``value`` is a stored hash (no normalized identifier looks like one: ``#``)."""
    return isinstance(value, str) and _HASHED.fullmatch(value) is not None


#: free text of the stores that a hashed graph holds scrubbed: it may quote an identifier
HASHED_GRAPH_SCRUBBED = ("status_reason",)


def hashed_graph_table(frame: pd.DataFrame, secret: bytes,
                       kinds: pd.Series | str | None = None) -> pd.DataFrame:
    """A table (stores, links, or one kind's identifier nodes) as a graph loaded with
    ``--hash-identifiers`` holds it: the one rule of ``load`` and ``load --bulk``
    (docs/security.md).

    In the rows of ID numbers, accounts, phones and e-mails (``kinds``: each row's identifier
    kind, or the table's one kind) the ``key`` and its spelling ``raw`` are keyed hashes
    (:func:`hash_values`, the spelling hashed apart from the key: domains ``phone`` and
    ``phone raw``); every ``holder_name`` is a keyed hash; the columns of
    :data:`HASHED_GRAPH_SCRUBBED` are scrubbed of digit runs and e-mails (:func:`scrub_column`).
    Equal values hash equal, so stores still share the same nodes and link as before;
    addresses, names and brands stay readable (linkage compares them by their words). Each
    distinct value is hashed once; ``frame`` is not changed.
    """
    frame = frame.copy()
    for name in HASHED_GRAPH_SCRUBBED:
        if name in frame:
            frame[name] = _column(scrub_column(_text_array(frame[name])), frame[name])
    if kinds is not None:
        kinds = pd.Series(kinds, index=frame.index) if isinstance(kinds, str) else kinds
        for kind in sorted(PII_KINDS):
            rows = (kinds == kind).to_numpy()
            if not rows.any():
                continue
            for name, domain in (("key", kind), ("raw", f"{kind} raw")):
                if name in frame:
                    values = frame.loc[rows, name]
                    frame.loc[rows, name] = _column(
                        hash_values(domain, _text_array(values), secret), values)
    if "holder_name" in frame:
        frame["holder_name"] = _column(
            hash_values("holder_name", _text_array(frame["holder_name"]), secret),
            frame["holder_name"])
    return frame


def _text_array(column: pd.Series) -> pa.Array:
    """A pandas column of text as Arrow, a missing value as ""."""
    return pa.array(column.astype(object).where(column.notna(), ""), type=pa.large_string())


def _column(values: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(values, index=like.index, dtype=object)


# ---------------------------------------------------------------------------------------------
# Masks: scalar and Arrow side by side


def _shown_tail(length: int, most: int) -> int:
    """Characters left visible at the end: ``most``, but never half or more of the value."""
    return min(most, length // 2)


def mask(kind: str, value: str, show_pii: bool = False) -> str:
    """Mask ``value`` of identifier ``kind`` unless ``show_pii``; non-personal kinds pass through.

    A stored hash (``--hash-identifiers``) shows as its tag.

    >>> mask("id_document", "44030119900101123X")
    '****123X'
    >>> mask("payment", "6222020200112233445")
    '**** 3445'
    >>> mask("phone", "+8613800138000")
    '+86****000'
    >>> mask("email", "zhang.wei@example.com")
    'z***@example.com'
    """
    if show_pii or kind not in PII_KINDS or not value:
        return value
    if is_hashed(value):
        return value[:TAG_HEX + 1]
    if kind == "email":
        local, at, domain = value.partition("@")
        # the first character, unless it is the whole local part (then a star: same shape)
        return ((local[:1] if len(local) > 1 else "*") + "***" + at + domain) if at else "***"
    if kind == "phone":
        head = value[:3] if value.startswith("+") else ""
        tail = _shown_tail(len(value) - len(head), 3)
        return head + "****" + (value[-tail:] if tail else "")
    tail = _shown_tail(len(value), 4)
    stars = "**** " if kind == "payment" else "****"
    return stars + value[-tail:] if tail else "****"


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _tail(values: pa.Array, length: pa.Array, most: int) -> pa.Array:
    """The last :func:`_shown_tail` characters of each value: ``most`` of the long values;
    the few short ones (under ``2 * most`` characters) are cut length by length."""
    out = pc.utf8_slice_codeunits(values, -most)
    short = pc.less(length, 2 * most)
    if pc.any(short).as_py():
        for n in range(2 * most):
            count = _shown_tail(n, most)
            piece = pc.utf8_slice_codeunits(values, -count) if count else pa.scalar(
                "", values.type)
            out = pc.if_else(pc.and_(short, pc.equal(length, n)), piece, out)
    return out


def _mask_id(values: pa.Array, length: pa.Array, stars: str = "****") -> pa.Array:
    tail = _tail(values, length, 4)
    return pc.if_else(pc.equal(tail, ""), "****", _join(stars, tail))


def _mask_payment(values: pa.Array, length: pa.Array) -> pa.Array:
    return _mask_id(values, length, "**** ")


def _mask_phone(values: pa.Array, length: pa.Array) -> pa.Array:
    plus = pc.starts_with(values, "+")
    head = pc.if_else(plus, pc.utf8_slice_codeunits(values, 0, 3), "")
    rest = pc.if_else(plus, pc.utf8_slice_codeunits(values, 3), values)
    return _join(head, "****", _tail(rest, pc.utf8_length(rest), 3))


def _mask_email(values: pa.Array, length: pa.Array) -> pa.Array:
    parts = pc.extract_regex(values, r"(?s)^(?P<local>[^@]*)@(?P<domain>.*)$")
    local, domain = pc.struct_field(parts, "local"), pc.struct_field(parts, "domain")
    first = pc.if_else(pc.greater(pc.utf8_length(local), 1),
                       pc.utf8_slice_codeunits(local, 0, 1), "*")
    shown = _join(first, "***@", domain)
    return pc.if_else(parts.is_valid(), shown, "***")


_MASKS = {"id_document": _mask_id, "payment": _mask_payment, "phone": _mask_phone,
          "email": _mask_email}


def mask_column(kinds: pa.Array, values: pa.Array) -> pa.Array:
    """:func:`mask` of each row (kind, value), in Arrow; non-personal kinds pass through."""
    kinds, values = _flat(kinds), _flat(values)
    length = pc.utf8_length(values)
    shown = values
    for kind, rule in _MASKS.items():
        chosen = pc.equal(kinds, kind)
        if pc.any(chosen).as_py():
            shown = pc.if_else(chosen, rule(values, length), shown)
    hashed = pc.match_substring_regex(values, f"^{_HASHED.pattern}$")
    shown = pc.if_else(hashed, pc.utf8_slice_codeunits(values, 0, TAG_HEX + 1), shown)
    return pc.if_else(pc.equal(length, 0), values, shown)


#: characters of a raw spelling left visible at its end, by kind (as :func:`mask` does)
_RAW_VISIBLE = {"id_document": 4, "payment": 4, "phone": 3}


def mask_raw(kind: str, value: str) -> str:
    """Mask an identifier as written but keep its separators, so an investigator still sees how
    it was written: ``6222-0212-3456-7890`` -> ``****-****-****-7890``.

    >>> mask_raw("id_document", "4403 0119 9001 0112 3X")
    '**** **** **** **12 3X'
    """
    if kind not in PII_KINDS or not value or is_hashed(value):
        return mask(kind, value) if is_hashed(value) else value
    if kind == "email":
        return mask(kind, value.strip())
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    tail = _shown_tail(len(positions), _RAW_VISIBLE[kind])
    hidden = set(positions[:len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


# ---------------------------------------------------------------------------------------------
# How outputs show an identifier


def display_identifier(kind: str, key: str, text: str = "", show_pii: bool = False,
                       secret: bytes | None = None) -> str:
    """How an identifier appears in outputs: an ID, account, phone or e-mail masked with its
    pseudonym; an address's text or a brand, scrubbed of numbers and e-mails written into it.

    A stored hash (``--hash-identifiers``) shows as its tag.
    """
    if kind not in PII_KINDS:
        return scrub((text or key) if kind == "address" else key, show_pii)
    if show_pii:
        return key
    if is_hashed(key):
        return key[:TAG_HEX + 1]
    return f"{mask(kind, key)} {pseudonym(kind, key, secret)}"


def display_identifiers(kind, key, text: pa.Array, show_pii: bool,
                        secret: bytes | None = None) -> pa.Array:
    """:func:`display_identifier` of many rows at once (``kind``/``key`` Series or arrays).

    Only the pseudonyms are made one distinct key at a time (Arrow has no HMAC), and only the
    free text that may hold personal data is scrubbed in Python (:func:`scrub_column`).
    """
    kinds, keys, text = (_flat(pa.array(column, type=pa.string()).fill_null(""))
                         for column in (kind, key, text))
    address = pc.equal(kinds, "address")
    shown = pc.if_else(address, pc.if_else(pc.equal(text, ""), keys, text), keys)
    if show_pii:
        return shown
    masked = pc.is_in(kinds, value_set=pa.array(sorted(PII_KINDS)))
    shown = pc.if_else(masked, shown, scrub_column(pc.if_else(masked, "", shown)))
    rows = pa.array(np.flatnonzero(masked.to_numpy(zero_copy_only=False)))
    if not len(rows):
        return shown
    kinds, keys = kinds.take(rows), keys.take(rows)
    keyed = _keyed(secret or load_key())
    # one HMAC per row in a tight loop: evidence rows are mostly distinct keys, so finding the
    # distinct ones first would cost more than it saves
    tags = pa.array(["#" + _hmac_hex(keyed, f"{k}\x00{v}")[:TAG_HEX]
                     for k, v in zip(kinds.to_pylist(), keys.to_pylist(), strict=True)],
                    pa.string())
    hashed = pc.match_substring_regex(keys, f"^{_HASHED.pattern}$")
    tags = pc.if_else(hashed, pc.utf8_slice_codeunits(keys, 0, TAG_HEX + 1), tags)
    values = pc.if_else(hashed, tags, pc.binary_join_element_wise(mask_column(kinds, keys),
                                                                  tags, " "))
    return pc.replace_with_mask(shown, masked, _flat(values))


# ---------------------------------------------------------------------------------------------
# Scrubbing free text: scalar and Arrow side by side

_DATE = (r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
         r"|(?<![A-Za-z])(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
#: a date (``2022-03-01``, ``20220301``; eight digits right after a letter are a passport's
#: number, ``E19870512``, not a date), or a date and time as ISO 8601 and logs write it
#: (``2026-11-30T19:08:01.5+00:00``): kept whole, found before runs of digits so that a date's
#: digits never join a number beside it and a time's seconds never read as a run
_WHEN = (rf"(?:{_DATE})(?:[T ]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?"
         r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?(?![\d:])")
#: what may stand between two digits of one number: space . - / _ ( ) | : (``138|0013|8000``,
#: ``138:0013:8000``, which the phone keys read as the number), and the same as Chinese and
#: office text writes them: Unicode dashes (an en dash from autocorrect, the minus sign),
#: middle dots (U+00B7, U+30FB, U+FF65), full-width forms (what an IME types) and the
#: ideographic space. Commas are not: thousands separators (``1,234,567``) join no run.
SEPARATORS = (" .\\-/_()|:" + "".join(chr(c) for c in range(0x2010, 0x2016))
              + "\u2212\u00b7\u30fb\uff65\uff0d\uff0e\uff0f\uff3f\uff08\uff09\u3000"
              + "\uff5c\uff1a"  # full-width | and :
              + "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width, soft hyphen: invisible
              # the other spaces (no-break, thin, narrow no-break: what a web page or Word
              # puts between digit groups), which the keys skip as they skip a space
              + "\u00a0" + "".join(chr(c) for c in range(0x2000, 0x200b)) + "\u202f\u205f")
#: between two digits of one number: up to four separators (``(138)0013-8000``,
#: ``138  0013  8000``, ``+86 (138) 0013 8000``, ``138·0013·8000``)
_SEP = f"[{SEPARATORS}]{{1,4}}"
#: an amount of money with cents (``12345678.50``): kept, and never the start of a run either
#: (``0.00 1000.00``); thousands separators (``1,234,567``) are no separator of a run at all
_AMOUNT = r"(?<!\d)(?<!\d\.)\d{1,9}\.\d{2}(?!\d|\.\d)"
#: a time of day (``10:30``, ``10:30:15``, ``09：00`` as an IME types it): kept whole, as a
#: colon between digits is a separator (``09:00:00-18:00:00`` would be a run of twelve); a
#: colon before or after it makes it part of a longer number (``138:10:30:80``)
_COLON = ":\uff1a"
_TIME = (rf"(?<![\d{_COLON}])(?:[01]?\d|2[0-3])[{_COLON}][0-5]\d(?:[{_COLON}][0-5]\d)?"
         rf"(?![\d{_COLON}])")
#: what free text keeps whole: dates, times, amounts
_KEEP = f"{_WHEN}|{_TIME}|{_AMOUNT}"
#: an ID-like run: nine or more digits, or eight written together (a passport's ``E12345678``,
#: a Hong Kong number ``61234567``); a run never goes on into a date or an amount
#: (``S0000041 2022-03-01``)
_DIGITS = rf"\+?\(?\d(?:(?:{_SEP}(?!{_KEEP}))?\d){{8,}}[xX]?|(?<!\d)\d{{8}}(?!\d)"
#: a resident ID number written in its groups around the birth date (``440305 19790102 3887``,
#: ``440305-1979-01-02-388X``): its date would be kept whole and stop the run beside it, so the
#: whole number is found first, by its shape (six digits, a date of 18xx-20xx, four characters)
_S = f"(?:{_SEP})?"
_CN_ID = (rf"(?<!\d)\d(?:{_S}\d){{5}}{_S}(?:18|19|20)(?:{_S}\d){{6}}(?:{_S}\d){{3}}{_S}[\dxX]"
          rf"(?!{_S}\d)")
#: an at sign and a dot as an input method types them too (full-width ＠ and ．, the
#: ideographic full stop 。): ``li.na＠example．com`` is an e-mail address (REPORT3 item 18)
_AT = "@\uff20\ufe6b"
_DOT = ".\uff0e\u3002\uff61"
_NOT_IN_EMAIL = rf"[^\s{_AT}<>\"',;:()\[\]]"
_LABEL = rf"[^\s{_AT}<>\"',;:()\[\]{_DOT}]{{1,63}}"
_EMAIL = _NOT_IN_EMAIL + rf"{{1,64}}[{_AT}]" + _LABEL + rf"(?:[{_DOT}]" + _LABEL + r"){1,8}"
#: the e-mail as :func:`mask` reads it: ASCII at sign and dots
_ASCII_EMAIL = str.maketrans({"\uff20": "@", "\ufe6b": "@", "\uff0e": ".", "\u3002": ".",
                              "\uff61": "."})
#: a passport of seven digits after two letters (China's ``EA1234567``, Japan's ``TZ1234567``)
#: and a Hong Kong identity card with its check character in parentheses (``A123456(3)``,
#: ``AB123456(A)``), standing alone (no letter or digit right before, no digit after): fewer
#: digits than a run (REPORT9 item 7). One letter and seven digits is not masked: it is the
#: shape of store ids (``S0000041``) and order numbers, which free text quotes.
_PASSPORT = (r"(?<![A-Za-z\d])(?:[A-Za-z]{2}\d{7}"
             r"|[A-Za-z]{1,2}\d{6}[(\uff08][\dAa][)\uff09])(?!\d)")
#: digits written as compatibility forms (superscript ``¹³⁸``, circled ``①③⑧``, ``⓪``), which
#: NFKC folds to one ASCII digit each: the keys of phones and accounts take them so
#: (``normalize`` applies NFKC), so the scrub reads them as digits too (one character for one,
#: the length kept); the decimal digits of any script (``١٣٨``, ``𝟏𝟑𝟖``) are ``\\d`` already
_DIGIT_FORMS = {c: unicodedata.normalize("NFKC", chr(c))
                for block in ((0x00B2, 0x00BA), (0x2070, 0x20A0), (0x2460, 0x2500),
                              (0x2776, 0x2794), (0x1F100, 0x1F10D))
                for c in range(*block)
                if not chr(c).isdecimal() and len(unicodedata.normalize("NFKC", chr(c))) == 1
                and unicodedata.normalize("NFKC", chr(c)) in "0123456789"}
DIGIT_FORMS = "".join(chr(c) for c in sorted(_DIGIT_FORMS))
_PII = re.compile(f"(?P<email>{_EMAIL})|(?P<id>{_CN_ID})|(?P<passport>{_PASSPORT})"
                  f"|(?P<keep>{_KEEP})|(?P<digits>{_DIGITS})")
#: the same without e-mails, for text without an ``@`` (half the time: the e-mail pattern is
#: tried at every position otherwise)
_DIGIT_RUNS = re.compile(f"(?P<id>{_CN_ID})|(?P<passport>{_PASSPORT})|(?P<keep>{_KEEP})"
                         f"|(?P<digits>{_DIGITS})")
#: a text without a digit (Chinese numerals count; letter O alone makes no number) and an ``@``
#: has nothing to scrub (checked first: most text is so)
_QUICK = re.compile(rf"[\d{_AT}{HAN_DIGITS}{DIGIT_FORMS}]")
#: RE2 (Arrow) pattern of the texts that :func:`scrub` may change: an ``@``, eight digits
#: together, nine with separators between them, seven after two letters or six after a letter
#: and before a parenthesis (:data:`_PASSPORT`) (a superset of ``_PII``'s matches on
#: :func:`graphaudit.normalize.digit_view`, so Chinese numerals and letter O count as digits)
_D = rf"[\p{{Nd}}{DIGIT_LOOKALIKES}{DIGIT_FORMS}]"  # a digit, or what scrub reads as one
_MAY_SCRUB = (rf"[{_AT}]|{_D}{{8}}|{_D}(?:[{SEPARATORS}]{{0,4}}{_D}){{8,}}"
              f"|[A-Za-z]{{2}}{_D}{{7}}|[A-Za-z]{_D}{{6}}[(\uff08]"  # passports, HK cards
              rf"|^{_HASHED.pattern}$")


#: a time of day ending digit groups (``138 0013 20:00``): the phone keys read that as
#: 13800132000, so when the groups before the time and the time read as a phone number the
#: whole is one number (:func:`_phones_at_clocks`); else the time is kept. Seconds after it
#: (``138 0013 20:00:15``) are masked with the number: the phone is read without them.
_CLOCK = rf"(?:[01]?\d|2[0-3])[{_COLON}][0-5]\d"
#: the separators of a number but the colons: the one before a time of day (whose own groups,
#: ``00:00:00``, are no number before it)
_NOT_COLON = "".join(c for c in SEPARATORS if c not in _COLON)
_NUMBER_AT_CLOCK = re.compile(rf"\+?\(?\d(?:(?:{_SEP})?\d)*?"
                              rf"[{_NOT_COLON}]{{1,4}}{_CLOCK}"
                              rf"(?P<seconds>[{_COLON}][0-5]\d)?(?![\d{_COLON}])")
#: where a digit group may begin a phone number: a digit (or + or a parenthesis before one)
#: after the start or a character that is no digit
_GROUP = re.compile(r"(?<![\d+(])[+(]*\d")
#: a date or a time where a group begins: no phone number begins there (``2022-03-01 20:00``,
#: ``09:00 20:00``)
_WHEN_OR_TIME = re.compile(f"{_WHEN}|{_TIME}")
#: the fewest digits a number of the scrub has (its runs are 9 or more; scrub_column's
#: may_scrub flags no fewer)
_RUN_DIGITS = 9
#: a colon of either width: no time of day without one (checked before the look for phones)
_COLON_RE = re.compile(f"[{_COLON}]")


def _phones_at_clocks(view: str) -> list[tuple[int, int, int]]:
    """The spans of ``view`` that are a phone number whose last groups read as a time of day
    (``138 0013 20:00``, ``+86 138 0013 20:00``), as (start, end of the number, end with the
    seconds after it, if any: ``138 0013 20:00:15``): digit groups, separators and a time that
    :func:`graphaudit.normalize.is_phone_number` reads as a valid phone, of 9 digits or more,
    not beginning with a date or a time. The longest such span of each number is taken; a
    time of day whose digits make no phone with the groups before it is kept (``room 101
    20:00``, ``20:00-22:00``, ``order 12345 20:00``)."""
    spans = []
    for found in _NUMBER_AT_CLOCK.finditer(view):
        phone_end = found.start("seconds") if found.group("seconds") else found.end()
        starts = [found.start(), *(group.start() for group in
                                   _GROUP.finditer(view, found.start() + 1, phone_end))]
        for start in starts:
            candidate = view[start:phone_end]
            if (len(re.sub(r"\D", "", candidate)) >= _RUN_DIGITS
                    and not _WHEN_OR_TIME.match(view, start)
                    and is_phone_number(candidate)):
                spans.append((start, phone_end, found.end()))
                break
    return spans


def _scrubbed(match: re.Match, written: str | None = None) -> str:
    """The mask of ``match``, found in :func:`digit_view` of ``written`` when given: a number
    shows its last digits as digits, an e-mail its first letter as written."""
    text = match.group()
    if match.lastgroup == "email":
        return mask("email", (written or text).translate(_ASCII_EMAIL))
    if match.lastgroup == "keep":
        return text
    digits = re.sub(r"[^\dxX]", "", text)
    return "****" + digits[-4:]


def scrub(text: str, show_pii: bool = False) -> str:
    """Mask ID-like digit runs (9+ digits, or 8 together), passports of seven digits after two
    letters, Hong Kong identity cards and e-mail addresses in free text; keep dates, times and
    amounts with cents.

    A value stored as a keyed hash (``--hash-identifiers``) shows as its tag.

    >>> scrub("same owner as 110105194912310021, mail zhang.wei@example.com")
    'same owner as ****0021, mail z***@example.com'
    >>> scrub("suspended 2022-03-01 2022-04-01; call 138.0013.8000")
    'suspended 2022-03-01 2022-04-01; call ****8000'
    >>> scrub("call 138 0013 20:00, open 09:30-21:00")  # a phone ending in a time of day
    'call ****2000, open 09:30-21:00'
    >>> scrub("call 138 0013 20:00:15")  # and seconds after it
    'call ****2000'
    >>> scrub("passports EA1234567, TZ1234567; HK card A123456(3); store S0000041")
    'passports ****4567, ****4567; HK card ****4563; store S0000041'
    """
    if show_pii or not text or not _QUICK.search(text):
        return text
    if is_hashed(text):  # a holder name stored hashed (--hash-identifiers): its tag
        return text[:TAG_HEX + 1]
    # Chinese numerals, letter O for zero and digit forms (``①``, ``¹``) as digits, as keys
    # read them
    view = digit_view(text).translate(_DIGIT_FORMS)
    phones = _phones_at_clocks(view) if _COLON_RE.search(view) else []
    if not phones:
        return _scrub_view(text, view)
    parts, end = [], 0  # a phone read with the time it ends in, masked as one number
    for start, phone_end, stop in phones:
        digits = re.sub(r"\D", "", view[start:phone_end])
        parts += [_scrub_view(text[end:start], view[end:start]), "****" + digits[-4:]]
        end = stop
    return "".join([*parts, _scrub_view(text[end:], view[end:])])


def _scrub_view(text: str, view: str) -> str:
    """:func:`scrub` of ``text``, whose numbers are found in ``view`` (its digit view)."""
    pattern = _PII if any(at in text for at in _AT) else _DIGIT_RUNS
    if view == text:
        return pattern.sub(_scrubbed, text)
    parts, end = [], 0  # found in the view; outside the numbers, the text as written
    for match in pattern.finditer(view):
        written = text[match.start():match.end()]
        parts += [text[end:match.start()],
                  written if match.lastgroup == "keep" else _scrubbed(match, written)]
        end = match.end()
    return "".join([*parts, text[end:]])


#: RE2 pattern of an e-mail address already masked (``z***@``) where scrub's e-mail match would
#: begin: after the start or a character no e-mail holds, a plain ASCII character and ``***@``.
#: :func:`scrub` masks such an address into itself, so :func:`may_scrub` looks past it.
_MASKED_EMAIL = r"(^|[\t\n\f\r <>\"',;:()\[\]])([A-Za-z0-9._%+*-])\*\*\*@"


def may_scrub(values: pa.Array) -> pa.Array:
    """Which values of a string column :func:`scrub` may change (a superset, found in Arrow).

    An e-mail address already masked is looked past (its ``***@`` read as ``*``, which keeps
    every run of digits as it was): scrub would mask it into itself, and the lines that
    describe links are full of them (a regex per line in Python, most of prepare's scrubbing).
    """
    values = pc.replace_substring_regex(values, _MASKED_EMAIL, r"\1\2*")
    return pc.fill_null(pc.match_substring_regex(values, _MAY_SCRUB), False)


def scrub_column(values: pa.Array, show_pii: bool = False) -> pa.Array:
    """:func:`scrub` of a column: Arrow finds the few values that may hold personal data, and
    only those go through Python."""
    values = _flat(values)
    if show_pii or not len(values):
        return values
    maybe = may_scrub(values)
    rows = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    if not len(rows):
        return values
    done = pa.array([scrub(v) for v in values.take(pa.array(rows)).to_pylist()], values.type)
    return pc.replace_with_mask(values, maybe, done)


def mask_field(field: str, value: str, show_pii: bool = False) -> str:
    """Mask an input column's raw value by the kind of data it holds (for rejects files);
    any other column (a whole malformed ``row``, a reason) is scrubbed.

    >>> mask_field("row", "S1,1101.0519.4912.3100.21,a@b.cn")
    'S1,****0021,****@b.cn'
    """
    if show_pii:
        return value
    kind = PII_FIELDS.get(field)
    return scrub(value) if kind is None else mask(kind, value)


# ---------------------------------------------------------------------------------------------
# HTML: the scalar form is markupsafe.escape (Jinja's autoescape); the column form is here

_HTML_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))


def escape_column(values: pa.Array) -> pa.Array:
    """:func:`markupsafe.escape` of every value, in Arrow (``&`` first, as markupsafe does), for
    HTML put together a column at a time; tests hold the two equal."""
    for char, entity in _HTML_ENTITIES:
        values = pc.replace_substring(values, char, entity)
    return values


# ---------------------------------------------------------------------------------------------
# Cells safe to open in a spreadsheet (OWASP "CSV injection"): scalar and Arrow side by side

#: a cell starting with one of these is read as a formula by Excel, LibreOffice, Sheets
FORMULA_START = "=+-@\t\r"
#: a plain number (``-1.5``, ``+3``, ``-2e-05``): it starts like a formula but a spreadsheet
#: reads it as the number it is, so it is written as it is (ASCII digits only)
_NUMBER = "[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)


def _formula(value: str) -> bool:
    return bool(value[:1]) and value[0] in FORMULA_START and not _NUMBER_RE.fullmatch(value)


def neutralise(value: str) -> str:
    """``value`` prefixed with ``'`` when a spreadsheet would run it as a formula: it starts
    with one of :data:`FORMULA_START` and is not a plain number (``-1.5`` stays a number,
    ``-1+cmd|' /C calc'!A0`` and ``=1+2`` are neutralised).

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("S1"), neutralise("-1.5")
    ('\\'=HYPERLINK("http://x")', 'S1', '-1.5')
    """
    return "'" + value if _formula(value) else value


def unneutralise(value: str) -> str:
    """The value :func:`neutralise` was given (for reading our own CSV files back)."""
    return value[1:] if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START \
        else value


def formula_cells(values: pa.Array) -> pa.Array:
    """Which values of a string column :func:`neutralise` changes."""
    starts = pc.match_substring_regex(values, "^[=+\\-@\t\r]")
    number = pc.match_substring_regex(values, "^" + _NUMBER + "$")
    return pc.fill_null(pc.and_not(starts, number), False)


def _csv_minimal(text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow([text, ""])
    return buffer.getvalue()[:-2]


def csv_cell(value: object) -> str:
    """One CSV field as :func:`csv_line` writes it: a formula cell neutralised and quoted."""
    text = "" if value is None else str(value)
    if _formula(text):
        return '"' + neutralise(text).replace('"', '""') + '"'
    if not text or not re.search(r'[,"\n\r\t ]', text):
        return text
    return _csv_minimal(text)


def csv_line(fields: Iterable[object]) -> str:
    """A CSV line (``\\n`` ended) as the csv module writes it, except that cells a spreadsheet
    would run as formulas are neutralised (prefixed with ``'``) and quoted.

    >>> print(csv_line(["S1", "=1+1", "a,b", 3]), end="")
    S1,"'=1+1","a,b",3
    """
    return ",".join(csv_cell(f) for f in fields) + "\n"
