"""Turn validated records into identifier keys: the links of the store-identifier graph.

Every identifier value is normalized once per distinct raw form (the same bank account written a
thousand times is normalized once). The result is one table of links, ``store -> identifier``,
with the raw form kept beside the key so an investigator sees how each store wrote it, and one
table of identifier nodes per kind (docs/design.md §2-3).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import normalize
from .parallel import Parallel
from .records import RecordSet, Reject, RejectsWriter, date_values

__all__ = ["KINDS", "LABELS", "PLACEHOLDER_BRANDS", "RELATIONSHIPS", "STORE_DATES", "Identifiers",
           "extract_identifiers", "store_brand_key", "store_brand_keys", "store_countries",
           "store_dates"]

#: identifier kinds, in the order they are loaded and reported
KINDS = ("id_document", "payment", "phone", "email", "address")
LABELS = {
    "id_document": "IdDocument",
    "payment": "PaymentAccount",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
}
RELATIONSHIPS = {
    "id_document": "OPENED_WITH",
    "payment": "PAID_TO",
    "phone": "HAS_PHONE",
    "email": "HAS_EMAIL",
    "address": "LOCATED_AT",
}
#: properties each relationship carries besides ``raw``
LINK_PROPERTIES = {
    "id_document": ("holder_name", "role"),
    "payment": ("holder_name",),
    "phone": (),
    "email": (),
    "address": ("address_type",),
}
#: properties each identifier node carries besides ``key``
NODE_PROPERTIES = {
    "id_document": ("id_type", "valid"),
    "payment": ("account_type", "institution", "valid"),
    "phone": (),
    "email": (),
    "address": ("text", "city", "postcode", "country"),
}
LINK_COLUMNS = ("store_id", "kind", "key", "raw", "holder_name", "role", "address_type", "_file",
                "_line")


@dataclass
class Identifiers:
    """Links from stores to identifier keys, and the identifier nodes with their properties.

    ``links`` has one row per (store, kind, key) (per address type too, for addresses), with the
    columns of ``LINK_COLUMNS``. ``nodes[kind]`` has one row per key. ``parts[kind]`` are the
    links of one kind with the properties of their identifiers, which ``nodes`` takes from.
    """

    links: pd.DataFrame
    parts: dict[str, pd.DataFrame]
    #: values that could not be normalized, when no RejectsWriter was given to write them to
    rejects: list[Reject] = field(default_factory=list)
    #: how many values could not be normalized (dropped, rest of row kept), by (file, column):
    #: the reading's counts of dropped values add these (``FileReport.dropped``)
    dropped: Counter = field(default_factory=Counter)
    #: per kind, the part the keying made and each of its rows' key as a number (equal keys,
    #: equal numbers): :attr:`numbered` then needs no second hashing of every key (about 2 s
    #: of CPU at 1,000,000 stores, on the bulk load's path). Used only while ``parts[kind]`` is
    #: that frame; otherwise (a hashed copy, a part replaced) the keys are factorized.
    key_codes: dict[str, tuple[pd.DataFrame, np.ndarray]] = field(default_factory=dict)

    @functools.cached_property
    def numbered(self) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
        """Each kind's identifiers with the properties of their first link, and for each row of
        ``parts[kind]`` the position of its identifier among them (the bulk load's node
        numbers without a second look-up), computed when first asked for: loading writes
        them, analyzing has no use for them."""
        return {kind: _first_per_key(links, NODE_PROPERTIES[kind], self._codes_of(kind))
                for kind, links in self.parts.items()}

    def _codes_of(self, kind: str) -> np.ndarray | None:
        """The keying's numbers of ``parts[kind]``'s keys, None when that part was replaced."""
        made, codes = self.key_codes.get(kind, (None, None))
        return codes if made is self.parts[kind] else None

    @property
    def nodes(self) -> dict[str, pd.DataFrame]:
        """Each kind's identifiers with the properties of their first link (:attr:`numbered`)."""
        return {kind: nodes for kind, (nodes, _) in self.numbered.items()}

    def of_kind(self, kind: str) -> pd.DataFrame:
        return self.links[self.links["kind"] == kind]


