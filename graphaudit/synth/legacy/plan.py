"""Planning the legacy world before drawing any detail: every operator's size, whether it is
banned and comes back, the hubs it uses, and the traps planted in it (vectorised, numpy).

The plan takes every draw of the world's ``numpy.random.Generator``; the details of each
operator come afterwards from ``random.Random`` (:mod:`graphaudit.synth.legacy.world`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Evader link kinds and their shares.
LINK_KINDS = ("id", "payment", "address", "phone")
LINK_SHARES = (0.35, 0.35, 0.20, 0.10)

_P_SINGLE = 0.68  # share of operators that run one store
_ALPHA = 1.6  # Pareto tail of the multi-store operators
_CAP = 1000  # largest operator


def split_counts(total: int, shares: tuple[float, ...], at_least_one: bool) -> list[int]:
    """Split ``total`` by ``shares`` (largest remainder), giving each kind one when it can."""
    if at_least_one and total >= len(shares):
        base = [1] * len(shares)
        rest = total - len(shares)
    else:
        base = [0] * len(shares)
        rest = total
    raw = [s * rest for s in shares]
    counts = [int(x) for x in raw]
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts, strict=True)]



def _draw_sizes(rng: np.random.Generator, k: int) -> np.ndarray:
    single = rng.random(k) < _P_SINGLE
    u = rng.random(k)
    multi = np.floor(2.0 * (1.0 - u) ** (-1.0 / _ALPHA))
    over = multi > _CAP
    multi[over] = rng.integers(_CAP // 2, _CAP + 1, int(over.sum()))
    return np.where(single, 1, multi).astype(np.int64)


@dataclass
class Plan:
    """Every operator's size and role, one list entry per operator."""

    n_ops: int
    size: list[int]  # total stores of the operator (old + new)
    new: list[int]  # stores opened after the ban (evaders), else 0
    banned: list[bool]
    link: list[str]  # evader link kind or ""
    vo: list[int]  # index into hubs or -1
    agency: list[int]
    tpl: list[int]
    neighbour: list[int]  # neighbour group or -1
    decoy: list[int]  # decoy pair * 2 + side (0 = valid ID, 1 = near ID) or -1
    typo: list[bool]
    hubs: list[tuple[str, str]]  # (kind, hub id)


