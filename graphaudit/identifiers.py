"""Turn validated records into identifier keys: the links of the store-identifier graph.

Every identifier value is normalized once per distinct raw form (the same bank account written a
thousand times is normalized once). The result is one table of links, ``store -> identifier``,
with the raw form kept beside the key so an investigator sees how each store wrote it, and one
table of identifier nodes per kind (DESIGN.md §2-3).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import normalize
from .records import RecordSet, Reject, RejectsWriter

__all__ = ["KINDS", "LABELS", "RELATIONSHIPS", "Identifiers", "extract_identifiers",
           "store_brand_key", "store_brand_keys"]

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
    columns of ``LINK_COLUMNS``. ``nodes[kind]`` has one row per key.
    """

    links: pd.DataFrame
    nodes: dict[str, pd.DataFrame]

    def of_kind(self, kind: str) -> pd.DataFrame:
        return self.links[self.links["kind"] == kind]


def extract_identifiers(records: RecordSet, rejects: RejectsWriter) -> Identifiers:
    """Normalize every identifier in ``records`` and return the links and nodes.

    A value that cannot be normalized (an e-mail without ``@``, an ID number that is only
    separators) is dropped from the graph and written to ``rejects`` with its file and line; the
    rest of its row is kept.
    """
    parts: list[pd.DataFrame] = []
    nodes: dict[str, pd.DataFrame] = {}
    ident = records.identities
    docs = _normalize_column(ident, "id_number", "id_document", rejects, _id_document,
                             extra=("id_type",))
    parts.append(docs)
    nodes["id_document"] = _first_per_key(docs, NODE_PROPERTIES["id_document"])
    for column, kind, func in (("phone", "phone", _phone), ("email", "email", _email)):
        links = _normalize_column(ident, column, kind, rejects, func)
        parts.append(links)
        nodes[kind] = _first_per_key(links, ())
    pay = _normalize_column(records.payments, "account_number", "payment", rejects, _account,
                            extra=("account_type", "institution"))
    parts.append(pay)
    nodes["payment"] = _first_per_key(pay, NODE_PROPERTIES["payment"])
    addr = _normalize_column(records.addresses, "address", "address", rejects, _address,
                             extra=("city", "postcode", "country"))
    addr["text"] = addr["raw"]
    parts.append(addr)
    nodes["address"] = _first_per_key(addr, NODE_PROPERTIES["address"])

    links = pd.concat([p.reindex(columns=LINK_COLUMNS, fill_value="") for p in parts],
                      ignore_index=True)
    return Identifiers(links=links, nodes=nodes)