def extract_identifiers(records: RecordSet, rejects: RejectsWriter | None = None,
                        parallel: Parallel | None = None, shortcuts: bool = True) -> Identifiers:
    """Normalize every identifier in ``records`` and return the links and nodes.

    A value that cannot be normalized (an e-mail without ``@``, an ID number that is only
    separators) is dropped from the graph and written to ``rejects`` with its file and line
    (kept in memory when no writer is given); the rest of its row is kept. With a
    ``parallel`` budget of more than one worker, big inputs are normalized in forked
    processes (:mod:`graphaudit.parallel`); the keys are the same. Without ``shortcuts``
    every value goes through the plain normalizer of its kind, one by one, instead of the
    vectorized rewrites (:data:`PREPARE`) and keys (:data:`FAST_KEYS`): slower, the same keys
    (what the tests compare the shortcuts with).
    """
    kept = rejects is None
    rejects = rejects if rejects is not None else RejectsWriter(None)
    parallel = parallel or Parallel()
    dropped: Counter = Counter()
    # Addresses (a third of the links, the slowest to normalize) are keyed in a forked child
    # meanwhile; their rejects come back with their keys and are written after the others'.
    addresses = records.addresses
    with parallel.start(_key_rows, addresses, "address", "address", _address, None, parallel,
                        shortcuts, rows=len(addresses)) as keying:
        ident = records.identities
        docs = _normalize_column(ident, "id_number", "id_document", rejects, dropped,
                                 _id_document, parallel, shortcuts, extra=("id_type",))
        phones = _phone_links(ident, records.addresses, rejects, dropped, parallel, shortcuts)
        emails = _normalize_column(ident, "email", "email", rejects, dropped, _email, parallel,
                                   shortcuts)
        pay = _normalize_column(records.payments, "account_number", "payment", rejects,
                                dropped, _account, parallel, shortcuts,
                                extra=("account_type", "institution"))
        keyed = _by_city(addresses, keying.result())
        addr = (_link_frame(addresses, "address", "address", keyed, rejects, dropped,
                            extra=("city", "postcode", "country")), keyed.codes)
    addr[0]["text"] = addr[0]["raw"]
    keyed_parts = dict(zip(("id_document", "phone", "email", "payment", "address"),
                           (docs, phones, emails, pay, addr), strict=True))
    parts = {kind: part for kind, (part, _) in keyed_parts.items()}
    links = pd.concat([p.reindex(columns=LINK_COLUMNS, fill_value="") for p in parts.values()],
                      ignore_index=True)
    return Identifiers(links=links, parts=parts, rejects=rejects.kept if kept else [],
                       dropped=dropped,
                       key_codes=keyed_parts)


def store_countries(addresses: pd.DataFrame) -> pd.Series:
    """Each store's country as its addresses name it (:func:`normalize.phone_region` of the
    ``country`` column), by store id: the one country its addresses name, or, when they name
    several, the one its registered addresses name; a store of no address with a country, or
    of registered addresses in several countries, has none (docs/input.md)."""
    if "country" not in addresses or addresses.empty:
        return pd.Series(dtype=object)
    codes, distinct = pd.factorize(addresses["country"].fillna(""))
    regions = np.array([normalize.phone_region(c) for c in distinct] + [""], dtype=object)
    registered = (addresses["address_type"] == "registered").to_numpy() \
        if "address_type" in addresses else np.zeros(len(addresses), dtype=bool)
    named = pd.DataFrame({"store_id": addresses["store_id"].to_numpy(),
                          "region": regions[codes], "registered": registered})
    named = named[named["region"] != ""]
    found = []
    for rows in (named, named[named["registered"]]):
        pairs = rows.drop_duplicates(["store_id", "region"])
        alone = ~pairs["store_id"].duplicated(keep=False)
        found.append(pairs[alone].set_index("store_id")["region"])
    single, registered_one = found
    return pd.concat([single, registered_one[~registered_one.index.isin(single.index)]])


