"""Fuzzy signals that say two identifier keys are one identifier written differently.

Each signal is a plain function ``signal(graph) -> list[Match]``. A match carries the evidence it
rests on as weighed parts; it is accepted when the weights add up to at least 1.0, so a weak
signal (a one-character difference in an ID number) links only when something corroborates it
(the holder names agree). Adding a signal means writing one function and listing it in
:data:`SIGNALS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from ..normalize import id_edit_close, names_agree
from .graph import EvidenceGraph

__all__ = ["SIGNALS", "WEIGHTS", "Match", "find_matches", "near_duplicate_addresses",
           "near_identical_id_documents"]

#: weight of each piece of evidence a signal can rest on; a match needs 1.0 in all
WEIGHTS = {
    "id_one_edit": 0.5,  # two ID numbers one substitution or transposition apart
    "holder_names_agree": 0.5,  # ... and the holder names on them denote the same person
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
    """Addresses whose numbers all agree and whose text differs only by a typo (two edits).

    Blocking on the numbers (room, floor, building, street number, postcode) keeps the cost near
    linear, and is also the rule: neighbours who differ in a room number are never compared.

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
    numbers = _address_numbers(pa.array(address_keys, type=pa.string()))
    block = pc.dictionary_encode(numbers).indices.to_numpy(zero_copy_only=False)
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


def _address_numbers(keys: pa.Array) -> pa.Array:
    """:func:`normalize.address_numbers` of every key at once, joined by spaces."""
    tokens = pc.utf8_split_whitespace(keys)
    words = tokens.flatten()
    row = pc.list_parent_indices(tokens).to_numpy()
    number = pc.ascii_is_decimal(words).to_numpy(zero_copy_only=False)
    offsets = np.r_[0, np.cumsum(np.bincount(row[number], minlength=len(keys)))]
    numbers = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), words.filter(number))
    return pc.binary_join(numbers, " ")


def near_identical_id_documents(graph: EvidenceGraph) -> list[Match]:
    """ID numbers one edit apart, accepted only when their holder names agree.

    Candidates come from hashing each key with one position masked (substitutions) and with two
    adjacent positions swapped (transpositions), vectorized over all keys of one length, so no
    pair of keys is compared unless it is a real candidate.
    """
    idents = graph.idents
    all_keys = idents["key"].to_numpy(dtype=object)
    docs = idents[(idents["kind"] == "id_document") & idents["key"].map(str.isascii).astype(bool)]
    names = _holder_names(graph)
    matches = []
    for _, group in docs.groupby(docs["key"].str.len()):
        if len(group) < 2:
            continue
        for a, b in _one_edit_candidates(group.index.to_numpy(), group["key"].tolist()):
            if not id_edit_close(all_keys[a], all_keys[b]):
                continue
            match = Match(int(a), int(b), "id_near_match", ["id_one_edit"])
            if any(names_agree(x, y) for x in names.get(a, ()) for y in names.get(b, ())):
                match.parts.append("holder_names_agree")
            matches.append(match)
    return matches


def _holder_names(graph: EvidenceGraph) -> dict[int, set[str]]:
    links = graph.links
    mask = (links["kind"] == "id_document") & (links["holder_name"] != "")
    names: dict[int, set[str]] = {}
    for ident, name in zip(graph.link_ident[mask.to_numpy()].tolist(),
                           links.loc[mask, "holder_name"].tolist(), strict=True):
        names.setdefault(ident, set()).add(name)
    return names


def _one_edit_candidates(index: np.ndarray, keys: list[str]) -> set[tuple[int, int]]:
    """Pairs of ``index`` entries whose equal-length keys may be one edit apart."""
    codes = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8)
    codes = codes.reshape(len(keys), -1).astype(np.uint64)
    length = codes.shape[1]
    powers = np.array([pow(1_000_003, j, 1 << 64) for j in range(length)], dtype=np.uint64)
    with np.errstate(over="ignore"):
        terms = codes * powers
        full = terms.sum(axis=1, dtype=np.uint64)
        pairs: set[tuple[int, int]] = set()
        for i in range(length):
            masked = full - terms[:, i]
            pairs |= _equal_hash_pairs(masked, index)
        order = np.argsort(full, kind="stable")
        sorted_full = full[order]
        for i in range(length - 1):
            swapped = (full - terms[:, i] - terms[:, i + 1]
                       + codes[:, i + 1] * powers[i] + codes[:, i] * powers[i + 1])
            pos = np.searchsorted(sorted_full, swapped)
            pos = np.minimum(pos, len(sorted_full) - 1)
            hit = sorted_full[pos] == swapped
            for row in np.nonzero(hit)[0]:
                other = index[order[pos[row]]]
                if other != index[row]:
                    pairs.add((min(index[row], other), max(index[row], other)))
    return pairs


def _equal_hash_pairs(hashes: np.ndarray, index: np.ndarray) -> set[tuple[int, int]]:
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    same = np.nonzero(sorted_hashes[1:] == sorted_hashes[:-1])[0]
    pairs = set()
    for start in same:
        a, b = index[order[start]], index[order[start + 1]]
        pairs.add((min(a, b), max(a, b)))
    return pairs


SIGNALS: list[Callable[[EvidenceGraph], list[Match]]] = [
    near_duplicate_addresses,
    near_identical_id_documents,
]


def find_matches(graph: EvidenceGraph) -> list[Match]:
    """Run every signal; return all matches, accepted or not (rejected ones are evidence too)."""
    return [match for signal in SIGNALS for match in signal(graph)]