def _normalize_column(
    frame: pd.DataFrame,
    column: str,
    kind: str,
    rejects: RejectsWriter,
    func: Callable[[str, str], tuple[str, bool]],
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Normalize ``frame[column]`` by distinct (value, context) and return link rows of ``kind``.

    ``func(raw, context)`` returns ``(key, valid)`` or raises ValueError; the context is the
    first of ``extra`` (the id_type, the account_type...) so one raw form is normalized once.
    """
    carried = [c for c in dict.fromkeys(("store_id", column, "_file", "_line",
                                          *LINK_PROPERTIES[kind], *extra)) if c in frame]
    present = frame.loc[frame[column] != "", carried]
    codes, forms, contexts = _distinct_forms(present, column, kind, extra[0] if extra else None)
    results = _normalize_forms(func, kind, forms, contexts)
    failed_unique = np.fromiter((isinstance(r, str) for r in results), bool, len(results))
    failed = failed_unique[codes]
    if failed.any():
        _reject_unnormalizable(present[failed], column, codes[failed], results, rejects)
    unique_keys = [r[0] if not isinstance(r, str) else "" for r in results]
    unique_valid = np.array([bool(r[1]) if not isinstance(r, str) else False for r in results])
    key_codes = pd.factorize(np.array(unique_keys, dtype=object))[0][codes]
    keep = ~failed & ~_repeated_links(present, key_codes, kind)
    good = present[keep].reset_index(drop=True)
    good_codes = codes[keep]
    # Columns stay Arrow strings: no Python string is made per row.
    out = pd.DataFrame({
        "store_id": good["store_id"],
        "kind": kind,
        "key": pa.array(unique_keys, pa.large_string()).take(good_codes).to_pandas(),
        "valid": unique_valid[good_codes],
        "raw": good[column],
        "_file": good.get("_file", ""),
        "_line": good["_line"],
    })
    for name in (*LINK_PROPERTIES[kind], *extra):
        if name in good:
            out[name] = good[name]
    return out


def _reject_unnormalizable(bad: pd.DataFrame, column: str, codes: np.ndarray, results: list,
                           rejects: RejectsWriter) -> None:
    files = bad["_file"].tolist() if "_file" in bad else [""] * len(bad)
    for line, file, raw, code in zip(bad["_line"].tolist(), files, bad[column].tolist(),
                                     codes.tolist(), strict=True):
        rejects.add(Reject(file, int(line), column,
                           f"{results[code]}; value dropped, rest of row kept", raw))


def _repeated_links(present: pd.DataFrame, key_codes: np.ndarray, kind: str) -> np.ndarray:
    """Rows that repeat an earlier row's (store, key), and address type for addresses: a store
    that lists one identifier twice has one link to it, the first.

    Integer codes make this one pass over int64 pairs instead of hashing strings per column.
    """
    pair = (pd.factorize(present["store_id"])[0].astype(np.int64)
            * (int(key_codes.max(initial=0)) + 1) + key_codes)
    if kind == "address" and "address_type" in present:
        types = pd.factorize(present["address_type"])[0]
        pair = pair * (int(types.max(initial=0)) + 1) + types
    return pd.Series(pair).duplicated().to_numpy()


def _distinct_forms(
    present: pd.DataFrame, column: str, kind: str, context: str | None
) -> tuple[np.ndarray, pa.Array, list[str]]:
    """Code each row by its distinct (prepared value, context) pair, in Arrow (vectorized).

    Returns the codes, the distinct prepared values and their contexts ("" without one).
    Renderings that differ only in what the key ignores anyway share one normalization.
    """
    forms = pa.array(present[column], type=pa.string())
    if kind in PREPARE:
        forms = PREPARE[kind](forms)
    if context is not None:
        forms = pc.binary_join_element_wise(forms, pa.array(present[context], type=pa.string()),
                                            "\x00")
    if isinstance(forms, pa.ChunkedArray):  # large columns come in chunks: one array to code
        forms = forms.cast(pa.large_string()).combine_chunks()
    encoded = pc.dictionary_encode(forms)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    uniques = encoded.dictionary
    if context is None:
        return codes, uniques, [""] * len(uniques)
    split = pc.split_pattern(uniques, "\x00", max_splits=1)
    return codes, pc.list_element(split, 0), pc.list_element(split, 1).to_pylist()


def _phone_separators_out(forms: pa.Array) -> pa.Array:
    """Phone keys ignore spaces, dashes, dots and brackets between ASCII digits.

    Only in values made of nothing else: phonenumbers reads letters (``x`` for an extension)
    and other characters in ways that depend on what stands around them.
    """
    plain = pc.match_substring_regex(forms, r"^\+?[0-9 \-().]*$")
    return pc.if_else(plain, pc.replace_substring_regex(forms, r"[ \-().]+", ""), forms)


def _address_case_and_punctuation_out(forms: pa.Array) -> pa.Array:
    """Address keys ignore case and punctuation (a separator, like a space).

    Done on ASCII values only: elsewhere NFKC may compose a mark with the character before it,
    so the Python rules see the text whole (only runs of spaces and commas are collapsed).
    """
    ascii_only = pc.string_is_ascii(forms)
    folded = pc.replace_substring_regex(pc.ascii_lower(forms), r"[^a-z0-9]+", " ")
    if pc.all(ascii_only).as_py() is not False:
        return folded
    return pc.if_else(ascii_only, folded, pc.replace_substring_regex(forms, r"[\s,]+", " "))


#: cheap vectorized rewrites applied before normalizing, each a change the key ignores, so that
#: more renderings share one call of the (pure Python) normalizer
PREPARE: dict[str, Callable[[pa.Array], pa.Array]] = {
    "phone": _phone_separators_out,
    "address": _address_case_and_punctuation_out,
}

def _cn_mobile_keys(forms: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """A CN mobile number, with or without +86 / 0086 / 86 (separators are already out):
    93 % of the phones in a sample world. Its key is +86 and the 11 digits."""
    pattern = r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$"
    fast = pc.match_substring_regex(forms, pattern).to_numpy(zero_copy_only=False)
    return fast, pc.replace_substring_regex(forms.filter(fast), pattern, r"+86\1")


def _plain_address_keys(forms: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Addresses that are plain lower-case ASCII words and numbers (as prepared), keyed by the
    rules of :func:`normalize.address_key` applied to all their tokens at once.

    Left to the Python rules: anything else, letters glued to digits (``rm1203``, ``5th``) and
    runs of number markers (``no no 88``).
    """
    plain = pc.and_(pc.match_substring_regex(forms, r"^[a-z0-9 ]*[a-z0-9][a-z0-9 ]*$"),
                    pc.invert(pc.match_substring_regex(forms, r"[a-z][0-9]|[0-9][a-z]")))
    fast = plain.to_numpy(zero_copy_only=False)
    if not fast.any():
        return fast, pa.array([], pa.string())
    lists = pc.utf8_split_whitespace(pc.ascii_trim_whitespace(forms.filter(fast)))
    tokens = lists.flatten()
    row = pc.list_parent_indices(lists).to_numpy()
    same_row_next = np.r_[row[1:] == row[:-1], False]
    number = pc.ascii_is_decimal(tokens).to_numpy(zero_copy_only=False)
    marker = pc.is_in(tokens, value_set=pa.array(sorted(normalize._NUMBER_MARKERS)))
    marker = marker.to_numpy(zero_copy_only=False)
    before_number = np.r_[number[1:], False] & same_row_next
    after_number = np.r_[False, number[:-1] & same_row_next[:-1]]
    # "5 f" is the fifth floor; other words expand by the table; a marker before a number goes.
    abbreviations = normalize._ADDRESS_ABBREVIATIONS
    text = tokens.type  # string or large_string, as the forms came
    expanded = pc.take(pa.array([*abbreviations.values(), None], text),
                       pc.fill_null(pc.index_in(tokens, value_set=pa.array([*abbreviations])),
                                    len(abbreviations)))
    words = pc.coalesce(expanded, tokens)
    words = pc.if_else(pc.and_(pc.equal(tokens, "f"), pa.array(after_number)),
                       pa.scalar("floor", text), words)
    keep = ~(marker & before_number)
    per_row = np.bincount(row[keep], minlength=len(lists))
    offsets = pa.array(np.r_[0, np.cumsum(per_row)], pa.int32())
    keys = pc.binary_join(pa.ListArray.from_arrays(offsets, words.filter(keep)),
                          pa.scalar(" ", text))
    runs = np.unique(row[marker & np.r_[marker[1:], False] & same_row_next])
    if len(runs):  # a run of markers: the Python rules drop the whole run before a number
        fast[np.nonzero(fast)[0][runs]] = False
        keep_rows = np.ones(len(lists), dtype=bool)
        keep_rows[runs] = False
        keys = keys.filter(keep_rows)
    return fast, keys


#: keys computed in Arrow for the common shapes of a kind: a function of the distinct prepared
#: forms giving which of them it keyed and their keys, in order. Tests check that each gives
#: exactly the normalizer's key.
FAST_KEYS: dict[str, Callable[[pa.Array], tuple[np.ndarray, pa.Array]]] = {
    "phone": _cn_mobile_keys,
    "address": _plain_address_keys,
}

#: below this many distinct values, normalizing in one process is faster than forking
PARALLEL_THRESHOLD = 50_000


def _normalize_forms(
    func: Callable[[str, str], tuple[str, bool]], kind: str, forms: pa.Array, contexts: list[str]
) -> list[tuple[str, bool] | str]:
    """The result of ``func`` for every distinct form: ``(key, valid)`` or a reason (a str).

    Forms of the kind's :data:`FAST_KEYS` shape get their key in Arrow; the others go through
    ``func``.
    """
    if kind not in FAST_KEYS:
        return _normalize_all(func, list(zip(forms.to_pylist(), contexts, strict=True)))
    fast, keys = FAST_KEYS[kind](forms)
    results: list = [None] * len(forms)
    keys = keys.to_pylist()
    for position, key in zip(np.nonzero(fast)[0].tolist(), keys, strict=True):
        results[position] = (key, True)
    slow = np.nonzero(~fast)[0]
    rest = forms.take(slow).to_pylist()
    done = _normalize_all(func, [(value, contexts[i]) for value, i in
                                 zip(rest, slow.tolist(), strict=True)])
    for position, result in zip(slow.tolist(), done, strict=True):
        results[position] = result
    return results


def _normalize_all(func: Callable[[str, str], tuple[str, bool]], pairs: list[tuple[str, str]]):
    """``func`` over distinct (raw, context) pairs; a ValueError becomes its message (a str).

    Large inputs are split over the machine's cores: normalizing (phonenumbers, the address
    rules) is pure Python and the slowest part of reading a million-store directory.
    """
    workers = os.cpu_count() or 1
    if len(pairs) < PARALLEL_THRESHOLD or workers < 2:
        return _normalize_chunk(func, pairs)
    size = -(-len(pairs) // workers)
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_normalize_chunk, [func] * len(chunks), chunks)
        return [result for part in parts for result in part]


def _normalize_chunk(func, pairs: list[tuple[str, str]]) -> list[tuple[str, bool] | str]:
    results: list[tuple[str, bool] | str] = []
    for raw, ctx in pairs:
        try:
            results.append(func(raw, ctx))
        except ValueError as exc:
            results.append(str(exc) or "cannot be normalized")
    return results


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
    return keys


def store_brand_key(brand: str) -> str:
    """The brand key of a store, or "" when the brand is empty or has no letter or digit."""
    try:
        return normalize.brand_key(brand) if brand else ""
    except ValueError:
        return ""


def _first_per_key(links: pd.DataFrame, properties: tuple[str, ...]) -> pd.DataFrame:
    columns = ["key", *[p for p in properties if p in links]]
    return links.drop_duplicates("key", keep="first")[columns].reset_index(drop=True)


def _id_document(raw: str, id_type: str) -> tuple[str, bool]:
    return normalize.id_document_key(raw, id_type or "CN_RESIDENT_ID")


def _phone(raw: str, _context: str) -> tuple[str, bool]:
    return normalize.phone_key(raw), True


def _email(raw: str, _context: str) -> tuple[str, bool]:
    return normalize.email_key(raw), True


def _account(raw: str, account_type: str) -> tuple[str, bool]:
    return normalize.account_key(raw, account_type or None)


def _address(raw: str, _context: str) -> tuple[str, bool]:
    return normalize.address_key(raw), True