def _phone_links(ident: pd.DataFrame, addresses: pd.DataFrame, rejects: RejectsWriter,
                 dropped: Counter, parallel: Parallel, shortcuts: bool
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """The phone links of ``ident``, each phone read for its store's country
    (:func:`store_countries`, :func:`normalize.store_phone_key`) where that is not CN."""
    countries = store_countries(addresses)
    countries = countries[countries != "CN"]
    if countries.empty or "phone" not in ident:
        return _normalize_column(ident, "phone", "phone", rejects, dropped, _phone, parallel,
                                 shortcuts)
    phones = ident[[c for c in ("store_id", "phone", "_file", "_line") if c in ident]].assign(
        _country=ident["store_id"].map(countries).fillna("").to_numpy(dtype=object))
    keyed = _key_rows(phones, "phone", "phone", _phone, "_country", parallel, shortcuts)
    return _link_frame(phones, "phone", "phone", keyed, rejects, dropped), keyed.codes


def _normalize_column(
    frame: pd.DataFrame,
    column: str,
    kind: str,
    rejects: RejectsWriter,
    dropped: Counter,
    func: Callable[[str, str], tuple[str, bool]],
    parallel: Parallel,
    shortcuts: bool = True,
    extra: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, np.ndarray]:
    """Normalize ``frame[column]`` by distinct (value, context) and return link rows of
    ``kind``, with each row's key as a number (:attr:`Identifiers.key_codes`).

    ``func(raw, context)`` returns ``(key, valid)`` or raises ValueError; the context is the
    first of ``extra`` (the id_type, the account_type...) so one raw form is normalized once.
    """
    keyed = _key_rows(frame, column, kind, func, extra[0] if extra else None, parallel,
                      shortcuts)
    return _link_frame(frame, column, kind, keyed, rejects, dropped, extra), keyed.codes


@dataclass
class _KeyedRows:
    """The outcome of normalizing one column: which rows link, and with which key.

    Small enough to send from a forked child: positions and codes, not the rows themselves.
    """

    rows: np.ndarray  # positions in the frame of the rows that link, in order
    codes: np.ndarray  # per such row, the position of its key in ``keys``
    keys: pa.Array  # distinct keys
    valid: np.ndarray  # per such row, whether its key passes the kind's check
    rejects: list[Reject]  # values that could not be normalized


def _by_city(frame: pd.DataFrame, keyed: _KeyedRows) -> _KeyedRows:
    """``keyed`` addresses with a key named with two cities told apart by city
    (:func:`normalize.address_keys_by_city`: 鼓楼区中山路1号 in Nanjing is not the one in
    Fuzhou)."""
    if not len(keyed.rows):
        return keyed
    keys = keyed.keys.take(keyed.codes)
    cities = _arrow_column(frame, "city", keyed.rows) if "city" in frame else None
    split = normalize.address_keys_by_city(keys, _arrow_column(frame, "address", keyed.rows),
                                           cities)
    if split.equals(keys.cast(split.type)):
        return keyed
    encoded = pc.dictionary_encode(split)
    return replace(keyed, codes=encoded.indices.to_numpy(zero_copy_only=False),
                   keys=encoded.dictionary)


def _key_rows(frame: pd.DataFrame, column: str, kind: str,
              func: Callable[[str, str], tuple[str, bool]], context: str | None,
              parallel: Parallel, shortcuts: bool = True) -> _KeyedRows:
    """Key ``frame[column]`` once per distinct (prepared value, context); drop the values that
    cannot be keyed (as rejects) and the repeats of a store's link (see :func:`_repeated_links`).
    """
    present = np.flatnonzero((frame[column] != "").to_numpy())
    values = _arrow_column(frame, column, present)
    contexts = _arrow_column(frame, context, present) if context else None
    codes, forms, form_contexts = _distinct_forms(values, contexts,
                                                  PREPARE.get(kind) if shortcuts else None)
    keys, valid, reasons = _normalize_forms(func, forms, form_contexts, parallel,
                                            FAST_KEYS.get(kind) if shortcuts else None)
    failed = np.zeros(len(forms), dtype=bool)
    failed[list(reasons)] = True
    failed = failed[codes]
    rejects = _unnormalizable(frame, column, present[failed], codes[failed], reasons)
    placeholder = _placeholders(kind, values)
    if placeholder is not None:
        bad = (placeholder != "") & ~failed
        rejects += _unnormalizable(frame, column, present[bad], np.flatnonzero(bad),
                                   dict(enumerate(placeholder)))
        failed |= bad
    encoded = pc.dictionary_encode(keys)
    key_codes = encoded.indices.to_numpy(zero_copy_only=False)[codes]
    keep = ~failed & ~_repeated_links(frame, present, key_codes, kind)
    return _KeyedRows(present[keep], key_codes[keep], encoded.dictionary, valid[codes][keep],
                      rejects)


_SCIENTIFIC = (False, r"^[+-]?[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+$",
               "in scientific notation: a spreadsheet saved it and its digits are lost "
               "(export the column as text)")
_DECIMAL = (False, r"^\+?[0-9]+\.0+$", "ends in .0: a spreadsheet saved it as a decimal number "
            "(export the column as text)")
_NO_DIGIT = (False, r"^[^0-9]*$", "no digits: a placeholder (N/A, none, -), not a number")
_ONE_DIGIT = (True, "^(?:" + "|".join(f"{d}+" for d in range(10)) + ")$",
              "one digit repeated: a placeholder, not a number")
#: a list separator between digits: two numbers in one value, keyed as one that links to
#: nobody (REPORT3 items 3 and 11)
_TWO_NUMBERS = (False, r"[0-9][^0-9]*[,;，；、|][^0-9]*[0-9]",
                "two numbers in one value? (a list separator between digits; give one per row)")
#: values that normalize to a key but are not identifiers: placeholders of a mandatory field
#: and numbers a spreadsheet mangled. Each would link every store that has it at the kind's
#: full weight (two stores without an ID, "N/A", linked at +9). Per kind, (whether the
#: pattern is matched on the value with separators out, RE2 pattern, reason); the first match
#: gives the reason, and the value is dropped with a reject line (REPORT2 items 11, 12, 14).
PLACEHOLDERS: dict[str, tuple[tuple[bool, str, str], ...]] = {
    "id_document": (_SCIENTIFIC, _DECIMAL, _NO_DIGIT, _ONE_DIGIT, _TWO_NUMBERS),
    "payment": (_SCIENTIFIC, _DECIMAL, _NO_DIGIT, _ONE_DIGIT, _TWO_NUMBERS),
    "phone": (_SCIENTIFIC, _DECIMAL, _ONE_DIGIT,
              (True, r"^[0-9]{1,6}$", "too short for a phone number (fewer than 7 digits)"),
              (True, r"^[0-9]{16,}$", "more than 15 digits: two phone numbers in one value? "
               "(give one per row)"),
              _TWO_NUMBERS,
              (False, r"(?i)[0-9]\s*(?:转|分机|ext\.?|x)\s*[0-9]{1,6}$",
               "an extension after the number (转, ext, x): give the number alone")),
    "email": ((False, r"^[^@]*@[^@.]*$",
               "no dot in its domain: a placeholder, not an e-mail address"),
              (False, r"@.*[\s,;，；<>@]|[\s,;，；<>].*@|@.*\.$|^(?i:mailto:).*@",
               "not one e-mail address alone (a space, a comma or semicolon, <>, mailto:, a "
               "second @ or a final dot): give the address alone")),
}


def _placeholders(kind: str, values: pa.Array) -> np.ndarray | None:
    """Per value, why it is a placeholder or a spreadsheet's number (:data:`PLACEHOLDERS`), ""
    where it is not; None for a kind without rules. Checked once per distinct value."""
    rules = PLACEHOLDERS.get(kind)
    if not rules or not len(values):
        return None
    encoded = pc.dictionary_encode(values)
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(encoded.dictionary, "NFKC"))
    plain = pc.replace_substring_regex(text, r"[\s\-./_()+]+", "")
    why = np.full(len(text), "", dtype=object)
    for stripped, pattern, reason in rules:
        hit = pc.match_substring_regex(plain if stripped else text, pattern)
        why[hit.to_numpy(zero_copy_only=False) & (why == "")] = reason
    return why[encoded.indices.to_numpy(zero_copy_only=False)]


