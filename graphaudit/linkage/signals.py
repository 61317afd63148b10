"""Fuzzy signals that say two identifier keys are one identifier written differently.

Each signal is a plain function ``signal(graph) -> list[Match]``. A match carries the evidence it
rests on as weighed parts; it is accepted when the weights add up to at least 1.0, so a weak
signal (a one-character difference in an ID number) links only when something corroborates it
(the holder names agree). Adding a signal means writing one function and listing it in
:data:`SIGNALS`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from ..normalize import (
    address_identities,
    id_check_passes,
    id_edit_close,
    name_key,
    names_agree_pairs,
)
from ..parallel import Parallel
from .graph import EvidenceGraph, unique_pairs

__all__ = ["SIGNALS", "WEIGHTS", "Match", "date_variant_documents", "document_name_values",
           "find_matches", "holder_name_key", "initialled_name_values", "near_duplicate_addresses",
           "near_identical_id_documents", "near_name_values"]

#: weight of each piece of evidence a signal can rest on; a match needs 1.0 in all
WEIGHTS = {
    # two ID numbers one substitution or transposition apart, ...
    "id_misread": 0.5,  # ... one passing its check character and the other not (an OCR slip)
    "id_one_edit": 0.5,  # ... which no check character explains (both pass, fail or have none)
    "holder_names_agree": 0.5,  # ... and the holder names on them denote the same person
    # two dates (YYYYMMDD, a birth date as the document) one field apart: the day or the month
    # written differently, or the day and month swapped, with the same holder name
    "id_date_variant": 0.5,
    "address_near_duplicate": 1.0,  # same numbers, text at most ADDRESS_EDITS edits apart
}
#: a typo is one or two edits (OSA: substitutions, insertions, deletions, adjacent swaps);
#: two different street names with the same numbers are further apart than that
ADDRESS_EDITS = 2


@dataclass
class Match:
    """Two identifiers that a signal considers one, and the evidence it weighed."""

    a: int
    b: int
    signal: str
    parts: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def weight(self) -> float:
        return sum(WEIGHTS[p] for p in self.parts)

    @property
    def accepted(self) -> bool:
        return self.weight >= 1.0 - 1e-9


def near_duplicate_addresses(graph: EvidenceGraph) -> list[Match]:
    """Addresses whose numbers and building letters all agree and whose text differs only by a
    typo (two edits).

    Blocking on :func:`~graphaudit.normalize.address_identity` (room, floor, building, street
    number, postcode, and one-letter designators such as ``Building B`` or ``A栋``) keeps the
    cost near linear, and is also the rule: neighbours who differ in a room number, and offices
    that differ only by the building letter, are never compared.

    >>> import pandas as pd
    >>> from graphaudit.linkage.graph import build_graph
    >>> links = pd.DataFrame({"store_id": ["S1", "S2", "S3"], "kind": ["address"] * 3,
    ...     "key": ["room 5 88 keyuan road", "room 5 88 keyaun road", "room 6 88 keyuan road"]})
    >>> g = build_graph(pd.DataFrame({"store_id": ["S1", "S2", "S3"]}), links)
    >>> [(g.idents.key[m.a], g.idents.key[m.b]) for m in near_duplicate_addresses(g)]
    [('room 5 88 keyaun road', 'room 5 88 keyuan road')]
    """
    idents = graph.idents
    addresses = np.nonzero((idents["kind"] == "address").to_numpy())[0]
    address_keys = idents["key"].to_numpy(dtype=object)[addresses]
    identity = address_identities(pa.array(address_keys, type=pa.string()))
    block = pc.dictionary_encode(identity).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(block, kind="stable")
    starts = np.r_[0, np.nonzero(np.diff(block[order]))[0] + 1, len(order)]
    matches = []
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        if b - a < 2:
            continue
        members = addresses[order[a:b]].tolist()
        keys = address_keys[order[a:b]].tolist()
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if OSA.distance(keys[x], keys[y], score_cutoff=ADDRESS_EDITS) > ADDRESS_EDITS:
                    continue
                score = round(fuzz.ratio(keys[x], keys[y]), 1)
                matches.append(Match(members[x], members[y], "address_near_duplicate",
                                     ["address_near_duplicate"], score))
    return matches


def near_identical_id_documents(graph: EvidenceGraph) -> list[Match]:
    """ID numbers one edit apart, accepted only when their holder names agree.

    The edit is weighed as ``id_misread`` when exactly one of the two numbers passes its check
    character (a CN resident ID or a unified social credit code misread by one character: the
    check then fails), else as ``id_one_edit``. Either alone weighs too little to merge.

    Candidates come from hashing each key with one position masked (substitutions) and with two
    adjacent positions swapped (transpositions), vectorized over all keys of one length, so no
    pair of keys is compared unless it is a real candidate. The candidates, their edits and
    their holder names are checked as arrays (:func:`_names_agree_pairs`): where ID documents
    are birth dates (RLdata10000) a date has many neighbours one digit away, 36,000 pairs
    nearly all of other people.
    """
    idents = graph.idents
    keys = pa.array(idents["key"], pa.large_string())
    docs = ((idents["kind"] == "id_document").to_numpy()
            & pc.string_is_ascii(keys).to_numpy(zero_copy_only=False))
    index = np.nonzero(docs)[0]
    lengths = pc.binary_length(keys.take(index)).to_numpy(zero_copy_only=False)
    found_a, found_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for length in np.unique(lengths).tolist():
        group = index[lengths == length]
        if len(group) >= 2:
            a, b = _one_edit_pairs(group, keys.take(group), length)
            found_a.append(a)
            found_b.append(b)
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    a, b = unique_pairs(np.minimum(a, b), np.maximum(a, b), max(len(idents), 1))
    if not len(a):
        return []
    involved = np.unique(np.r_[a, b])
    passes = np.array([id_check_passes(key) for key in keys.take(involved).to_pylist()])
    misread = passes[np.searchsorted(involved, a)] != passes[np.searchsorted(involved, b)]
    agree = _names_agree_pairs(graph, a, b, involved)
    return [Match(x, y, "id_near_match", ["id_misread" if m else "id_one_edit",
                                          *(["holder_names_agree"] if g else [])])
            for x, y, m, g in zip(a.tolist(), b.tolist(), misread.tolist(), agree.tolist(),
                                  strict=True)]


def _names_agree_pairs(graph: EvidenceGraph, a: np.ndarray, b: np.ndarray,
                       involved: np.ndarray) -> np.ndarray:
    """Whether some holder name beside ID document ``a[i]`` and some beside ``b[i]`` agree,
    for every pair at once (:func:`~graphaudit.normalize.names_agree_pairs` on every pair of
    their distinct names)."""
    rows = np.nonzero(np.isin(graph.link_ident, involved))[0]
    names = pd.DataFrame({"ident": graph.link_ident[rows],
                          "name": graph.links["holder_name"].iloc[rows].fillna("").astype(str)
                          .to_numpy(dtype=object)})
    names = names[names["name"] != ""].drop_duplicates()
    code, distinct = pd.factorize(names["name"].to_numpy(dtype=object))
    names = pd.DataFrame({"ident": names["ident"].to_numpy(), "code": code})
    pair = pd.DataFrame({"pair": np.arange(len(a)), "a": a, "b": b})
    rows = (pair.merge(names, left_on="a", right_on="ident")
            .merge(names, left_on="b", right_on="ident", suffixes=("_a", "_b")))
    agree = np.zeros(len(a), dtype=bool)
    if rows.empty:
        return agree
    result = names_agree_pairs(list(distinct), rows["code_a"].to_numpy(),
                               rows["code_b"].to_numpy())
    agree[rows["pair"].to_numpy()[result]] = True
    return agree


#: an ID key of 8 digits with a month of 01-12 and a day of 01-31 is read as a date YYYYMMDD
_DATE_KEY = r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$"


def date_variant_documents(graph: EvidenceGraph) -> list[Match]:
    """ID documents that are dates (a birth date where it is all a record has) written
    differently: the same year and month with another day, the same year and day with another
    month, or the day and month swapped (``19620412``, ``19621204``), and the same holder name
    beside both (equal once case, order and spacing are set aside); another year with the same
    month and day only when that name is beside these two dates and no other.

    A date is written as three fields, so its errors are a field, not a character: a day typed
    04 for 19 is two edits, which :func:`near_identical_id_documents` does not see. Another
    year is read through only for a name of two dates: namesakes of a common name are born in
    many years (measured on RLdata10000: the same month and day with another year are 146
    duplicate pairs against 18 namesakes, 74 against 2 where the name has two dates; the day
    gives 129 against 8). Blocking on the parts that stay equal and the name keeps the pairs
    few. In the example the name is beside three dates, so 1975 is another person.

    >>> import pandas as pd
    >>> from graphaudit.linkage.graph import build_graph
    >>> links = pd.DataFrame({"store_id": ["S1", "S2", "S3"], "kind": ["id_document"] * 3,
    ...     "key": ["19620412", "19621204", "19750412"],
    ...     "holder_name": ["Hans Meier", "MEIER Hans", "Hans Meier"]})
    >>> g = build_graph(pd.DataFrame({"store_id": ["S1", "S2", "S3"]}), links)
    >>> [(g.idents.key[m.a], g.idents.key[m.b]) for m in date_variant_documents(g)]
    [('19620412', '19621204')]
    """
    idents = graph.idents
    keys = idents["key"].astype(str)
    dates = np.flatnonzero((idents["kind"] == "id_document").to_numpy()
                           & keys.str.fullmatch(_DATE_KEY).to_numpy(dtype=bool))
    if len(dates) < 2:
        return []
    rows = [(ident, holder_name_key(name)) for ident, names in _holder_names(graph, dates).items()
            for name in names]
    if len(rows) < 2:
        return []
    table = pd.DataFrame(rows, columns=["ident", "name"])
    table = table[table["name"] != ""].drop_duplicates()
    ident = table["ident"].to_numpy(dtype=np.int64)
    name = pd.factorize(table["name"])[0].astype(np.int64)
    text = keys.to_numpy(dtype=object)[ident].astype("U8")
    digits = (text.view(np.uint32).reshape(len(text), 8) - ord("0")).astype(np.int64)
    year = digits[:, :4] @ np.array([1000, 100, 10, 1])
    month, day = digits[:, 4] * 10 + digits[:, 5], digits[:, 6] * 10 + digits[:, 7]
    # Each rule is a self-join on one integer key (the fields that stay equal and the name):
    # pairs of positions with equal keys, kept where the other field differs.
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for key, differ in ((name * 10**6 + year * 100 + month, day),
                        (name * 10**6 + year * 100 + day, month)):
        x, y = _equal_hash_pairs(key)
        keep = differ[x] != differ[y]
        found.append((x[keep], y[keep]))
    # Another year only where the name is beside these two dates and no other: the only two
    # records of a name (namesakes of a common name are born in many years).
    dates_of_name = pd.Series(ident).groupby(name).transform("nunique").to_numpy()
    rare = np.flatnonzero(dates_of_name == 2)
    x, y = _equal_hash_pairs(name[rare] * 10**4 + month[rare] * 100 + day[rare])
    keep = year[rare][x] != year[rare][y]
    found.append((rare[x[keep]], rare[y[keep]]))
    # Day and month swapped: a row's key equal to another's key with its day and month swapped.
    written = name * 10**8 + year * 10**4 + month * 100 + day
    x, y = _equal_hash_pairs(np.r_[written, name * 10**8 + year * 10**4 + day * 100 + month])
    n = len(written)
    cross = (x < n) != (y < n)
    x, y = np.minimum(x[cross], y[cross]), np.maximum(x[cross], y[cross]) - n
    found.append((x, y))
    a = np.concatenate([ident[f[0]] for f in found])
    b = np.concatenate([ident[f[1]] for f in found])
    a, b = unique_pairs(np.minimum(a, b), np.maximum(a, b), max(len(idents), 1))
    key_of = keys.to_numpy(dtype=object)
    return [Match(a, b, "id_date_variant", ["id_date_variant", "holder_names_agree"])
            for a, b in zip(a.tolist(), b.tolist(), strict=True)
            if a < b and not id_edit_close(key_of[a], key_of[b])]


def holder_name_key(name: str) -> str:
    """A holder name as an order-free key: its words, sorted and joined ("wei wang" for "WANG
    Wei" and "Wei Wang")."""
    return " ".join(sorted(name_key(name).split()))


def _holder_names(graph: EvidenceGraph, idents: np.ndarray) -> dict[int, set[str]]:
    """The holder names written beside each of ``idents`` (ID documents)."""
    rows = np.nonzero(np.isin(graph.link_ident, idents))[0]
    names: dict[int, set[str]] = {}
    for ident, name in zip(graph.link_ident[rows].tolist(),
                           graph.links["holder_name"].iloc[rows].tolist(), strict=True):
        if name:
            names.setdefault(ident, set()).add(name)
    return names


def _one_edit_pairs(index: np.ndarray, keys: pa.Array, length: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of ``index`` entries whose ASCII keys, all ``length`` long, are one substitution
    or one transposition of adjacent characters apart (``normalize.id_edit_close``).

    Each key is a polynomial hash of its bytes. Keys one substitution apart at position i have
    equal hashes once position i is left out; a key with positions i and i+1 swapped has the
    hash of the other key. Both are hash lookups, linear in the number of keys; the pairs they
    find are then checked byte by byte (a hash may collide).
    """
    data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)  # a fresh take: offset 0
    raw = data[: len(keys) * length].reshape(len(keys), length)
    codes = raw.astype(np.uint64)
    powers = np.array([pow(1_000_003, j, 1 << 64) for j in range(length)], dtype=np.uint64)
    found_a, found_b = [], []
    with np.errstate(over="ignore"):
        terms = codes * powers
        full = terms.sum(axis=1, dtype=np.uint64)
        for i in range(length):
            left, right = _equal_hash_pairs(full - terms[:, i])
            found_a.append(left)
            found_b.append(right)
        lookup = pd.Index(full)
        for i in range(length - 1):
            differ = np.nonzero(codes[:, i] != codes[:, i + 1])[0]
            swapped = (full[differ] - terms[differ, i] - terms[differ, i + 1]
                       + codes[differ, i + 1] * powers[i] + codes[differ, i] * powers[i + 1])
            found = lookup.get_indexer(swapped)
            hit = found >= 0
            found_a.append(differ[hit])
            found_b.append(found[hit])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    keep = a != b
    a, b = a[keep], b[keep]
    return index[a[_edit_close(raw[a], raw[b])]], index[b[_edit_close(raw[a], raw[b])]]


def _edit_close(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``normalize.id_edit_close`` of the rows of two byte matrices of one width: exactly one
    byte different, or two adjacent bytes swapped."""
    differ = x != y
    count = differ.sum(axis=1)
    close = count == 1
    two = np.flatnonzero(count == 2)
    if len(two) and x.shape[1] > 1:
        i = differ[two].argmax(axis=1)
        j = np.minimum(i + 1, x.shape[1] - 1)
        close[two] = (differ[two, j] & (j == i + 1) & (x[two, i] == y[two, j])
                      & (x[two, j] == y[two, i]))
    return close


def _equal_hash_pairs(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions with equal ``hashes`` (a group is a few keys at most: the keys
    that differ only at the masked position)."""
    shared = np.nonzero(pd.Series(hashes).duplicated(keep=False).to_numpy())[0]
    if not len(shared):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    shared = shared[np.argsort(hashes[shared], kind="stable")]
    run = hashes[shared]
    first = np.r_[True, run[1:] != run[:-1]]
    run_end = np.r_[np.flatnonzero(first)[1:], len(run)]
    count = run_end[np.cumsum(first) - 1] - np.arange(len(run)) - 1
    left = np.repeat(np.arange(len(run)), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return shared[left], shared[left + 1 + step]


#: name keys of fewer characters are not looked at for typos: in "anna li" or "wang wei" one
#: letter makes another name ("anna lu", "wang wen"); one edit in 10 characters is a similarity
#: of 90 %, what ``normalize.names_agree`` asks of a typo
NAME_MIN_CHARS = 10
#: a name key longer than this is not looked at for typos (no person's name is; a pasted field is)
NAME_MAX_CHARS = 48
#: keys that are equal after deleting one character from each, beyond this many, are left
#: alone (none is a typo check)
NAME_BLOCK_MAX = 16


def near_name_values(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each distinct holder-name key, the key it is compared as: the key with the most uses
    (``counts``; ties to the first) among itself and the keys one edit away (OSA distance 1: a
    substitution, a missing or added letter, two adjacent letters swapped), when that key is
    its own commonest neighbour. Two names written with a typo then share one value through
    different spellings, which is the ``near`` level of the holder-name comparison
    (docs/linkage.md §3), weighed by what EM learns, not by a rule.

    Only names in Latin letters of 10 to 48 characters: in a Chinese name of three characters
    one substituted character is another person (李荣昊, 王荣昊), and in a short Latin one a
    letter is another name. Candidates are keys equal once one character is deleted from each
    (or from one: an insertion), found by hashing every deletion of every key, vectorized per
    key length; only equal hashes are measured (rapidfuzz, in C). No key moves along a chain:
    names one edit apart each can be three different people.

    >>> near_name_values(np.array(["carsten meier", "carsten meiet", "anna li", "anna lu"],
    ...                  dtype=object), np.array([3, 1, 1, 1])).tolist()
    ['carsten meier', 'carsten meier', 'anna li', 'anna lu']
    """
    keys = np.asarray(keys, dtype=object)
    n = len(keys)
    text = pa.array(keys, type=pa.string())
    lengths = np.where(pc.string_is_ascii(text).to_numpy(zero_copy_only=False),
                       pc.utf8_length(text).to_numpy(zero_copy_only=False), 0)
    eligible = np.flatnonzero((lengths >= NAME_MIN_CHARS) & (lengths <= NAME_MAX_CHARS))
    if len(eligible) < 2:
        return keys.copy()
    hashes, owners = _deletion_hashes(keys[eligible], lengths[eligible])
    owners = eligible[owners]
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.r_[0, np.nonzero(np.diff(hashes))[0] + 1, len(hashes)]
    size = np.repeat(np.diff(starts), np.diff(starts))
    # Every pair within a block of equal hashes: entry i with entry i + k of the same block.
    small = size <= NAME_BLOCK_MAX
    a_parts, b_parts = [], []
    for k in range(1, NAME_BLOCK_MAX):
        same = (hashes[k:] == hashes[:-k]) & small[k:]
        if not same.any():
            break
        a_parts.append(owners[:-k][same])
        b_parts.append(owners[k:][same])
    if not a_parts:
        return keys.copy()
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    a, b = np.minimum(a, b), np.maximum(a, b)
    pair = np.unique(a[a != b] * n + b[a != b])
    a, b = pair // n, pair % n
    distance = np.asarray(cpdist(keys[a].tolist(), keys[b].tolist(), scorer=OSA.distance))
    a, b = a[distance <= 1], b[distance <= 1]
    best = np.arange(n)
    # Each key's best neighbour: most uses, then the first; a group-by max over both directions.
    src = np.r_[np.arange(n), a, b]
    dst = np.r_[np.arange(n), b, a]
    rank = np.lexsort((dst, -counts[dst], src))
    first = np.r_[True, src[rank][1:] != src[rank][:-1]]
    best[src[rank][first]] = dst[rank][first]
    # One step, and only to a key that is its own best: a typo joins its name, never a chain
    # of names one edit apart each ("ying zhong", "ying zhang", "yong zhang").
    root = best == np.arange(n)
    return keys[np.where(root[best], best, np.arange(n))]


def initialled_name_values(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The holder-name value of each distinct name key (``values``, from
    :func:`near_name_values`), where a name written with a middle initial and the same name
    without it, or with that middle name written out, share one value: "austin gurney l"
    ("Austin L. Gurney") takes the value of "austin gurney", and "greenberg jay robert" that of
    "greenberg j robert". Two records with them agree at the ``near`` level (EM weighs it), as
    ``names_agree`` already reads initials.

    Only where the name has two or more other words of 10 or more characters in all, in Latin
    letters, and only where each form is written by exactly one key on each side: "mark a
    horowitz" and "mark s horowitz" beside "mark horowitz" are two people with one name, and
    neither moves; nor does "j robert smith" beside "james robert smith" and "john robert
    smith". Keys without a one-letter word or a third word are not looked at.

    >>> keys = np.array(["austin gurney l", "austin gurney", "a horowitz mark",
    ...                  "horowitz mark s", "horowitz mark", "li w", "greenberg j robert",
    ...                  "greenberg jay robert"], dtype=object)
    >>> values = initialled_name_values(keys, keys).tolist()
    >>> values[:2], values[2:6] == keys[2:6].tolist(), values[6:]
    (['austin gurney', 'austin gurney'], True, ['greenberg j robert', 'greenberg j robert'])
    """
    keys = np.asarray(keys, dtype=object)
    values = np.asarray(values, dtype=object).copy()
    text = pa.array(keys, type=pa.string())
    latin = pc.string_is_ascii(text).to_numpy(zero_copy_only=False)
    initial = latin & pc.match_substring_regex(text, r"(^| )[a-z]( |$)").to_numpy(
        zero_copy_only=False)
    several = latin & (pc.count_substring(text, " ").to_numpy(zero_copy_only=False) >= 2)
    if not (initial | several).any():
        return values
    # Without the initial: each key with initials, its other words looked up among the keys.
    bare_rows, written_rows = [], []
    for at in np.flatnonzero(initial | several).tolist():
        words = keys[at].split()
        single = [w for w in words if len(w) == 1 and w.isalpha()]
        rest = [w for w in words if not (len(w) == 1 and w.isalpha())]
        if len(rest) < 2 or len(" ".join(rest)) < NAME_MIN_CHARS:
            continue
        if single:
            bare_rows.append((" ".join(rest), at))
            if len(single) == 1:
                written_rows.append((keys[at], at, True))
        else:  # written out: each way of abbreviating one of its words to an initial
            written_rows.extend((" ".join(sorted([*words[:j], w[0], *words[j + 1:]])), at, False)
                                for j, w in enumerate(words) if w.isalpha())
    if bare_rows:
        bare = pd.DataFrame(bare_rows, columns=["form", "at"])
        bare = bare[~bare["form"].duplicated(keep=False)]  # one key with initials per name
        found = pd.Index(keys).get_indexer(bare["form"].to_numpy(dtype=object))
        # the key with the initial takes the value of the name without it
        values[bare["at"].to_numpy()[found >= 0]] = values[found[found >= 0]]
    if written_rows:
        frame = pd.DataFrame(written_rows, columns=["form", "at", "initials"]).drop_duplicates()
        groups = frame.groupby("form")["initials"]
        pairs = frame[(groups.transform("sum") == 1) & (groups.transform("size") == 2)]
        pairs = pairs.sort_values(["form", "initials"])  # the written-out key first
        full, initialled = pairs["at"].to_numpy()[0::2], pairs["at"].to_numpy()[1::2]
        # Each key in one pair at most: a key that pairs with two others is left alone.
        once = ~(pd.Series(full).duplicated(keep=False)
                 | pd.Series(initialled).duplicated(keep=False)).to_numpy()
        # the written-out key takes the initialled one's value (a plain key's, perhaps)
        values[full[once]] = values[initialled[once]]
    return values


def document_name_values(documents: np.ndarray, keys: np.ndarray,
                         values: np.ndarray) -> np.ndarray:
    """The holder-name value of each row, where rows beside one ID document (``documents``:
    its identifier per row) whose name keys are a typo or two apart (:func:`_one_holder`) take
    the value of the key commonest beside that document (then anywhere): one document has one
    holder, so two such names written beside it are that holder's name written differently,
    and the two rows agree at the ``near`` level of the holder-name comparison.

    Unlike :func:`near_name_values` this looks at short names too ("uwe beck", "uwe brck")
    and at two edits, because the document already makes the two rows candidates for one
    person; a name moves only beside its document, not elsewhere. Only names in Latin letters:
    a name in Chinese characters and its pinyin beside one shared document (a rented ID card
    written both ways) agreeing as a second agreement merged more operators on the seller
    worlds (family seed 500: pairwise precision 0.941 -> 0.938); they agree in §2's ID
    matching, not here.

    >>> names = np.array(["hans schmid", "hans schmid", "hans schmic", "anna li", "hans schmic"],
    ...                  dtype=object)
    >>> document_name_values(np.array([7, 7, 7, 7, 8]), names, names).tolist()
    ['hans schmid', 'hans schmid', 'hans schmid', 'anna li', 'hans schmic']
    """
    values = np.asarray(values, dtype=object).copy()
    rows = pd.DataFrame({"doc": documents, "key": keys, "value": values})
    # Uses of each (document, key), a group-by; only documents with two or more keys matter.
    uses = rows.groupby(["doc", "key"])["value"].agg(["size", "first"])  # sorted by doc
    several = uses[uses.index.get_level_values("doc").duplicated(keep=False)]
    if several.empty:
        return values
    # uses of each key anywhere, looked up once for the keys of those documents (not one
    # pandas look-up per key in the loop)
    keys_of_several = several.index.get_level_values("key")
    everywhere = rows["key"].value_counts().reindex(keys_of_several).tolist()
    moved: dict[tuple[object, str], str] = {}
    entries = zip(several.index.get_level_values("doc").tolist(), keys_of_several.tolist(),
                  several["size"].tolist(), several["first"].tolist(), everywhere, strict=True)
    for doc, group in itertools.groupby(entries, key=lambda e: e[0]):
        group = list(group)
        # The key most used beside the document first, then most used anywhere, then by text:
        # each key takes the value of the first key it is close to (itself at worst), so a
        # name that other documents write the same way keeps its value.
        ranked = sorted(group, key=lambda e: (-e[2], -e[4], e[1]))
        for _, key, _, value, _ in group:
            best = next(v for _, k, _, v, _ in ranked if k == key or _one_holder(key, k))
            if best != value:
                moved[(doc, key)] = best
    if moved:
        new = pd.Series(moved).reindex(pd.MultiIndex.from_frame(rows[["doc", "key"]]))
        change = new.notna().to_numpy()
        values[change] = new.to_numpy(dtype=object)[change]
    return values


#: beside one document, name keys in Latin letters this many edits apart (OSA) are one
#: holder's name: up to 2 in keys of 8 characters or more ("uwe beck", "uwe brck"; "hermann
#: koch", "hermannu kohc"); none in shorter keys ("anna li", "anna lu": another name)
DOCUMENT_NAME_EDITS = ((8, 2),)


def _one_holder(a: str, b: str) -> bool:
    """Two name keys written beside one document that name one holder: both in ASCII letters,
    a typo or two apart (:data:`DOCUMENT_NAME_EDITS`), with the words of one in any order when
    both have as many words: a key has its words sorted, and a typo can move a word ("meyer
    michael", "michael myer"). A name written joined beside the same name in words
    ("zhaoshuaijun", "shuaijun zhao") is left apart: on the seller worlds that is a rented ID
    card's holder written by two operators (family seed 505: pairwise precision 0.955 ->
    0.952 when it agreed)."""
    if not (a.isascii() and b.isascii()):
        return False
    shorter = min(len(a), len(b))
    edits = next((e for chars, e in DOCUMENT_NAME_EDITS if shorter >= chars), 0)
    if edits == 0:
        return False
    words = b.split()
    orders = (itertools.permutations(words) if len(words) <= 4 and len(a.split()) == len(words)
              else [words])
    return any(OSA.distance(a, " ".join(order), score_cutoff=edits) <= edits
               for order in orders)


def _deletion_hashes(keys: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polynomial hashes of every key and of every key with one character deleted, with the
    key each belongs to (its position in ``keys``, whose ``lengths`` are given): keys one
    substitution apart share a deletion, keys one insertion apart share a key's full hash and
    the other's deletion."""
    all_hashes, all_owners = [], []
    for length in np.unique(lengths).tolist():
        index = np.flatnonzero(lengths == length)
        codes = (np.array(keys[index].tolist(), dtype=f"<U{length}").view(np.uint32)
                 .reshape(len(index), length).astype(np.uint64))
        powers = np.array([pow(1_000_003, j, 1 << 64) for j in range(length)], dtype=np.uint64)
        with np.errstate(over="ignore"):
            prefix = np.cumsum(codes * powers, axis=1, dtype=np.uint64)
            all_hashes.append(prefix[:, -1])
            all_owners.append(index)
            # Deleting position i: the prefix before i, the rest shifted down one power.
            shifted = np.zeros((len(index), length), dtype=np.uint64)
            shifted[:, 1:] = codes[:, 1:] * powers[:-1]
            tail = np.cumsum(shifted[:, ::-1], axis=1, dtype=np.uint64)[:, ::-1]
            for i in range(length):
                before = prefix[:, i - 1] if i else np.zeros(len(index), dtype=np.uint64)
                after = tail[:, i + 1] if i + 1 < length else np.zeros(len(index), np.uint64)
                all_hashes.append(before + after)
                all_owners.append(index)
    if not all_hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(all_hashes), np.concatenate(all_owners)


SIGNALS: list[Callable[[EvidenceGraph], list[Match]]] = [
    near_duplicate_addresses,
    near_identical_id_documents,
    date_variant_documents,
]


def find_matches(graph: EvidenceGraph, parallel: Parallel | None = None,
                 rows: int | None = None) -> list[Match]:
    """Run every signal; return all matches, accepted or not (rejected ones are evidence too).

    With a ``parallel`` budget to spare for ``rows`` links (default: the graph's), signals but
    the last run in forked children meanwhile (the signals are independent, and mostly Python).
    """
    parallel = parallel or Parallel()
    rows = len(graph.link_store) if rows is None else rows
    with ExitStack() as stack:
        others = [stack.enter_context(parallel.start(signal, graph, rows=rows))
                  for signal in SIGNALS[:-1]]
        last = SIGNALS[-1](graph)
        found = [other.result() for other in others]
    return [match for matches in (*found, last) for match in matches]