def plan(n: int, rng: np.random.Generator) -> Plan:
    """Decide every operator's size and role before generating anything."""
    mean = _P_SINGLE + (1 - _P_SINGLE) * 4.8
    chunks: list[np.ndarray] = []
    total = 0
    while total < n:
        batch = _draw_sizes(rng, int(n / mean * 1.1) + 16)
        chunks.append(batch)
        total += int(batch.sum())
    size = np.concatenate(chunks)
    new = np.zeros_like(size)

    # Banned operators and evaders among the multi-store ones (counts fixed, members random).
    multi_idx = np.flatnonzero(size >= 2)
    n_banned = min(len(multi_idx), max(round(0.03 * len(multi_idx)), 6))
    banned_multi = np.sort(rng.choice(multi_idx, n_banned, replace=False))
    n_evaders = (n_banned + 1) // 2
    evaders = np.sort(rng.choice(banned_multi, n_evaders, replace=False))
    banned = np.zeros(len(size), dtype=bool)
    banned[banned_multi] = True
    banned |= (size == 1) & (rng.random(len(size)) < 0.012)
    extra_hi = 2 + np.minimum(8, 1 + size[evaders] // 8)
    new[evaders] = rng.integers(2, extra_hi + 1)
    kinds = split_counts(n_evaders, LINK_SHARES, at_least_one=True)
    link_arr = np.repeat(np.arange(len(LINK_KINDS)), kinds)
    rng.shuffle(link_arr)
    link = np.full(len(size), -1)
    link[evaders] = link_arr

    # A world of a few thousand stores still gets a big operator.
    target = min(_CAP, max(100, n // 20)) if n >= 400 else max(1, n // 4)
    for _ in range(3):
        cs = np.cumsum(size + new)
        k = int(np.searchsorted(cs, n))
        if size[: k + 1].max() >= target:
            break
        plain = np.flatnonzero((size[: k + 1] >= 2) & ~banned[: k + 1])
        j = int(plain[0]) if len(plain) else 0
        size[j] = target
    cs = np.cumsum(size + new)
    k = int(np.searchsorted(cs, n))
    before = int(cs[k - 1]) if k > 0 else 0
    if before + int(size[k] + new[k]) != n:  # the last operator is cut to fit, as a plain one
        size[k] = n - before
        new[k] = 0
        banned[k] = False
        link[k] = -1
    n_ops = k + 1
    size, new, banned, link = size[:n_ops], new[:n_ops], banned[:n_ops], link[:n_ops]
    total_size = size + new
    evader = link >= 0

    # Hub clients, by operator size; evaders keep clear of agencies and virtual offices so the
    # one identifier they share with their old stores is the planted one.
    u = rng.random((3, n_ops))
    p_vo = np.select([size == 1, size <= 3, size <= 10], [0.07, 0.06, 0.03], 0.0)
    p_ag = np.select([size == 1, size <= 5, size <= 20, size <= 100], [0.09, 0.10, 0.06, 0.01], 0.0)
    p_3pl = np.select([size == 1, size <= 20, size <= 100], [0.12, 0.20, 0.30], 0.40)
    vo_client = (u[0] < p_vo) & ~evader
    ag_client = (u[1] < p_ag) & ~evader
    tpl_client = u[2] < p_3pl
    hubs: list[tuple[str, str]] = []
    assign = {}
    for kind, clients in (
        ("3pl", tpl_client),
        ("agency", ag_client),
        ("virtual_office", vo_client),
    ):
        members = rng.permutation(np.flatnonzero(clients))
        hub_of = np.full(n_ops, -1)
        cap = max(3, min(400, n // 100, len(members) // 4))
        pos = 0
        groups: list[tuple[int, int]] = []
        while len(members) - pos >= 3:
            s = int(min(cap, math.floor(3 * (1 - rng.random()) ** (-1 / 1.15))))
            if len(members) - pos - s < 3:
                s = len(members) - pos
            groups.append((pos, pos + s))
            pos += s
        for a, b in groups:
            hub_of[members[a:b]] = len(hubs)
            hubs.append((kind, ""))
        assign[kind] = hub_of
    width = max(5, len(str(len(hubs))))
    hubs = [(kind, f"H{i + 1:0{width}d}") for i, (kind, _) in enumerate(hubs)]

    # Neighbours in one building: groups of two or three unrelated operators with own offices.
    neighbour = np.full(n_ops, -1)
    free = np.flatnonzero((assign["virtual_office"] < 0) & ~evader)
    n_groups = max(2, round(n_ops * 0.004))
    sizes = np.where(rng.random(n_groups) < 0.25, 3, 2)
    while sizes.sum() > len(free) and len(sizes):
        sizes = sizes[:-1]
    chosen = rng.choice(free, int(sizes.sum()), replace=False)
    neighbour[chosen] = np.repeat(np.arange(len(sizes)), sizes)

    # Near-ID decoys (pairs of unrelated operators) and ID typos (within one operator).
    decoy = np.full(n_ops, -1)
    free = np.flatnonzero(~evader & (neighbour < 0))
    n_pairs = min(len(free) // 2, max(3, round(n * 0.0004)))
    chosen = rng.choice(free, 2 * n_pairs, replace=False)
    decoy[chosen] = np.arange(2 * n_pairs)
    typo = np.zeros(n_ops, dtype=bool)
    free = np.flatnonzero(~evader & (decoy < 0) & (size >= 2))
    n_typos = min(len(free), max(3, round(n * 0.001)))
    typo[rng.choice(free, n_typos, replace=False)] = True

    return Plan(
        n_ops=n_ops,
        size=total_size.tolist(),
        new=new.tolist(),
        banned=banned.tolist(),
        link=[LINK_KINDS[x] if x >= 0 else "" for x in link.tolist()],
        vo=assign["virtual_office"].tolist(),
        agency=assign["agency"].tolist(),
        tpl=assign["3pl"].tolist(),
        neighbour=neighbour.tolist(),
        decoy=decoy.tolist(),
        typo=typo.tolist(),
        hubs=hubs,
    )