def _arrow_column(frame: pd.DataFrame, column: str, rows: np.ndarray) -> pa.Array:
    values = pa.array(frame[column], type=pa.large_string())
    if isinstance(values, pa.ChunkedArray):  # large columns come in chunks: one array to code
        values = values.combine_chunks()
    return values if len(rows) == len(values) else values.take(rows)


def _link_frame(frame: pd.DataFrame, column: str, kind: str, keyed: _KeyedRows,
                rejects: RejectsWriter, dropped: Counter,
                extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The link rows of ``kind`` that ``keyed`` found in ``frame``; its rejects go to
    ``rejects`` and are counted in ``dropped`` by (file, column)."""
    for reject in keyed.rejects:
        rejects.add(reject)
        dropped[(reject.file, reject.field)] += 1
    carried = [c for c in dict.fromkeys(("store_id", column, "_file", "_line",
                                          *LINK_PROPERTIES[kind], *extra)) if c in frame]
    good = frame[carried].take(keyed.rows).reset_index(drop=True)
    # Columns stay Arrow strings: no Python string is made per row.
    out = pd.DataFrame({
        "store_id": good["store_id"],
        "kind": kind,
        "key": keyed.keys.cast(pa.large_string()).take(keyed.codes).to_pandas(),
        "valid": keyed.valid,
        "raw": good[column],
        "_file": good.get("_file", ""),
        "_line": good["_line"],
    })
    for name in (*LINK_PROPERTIES[kind], *extra):
        if name in good:
            out[name] = good[name]
    return out


def _unnormalizable(frame: pd.DataFrame, column: str, rows: np.ndarray, codes: np.ndarray,
                    reasons: dict[int, str]) -> list[Reject]:
    """A reject for each of ``rows``, whose value (form ``codes``) could not be normalized."""
    if not len(rows):
        return []
    bad = frame.iloc[rows]
    files = bad["_file"].tolist() if "_file" in bad else [""] * len(bad)
    return [Reject(file, int(line), column, f"{reasons[code]}; value dropped, rest of row kept",
                   raw)
            for line, file, raw, code in zip(bad["_line"].tolist(), files, bad[column].tolist(),
                                             codes.tolist(), strict=True)]


def _repeated_links(frame: pd.DataFrame, rows: np.ndarray, key_codes: np.ndarray,
                    kind: str) -> np.ndarray:
    """Which of ``rows`` repeat an earlier row's (store, key), and address type for addresses:
    a store that lists one identifier twice has one link to it, the first.

    Integer codes make this one pass over int64 pairs instead of hashing strings per column.
    """
    pair = (pd.factorize(frame["store_id"].iloc[rows])[0].astype(np.int64)
            * (int(key_codes.max(initial=0)) + 1) + key_codes)
    if kind == "address" and "address_type" in frame:
        types = pd.factorize(frame["address_type"].iloc[rows])[0]
        pair = pair * (int(types.max(initial=0)) + 1) + types
    return pd.Series(pair).duplicated().to_numpy()


def _distinct_forms(
    values: pa.Array, contexts: pa.Array | None,
    prepare: Callable[[pa.Array], pa.Array] | None = None,
) -> tuple[np.ndarray, pa.Array, pa.Array | None]:
    """Code each value by its distinct (prepared value, context) pair, in Arrow (vectorized).

    Returns the codes, the distinct prepared values and their contexts (None without).
    Renderings that differ only in what the key ignores anyway share one normalization
    (``prepare``, the kind's :data:`PREPARE` rewrite, if any).
    """
    forms = prepare(values) if prepare is not None else values
    encoded = pc.dictionary_encode(forms)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if contexts is None:
        return codes, encoded.dictionary, None
    context = pc.dictionary_encode(contexts)
    width = len(context.dictionary)
    pair_codes, pairs = pd.factorize(codes * width + context.indices.to_numpy(
        zero_copy_only=False))
    return (pair_codes, encoded.dictionary.take(pairs // width),
            context.dictionary.take(pairs % width))


#: cheap vectorized rewrites applied before normalizing, each a change the key ignores, so that
#: more renderings share one call of the (pure Python) normalizer
PREPARE: dict[str, Callable[[pa.Array], pa.Array]] = {
    "phone": normalize.prepare_phone_forms,
    "address": normalize.prepare_address_forms,
}

#: keys computed in Arrow for the common shapes of a kind: a function of the distinct prepared
#: forms giving which of them it keyed and their keys, in order. Tests check that each gives
#: exactly the normalizer's key.
def _no_context(fast_keys: Callable[[pa.Array], tuple[np.ndarray, pa.Array]]) -> Callable:
    """A FAST_KEYS entry from a function of the forms alone whose keys are always valid."""
    def keys(forms: pa.Array, _contexts: pa.Array | None):
        fast, found = fast_keys(forms)
        return fast, found, np.ones(len(found), dtype=bool)
    return keys


def _plain_email_keys(forms: pa.Array, _contexts: pa.Array | None):
    """E-mail addresses of printable ASCII with an ``@``: trimmed and lower-cased."""
    fast = pc.match_substring_regex(forms, r"^[\x20-\x7e]*@[\x20-\x7e]*$").to_numpy(
        zero_copy_only=False)
    keys = pc.ascii_lower(pc.ascii_trim_whitespace(forms.filter(fast)))
    return fast, keys, np.ones(len(keys), dtype=bool)


def _types(forms: pa.Array, contexts: pa.Array | None) -> pa.Array:
    """The type written beside each form ("" where the column is absent)."""
    return contexts if contexts is not None else pa.array([""] * len(forms), pa.string())


def _plain_account_keys(forms: pa.Array, contexts: pa.Array | None):
    """Account numbers of ASCII letters, digits and separators, of type bank, wallet or none.
    Cards (the Luhn check) and other spellings of a type are left to the Python rules."""
    types = _types(forms, contexts)
    wallet = pc.equal(types, "wallet").to_numpy(zero_copy_only=False)
    letter_o = pc.match_substring_regex(forms, "[Oo]").to_numpy(zero_copy_only=False)
    fast = (pc.match_substring_regex(forms, normalize.ASCII_NUMBER).to_numpy(zero_copy_only=False)
            & pc.is_in(types, value_set=pa.array(["", "bank", "wallet"], types.type)).to_numpy(
                zero_copy_only=False) & (wallet | ~letter_o))  # a bank's O: normalize.digit_view
    keys = pc.ascii_upper(pc.replace_substring_regex(forms.filter(fast),
                                                     normalize.ASCII_SEPARATORS, ""))
    length = pc.binary_length(keys).to_numpy(zero_copy_only=False)
    bank = pc.not_equal(types.filter(fast), "wallet").to_numpy(zero_copy_only=False)
    digits = pc.ascii_is_decimal(keys).to_numpy(zero_copy_only=False)
    valid = ~bank | (digits & (length >= 8) & (length <= 30))
    return fast, keys, valid


#: keys computed in Arrow for the common shapes of a kind: a function of the distinct prepared
#: forms and their contexts (None without) giving which forms it keyed, their keys and whether
#: each is valid. Tests check that each gives exactly the normalizer's result.
FAST_KEYS: dict[str, Callable[[pa.Array, pa.Array | None],
                              tuple[np.ndarray, pa.Array, np.ndarray]]] = {
    "id_document": normalize.fast_id_document_keys,
    "payment": _plain_account_keys,
    "phone": normalize.fast_phone_keys,
    "email": _plain_email_keys,
    "address": _no_context(normalize.fast_address_keys),
}

def _normalize_forms(
    func: Callable[[str, str], tuple[str, bool]], forms: pa.Array,
    contexts: pa.Array | None, parallel: Parallel,
    shortcut: Callable[[pa.Array, pa.Array | None],
                       tuple[np.ndarray, pa.Array, np.ndarray]] | None = None,
) -> tuple[pa.Array, np.ndarray, dict[int, str]]:
    """The key and validity of every distinct form, and the reason for each form that has none.

    Forms that ``shortcut`` (the kind's :data:`FAST_KEYS` entry, if any) recognises get their
    key in Arrow; the others go through ``func`` (their failures have key "").
    """
    if shortcut is not None:
        fast, fast_keys, fast_valid = shortcut(forms, contexts)
    else:
        fast, fast_keys, fast_valid = np.zeros(len(forms), dtype=bool), pa.array([]), []
    slow = np.flatnonzero(~fast)
    rest = forms.take(slow).to_pylist()
    rest_contexts = contexts.take(slow).to_pylist() if contexts is not None else [""] * len(slow)
    done = _normalize_all(func, list(zip(rest, rest_contexts, strict=True)), parallel)
    reasons = {int(slow[i]): r for i, r in enumerate(done) if isinstance(r, str)}
    slow_keys = pa.array(["" if isinstance(r, str) else r[0] for r in done], pa.large_string())
    slow_valid = np.array([not isinstance(r, str) and bool(r[1]) for r in done], dtype=bool)
    # Fast results first, then the others: the inverse permutation puts each in its place.
    place = np.empty(len(forms), dtype=np.int64)
    place[np.r_[np.flatnonzero(fast), slow]] = np.arange(len(forms))
    keys = pa.concat_arrays([fast_keys.cast(pa.large_string()), slow_keys]).take(place)
    valid = np.concatenate([np.asarray(fast_valid, dtype=bool), slow_valid])[place]
    return keys, valid, reasons


def _normalize_all(func: Callable[[str, str], tuple[str, bool]], pairs: list[tuple[str, str]],
                   parallel: Parallel):
    """``func`` over distinct (raw, context) pairs; a ValueError becomes its message (a str).

    Large inputs are split over the budget's workers: normalizing (phonenumbers, the address
    rules) is pure Python and the slowest part of reading a million-store directory.
    """
    size = -(-len(pairs) // parallel.workers) or 1
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    parts = parallel.map(functools.partial(_normalize_chunk, func), chunks, rows=len(pairs))
    return [result for part in parts for result in part]


def _normalize_chunk(func, pairs: list[tuple[str, str]]) -> list[tuple[str, bool] | str]:
    results: list[tuple[str, bool] | str] = []
    for raw, ctx in pairs:
        try:
            results.append(func(raw, ctx))
        except ValueError as exc:
            results.append(str(exc) or "cannot be normalized")
    return results


#: brand keys that say "no brand" (an export's filler): taken as no brand, so that a store
#: under one never "reuses" a suspended store's filler, nor is a variant of it (REPORT3 item 12)
PLACEHOLDER_BRANDS = frozenset({
    "na", "none", "null", "nil", "unknown", "other", "others", "unbranded", "nobrand",
    "generic", "无", "暂无", "无品牌", "其他", "其它", "未知"})


def store_brand_keys(brands: pd.Series) -> np.ndarray:
    """:func:`store_brand_key` of every brand: ASCII brands in Arrow (lower case, letters and
    digits kept), the others once per distinct brand in Python."""
    forms = pa.array(brands.fillna(""), type=pa.string())
    keys = np.array(pc.replace_substring_regex(pc.ascii_lower(forms), r"[^a-z0-9]+", "")
                    .to_pylist(), dtype=object)
    other = np.nonzero(~pc.string_is_ascii(forms).to_numpy(zero_copy_only=False))[0]
    if len(other):
        codes, distinct = pd.factorize(brands.iloc[other])
        keys[other] = np.array([store_brand_key(b) for b in distinct], dtype=object)[codes]
    keys[pd.Series(keys, dtype=object).isin(PLACEHOLDER_BRANDS).to_numpy()] = ""
    return keys


#: the stores' date columns, and the columns that hold them parsed (:func:`store_dates`)
STORE_DATES = {"opened_on": "opened", "suspended_on": "suspended_at"}


def store_dates(stores: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each store's opening and suspension date (NaT where empty or unreadable), from the
    columns of :data:`STORE_DATES`: the parsed ones when a step before parsed them (the
    linkage and the scoring read them three times in a run), else parsed now."""
    opened, suspended = (stores[parsed] if parsed in stores else date_values(stores[column])
                         for column, parsed in STORE_DATES.items())
    return opened, suspended


def store_brand_key(brand: str) -> str:
    """The brand key of a store, or "" when the brand is empty, has no letter or digit, or is a
    placeholder (:data:`PLACEHOLDER_BRANDS`: ``N/A``, ``none``, ``无``)."""
    try:
        key = normalize.brand_key(brand) if brand else ""
    except ValueError:
        return ""
    return "" if key in PLACEHOLDER_BRANDS else key


def _first_per_key(links: pd.DataFrame, properties: tuple[str, ...],
                   key_codes: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per key, in the order keys first occur, with its first link's properties; and
    each link's key's position among those rows. ``key_codes`` number the links' keys (equal
    keys, equal numbers; :attr:`Identifiers.key_codes`); without them the keys are
    factorized."""
    columns = ["key", *[p for p in properties if p in links]]
    if key_codes is None:
        codes = pd.factorize(links["key"], use_na_sentinel=False)[0].astype(np.int64)
    else:
        codes = _numbered_as_they_occur(np.asarray(key_codes, dtype=np.int64))
    # a key's first link is where its code first exceeds every code before it
    seen = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[len(codes) > 0, seen[1:] > seen[:-1]])
    return links[columns].take(first).reset_index(drop=True), codes


def _numbered_as_they_occur(codes: np.ndarray) -> np.ndarray:
    """``codes`` renumbered 0, 1, 2... in the order each first occurs, as a factorize of the
    values they stand for numbers them. The keying's codes mostly are already (a dictionary
    encoding numbers keys as they first occur, and dropping rows keeps the order), which one
    pass checks; otherwise a sort renumbers them."""
    if not len(codes):
        return codes
    before = np.r_[-1, np.maximum.accumulate(codes)[:-1]]
    if codes[0] == 0 and np.all(codes <= before + 1):
        return codes
    distinct, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    number = np.empty(int(distinct[-1]) + 1, dtype=np.int64)
    number[distinct[order]] = np.arange(len(distinct), dtype=np.int64)
    return number[codes]


def _id_document(raw: str, id_type: str) -> tuple[str, bool]:
    return normalize.id_document_key(raw, id_type or "CN_RESIDENT_ID")


def _phone(raw: str, country: str) -> tuple[str, bool]:
    return normalize.store_phone_key(raw, country), True


def _email(raw: str, _context: str) -> tuple[str, bool]:
    return normalize.email_key(raw), True


def _account(raw: str, account_type: str) -> tuple[str, bool]:
    return normalize.account_key(raw, account_type or None)


def _address(raw: str, _context: str) -> tuple[str, bool]:
    return normalize.address_key(raw), True
