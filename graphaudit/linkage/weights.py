"""Evidence weights learned from the records: Fellegi-Sunter over pairs of store groups.

Two groups of stores that share something are compared on every *comparison* (one per kind of
evidence: ID document, payment account, phone, e-mail, each type of address, holder name,
brand). Each comparison ends at a *level*: ``null`` (one side has no such evidence: weighs
nothing), ``none`` (both have some, none shared), ``near`` (shared only as near-duplicate
spellings), or ``exact`` in a band of how many separate groups use the value (2, 3-4, 5-9,
10 or more: the term frequency). The probability of each level among pairs of one operator (m)
and among pairs of different operators (u) is estimated by expectation-maximisation over the
candidate pairs themselves, without labels; the weight of a level is ``log2(m / u)`` and a
pair's score is the prior ``log2(lambda / (1 - lambda))`` plus the weights of its levels.

Everything here works on whole tables (numpy arrays of pairs and levels); there is no loop over
pairs, so the same steps can run as group-bys and joins elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_WEIGHTS", "LEVELS", "LinkageParams", "Model", "band_level", "common_tf_bits",
           "default_model", "distinct_patterns", "estimate_model", "random_pair_u"]

#: levels of every comparison, weakest to strongest (``null`` is -1 and weighs nothing)
LEVELS = ("none", "near", "exact, 10+ groups", "exact, 5-9 groups", "exact, 3-4 groups",
          "exact, 2 groups")
NONE, NEAR, COMMON = 0, 1, 2
#: pairs scored at once for the chances of coincidence (:meth:`Model.score`)
SCORE_BLOCK = 1 << 18
#: lower bounds of the term-frequency bands of exact levels 2.. (groups using the value)
BANDS = (10, 5, 3, 2)

#: documented fallback weights (bits) per level, used when the data cannot be weighed: an
#: empty world, too few candidate pairs, an estimation that does not converge or that finds
#: no match at all. With the prior of -2: a personal identifier of up to 9 groups merges them;
#: a contact or an address of exactly 2 groups merges them; a contact of 3-4 groups, or any
#: value of 5-9 groups, is a possible link; a value of 10+ groups weighs nothing, so alone it
#: is a hub (a service); names and brands only add, a variant of a suspended brand adds 2. No
#: agreement weighs less than a value not shared: a phone beside the ID card five stores share,
#: or the one office of a whole export, must not part them (docs/linkage.md, bad input).
DEFAULT_WEIGHTS: dict[str, tuple[float, ...]] = {
    "id_document": (0.0, 4.0, 0.0, 3.0, 6.0, 9.0),
    "payment": (0.0, 4.0, 0.0, 3.0, 6.0, 9.0),
    "licence": (0.0, 4.0, 0.0, 3.0, 6.0, 9.0),
    "phone": (0.0, 2.0, 0.0, 0.0, 1.0, 4.0),
    "email": (0.0, 2.0, 0.0, 0.0, 1.0, 4.0),
    "address": (0.0, 1.0, 0.0, 0.0, 0.0, 3.0),
    "holder_name": (0.0, 0.5, 0.0, 0.5, 1.0, 2.0),
    "brand": (0.0, 2.0, 0.0, 0.5, 1.0, 2.0),
}
DEFAULT_PRIOR = -2.0


@dataclass(frozen=True)
class LinkageParams:
    """Every setting of the linkage engine, passed in (no module globals decide a run).

    ``merge_bits`` and ``possible_bits`` are thresholds on a pair's score (prior plus weights,
    in bits): at 0 a merge needs a match probability above one half, a possible link above
    0.05. docs/linkage.md argues every default.
    """

    merge_bits: float = 0.0
    possible_bits: float = math.log2(1 / 19)
    #: a value used by more groups than this pairs each group only with its ``window`` next
    #: ones (sorted neighbourhood): all pairs of a 3PL of 100,000 stores would be 5e9
    all_pairs_up_to: int = 50
    window: int = 4
    #: a value used by more groups than this generates no candidates (it still weighs)
    max_groups: int = 5000
    #: a value of the commonest band used by ``g`` groups weighs ``common_tf * log2(g / 10)``
    #: bits less than the band's weight (term frequency inside the band: its chance pairs grow
    #: as g^2, the pairs of the operators using it as g). Off (0) by default: at 1 it mends
    #: family seed 1518 but costs 1000-1019's worst pairwise F1 0.013 (docs/linkage.md)
    common_tf: float = 0.0
    #: a value still shared by this many separate clusters when merging is done is a hub: it
    #: makes no possible link (the first group count of the commonest band, 10+)
    hub_groups: int = 10
    #: a bridge between parts of a cluster must clear merge_bits by this many bits per doubling
    #: of the smaller part (a multiple-comparisons margin: bigger parts, more chance pairs)
    weak_cut_bits: float = 1.0
    max_rounds: int = 8
    #: EM's cost is per distinct level pattern, not per pair; on few pairs its share of
    #: matches moves slowly (RLdata500's 53 pairs converge in about 830 iterations)
    em_iterations: int = 5000
    em_tolerance: float = 1e-7
    #: fewer candidate pairs than this and the estimate is not trusted: defaults are used
    #: (which merge any personal identifier of two stores, whatever else differs; on RLdata500's
    #: 53 pairs EM learns that a birth date alone is a coincidence: docs/linkage.md)
    min_pairs: int = 40
    #: comparisons that add to a pair's score but never make two groups candidates
    scoring_only: tuple[str, ...] = ("holder_name", "brand")
    #: comparisons weighed together because innocent sharers fill them together (an agency
    #: puts its phone and e-mail on a client's application): independence would count twice
    together: tuple[tuple[str, ...], ...] = field(default=(("phone", "email"),))
    #: how much "both have this kind of evidence and share none of it" (Fellegi-Sunter's
    #: disagreement weight) counts: 0, because an operator who hides controls disagreement
    #: (fresh documents cost nothing) while it cannot fake agreement; see docs/linkage.md
    disagreement: float = 0.0
    #: values used by 10 or more groups count once per pair and family (all addresses are one
    #: family): several such addresses on one pair are usually one innocent service (a 3PL's
    #: warehouse and its return centre), not independent agreements
    one_common: bool = True
    #: families whose comparisons count once per pair, the strongest agreement: a 3PL's
    #: warehouse and its return centre, or an office written as registered and as return
    #: address, are one place used by one service, not independent agreements
    once_per_family: tuple[str, ...] = ("address",)
    #: comparisons that tell of one person: an ID document, the phone and e-mail written with
    #: it and its holder's name are the family ``person`` (counted once per pair when
    #: ``person`` is in ``once_per_family``): a rented ID card with its holder's phone, or an
    #: employee who moved, is one person on both sides, not three independent agreements
    person: tuple[str, ...] = ("id_document", "phone+email", "holder_name")
    #: a finished cluster's cores (its merges that clear ``merge_bits`` by ``core_bits`` with
    #: the person counted once) joined only by weaker merges are judged again between the
    #: cores, the person counted once (docs/linkage.md, person cuts): a rented ID or an
    #: employee who moved links two operators' stores pairwise in the first round, several
    #: parallel merges that are never a bridge
    person_cuts: bool = True
    #: a merge of the cores clears the threshold by this much with the person counted once:
    #: one rare value alone scores about 0 bits (docs/linkage.md, the limit on u), so a core
    #: rests on two independent agreements
    core_bits: float = 0.5
    #: the smallest core a person cut separates (the other side has at least 2 stores)
    person_core: int = 1
    #: a person cut needs the two cores to disagree (both have values, none shared) on this
    #: many kinds of generating evidence (every address role one kind): an operator's own
    #: accounts, phones and offices against another's, where one person's records (febrl's
    #: duplicates: an ID number, a name and an address) differ by an address alone
    cut_disagreements: int = 2
    #: beside a suspended core, those two exemptions of a person cut (fewer than
    #: ``cut_disagreements``; a return after a ban, below) hold only for a person whose rarest
    #: shared identifier is used by at most this many cores: a banned core and the core it
    #: came back as, and one more; beyond, one person works for several operators (an ID card
    #: rented to several buyers with its holder's phone: docs/linkage.md, person cuts)
    person_owners: int = 3
    #: a person cut keeps a banned core and a core whose active stores all opened after the
    #: ban when the first of them opened within this many days of it: the window in which the
    #: brand rule counts a store as a banned operator coming back. The scoring defines it
    #: (``scoring.VARIANT_WINDOW_DAYS``) and the analysis passes it in
    #: (:func:`graphaudit.analysis.link_graph`); None (the engine run on its own): no window
    #: is known, and no store counts as come back (docs/linkage.md, person cuts)
    return_days: float | None = None
    #: a single active store that opened within ``return_days`` after a ban and is a possible
    #: link of the banned group joins it when the return's weight, learned from the dates
    #: mirrored, lifts it to ``merge_bits`` (docs/linkage.md, returns)
    returns: bool = True
    #: EM's chance that a non-matching pair is a candidate is the chance that a value *draws*
    #: it (a value of more than ``all_pairs_up_to`` groups pairs each group with its
    #: ``window`` next ones only), not the chance that it shares one (docs/linkage.md)
    drawn_truncation: bool = True
    #: a finished cluster's straggler (a group sharing with a larger group values of this many
    #: families, person counted once, each held by that larger group) joins it (docs/linkage.md,
    #: held values; 0: never)
    held_families: int = 2
    #: a value is held by a group when this share of its stores are in that group
    held_share: float = 2 / 3
    #: a single store that shares one held kind (not the brand) with a larger group joins it
    #: when the two agree on the brand (docs/linkage.md, held values)
    held_brand: bool = True
    #: where no store has a brand, a single store that shares a held value of one of these
    #: comparisons with a larger group joins it (docs/linkage.md, held values)
    held_alone: tuple[str, ...] = ("payment", "phone+email", "address:warehouse")
    #: ... when that many stores outside the larger group use it: an operator writes its value
    #: on several stragglers, a coincidence (two people born on one day) puts one stranger
    #: beside a group
    held_outside: int = 2
    #: ... or when the larger group's stores carry ID documents of this many people: a group of
    #: several people's stores is an organisation, whose account, phone or warehouse beside one
    #: more store is its own; one person's records (two writings of one ID at most) are not
    #: (docs/linkage.md, held values; 0: never)
    held_people: int = 3
    #: hub values of two kinds are one organisation's when most of the clusters of one use the
    #: other, this many times as often as independent choice gives; clusters using values of
    #: ``held_families`` kinds of one organisation join (docs/linkage.md, co-used hubs; 0: off)
    co_used_lift: float = 2.0
    #: two common values (10+ groups) of different kinds on one pair count once, the
    #: heavier, unless their co-use is beyond chance as the co-used hubs' test reads it
    #: (docs/linkage.md, two innocent services on one pair; False: each counts)
    chance_co_use: bool = True


@dataclass
class Model:
    """The weights of every level of every comparison and how they were obtained."""

    comparisons: list[str]
    m: np.ndarray  # comparisons x levels
    u: np.ndarray  # comparisons x levels
    prior: float  # log2 odds of a match among candidate pairs
    source: str  # "estimated" or "defaults"
    message: str = ""
    iterations: int = 0
    pairs: int = 0
    converged: bool = True
    disagreement: float = 1.0
    one_common: bool = True
    once_per_family: tuple[str, ...] = ()
    person: tuple[str, ...] = ()
    weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.log2(self.m / self.u)
        self.weights = np.clip(np.nan_to_num(w, nan=0.0, posinf=20.0, neginf=-20.0), -20, 20)

    def weight(self, comparison: str, level: int) -> float:
        if level < 0 or comparison not in self.comparisons:
            return 0.0
        return float(self.weights[self.comparisons.index(comparison), level])

    def score(self, levels: np.ndarray, chances: np.ndarray | None = None) -> np.ndarray:
        """Prior plus the weights of ``levels`` (pairs x comparisons, -1 for null).

        ``chances`` (pairs x comparisons, bits) is subtracted from each agreeing level: two
        groups holding many values have that many more chances to share one by coincidence
        (see :func:`~.levels.compare_groups`).
        """
        total = np.full(len(levels), self.prior)
        if chances is not None:
            # A block of pairs at a time: the masked copy of a whole round's chances is as
            # large as they are (5 million pairs x comparisons at a million stores).
            for start in range(0, len(levels), SCORE_BLOCK):
                block = slice(start, start + SCORE_BLOCK)
                total[block] -= np.where(levels[block] >= NEAR, chances[block], 0.0).sum(axis=1)
        weights = self.weights.copy()
        weights[:, 0] *= self.disagreement
        families = self.families()
        # In the order the comparisons name them: a set's order changes with the hash seed, and
        # with it the last bit of the sums (and which of two tied merges the forest shows).
        common = {family: np.full(len(levels), -np.inf) for family in dict.fromkeys(families)}
        once = {family: np.full(len(levels), -np.inf) for family in dict.fromkeys(families)
                if family in self.once_per_family}
        for c in range(len(self.comparisons)):
            level = levels[:, c]
            known = level >= 0
            if families[c] in once:
                # One agreement per family: its strongest comparison, commonest band included.
                once[families[c]] = np.maximum(
                    once[families[c]], np.where(known, weights[c, np.maximum(level, 0)], -np.inf))
                continue
            if self.one_common:
                # Common values (10+ groups) of one family count once per pair, the strongest:
                # a 3PL's warehouse and its return centre are one innocent service.
                is_common = level == COMMON
                common[families[c]] = np.maximum(common[families[c]],
                                                 np.where(is_common, weights[c, COMMON], -np.inf))
                known &= ~is_common
            total[known] += weights[c, level[known]]
        found = [*common.values()] if self.one_common else []
        for best in [*found, *once.values()]:
            total += np.where(np.isfinite(best), best, 0.0)
        return total

    def families(self) -> list[str]:
        """The family of each comparison, for counting once per pair: every address role is
        ``address``, the comparisons of :attr:`person` are ``person`` (when that family counts
        once), the others their kind."""
        person = self.person if "person" in self.once_per_family else ()
        return ["person" if name in person else _family(name) for name in self.comparisons]

    def as_dict(self, params: LinkageParams) -> dict:
        """The model as plain data, for ``model.json`` and ``--explain-model``."""
        return {
            "source": self.source,
            "message": self.message,
            "candidate_pairs": self.pairs,
            "em_iterations": self.iterations,
            "converged": self.converged,
            "prior_bits": round(self.prior, 3),
            "merge_threshold_bits": round(params.merge_bits, 3),
            "possible_link_threshold_bits": round(params.possible_bits, 3),
            "comparisons": {
                name: {LEVELS[level]: {"m": round(float(self.m[c, level]), 6),
                                       "u": round(float(self.u[c, level]), 6),
                                       "weight_bits": round(float(self.weights[c, level]), 2)}
                       for level in range(len(LEVELS))}
                for c, name in enumerate(self.comparisons)
            },
        }


def band_level(groups: np.ndarray) -> np.ndarray:
    """The exact level of a value used by ``groups`` separate groups (at least 2).

    >>> band_level(np.array([2, 3, 4, 5, 9, 10, 400])).tolist()
    [5, 4, 4, 3, 3, 2, 2]
    """
    level = np.full(len(groups), 2, dtype=np.int8)
    for offset, low in enumerate(BANDS[1:], start=3):
        level[groups <= _band_top(low)] = offset
    return level


def common_tf_bits(groups: np.ndarray, slope: float = 1.0) -> np.ndarray:
    """Bits a value of ``groups`` separate groups weighs less than its band's weight: ``slope``
    bits per doubling of the groups beyond the floor of the commonest band (10), 0 below it.

    The commonest band is open-ended: one weight for a value of 10 groups and for a payment
    agent's account of 175 operators (docs/linkage.md, term frequency inside the commonest
    band). The chance pairs of a value (its u) grow as ``g(g-1)``, the pairs of the operators
    that use it (its m) as ``g``; so, from the floor, its weight falls one bit per doubling.

    >>> common_tf_bits(np.array([2, 10, 20, 40, 160])).tolist()
    [0.0, 0.0, 1.0, 2.0, 4.0]
    """
    ratio = np.maximum(np.asarray(groups, dtype=np.float64) / BANDS[0], 1.0)
    return slope * np.log2(ratio)


def _band_top(low: int) -> int:
    """The largest group count of the band starting at ``low``."""
    bands = list(BANDS)
    index = bands.index(low)
    return bands[index - 1] - 1


def default_model(comparisons: list[str], message: str, pairs: int = 0) -> Model:
    """The documented fallback: :data:`DEFAULT_WEIGHTS` as m and u (u uniform)."""
    m = np.empty((len(comparisons), len(LEVELS)))
    for c, name in enumerate(comparisons):
        bits = DEFAULT_WEIGHTS.get(_family(name), DEFAULT_WEIGHTS["address"])
        m[c] = np.exp2(np.array(bits))
    u = np.ones_like(m)
    return Model(comparisons, m, u, DEFAULT_PRIOR, "defaults", message, pairs=pairs,
                 converged=False)


def _family(comparison: str) -> str:
    """``address:warehouse`` -> ``address``; ``phone+email`` -> ``phone``."""
    return comparison.split(":")[0].split("+")[0]


def random_pair_u(value_stores: np.ndarray, value_comp: np.ndarray, exact_value: np.ndarray,
                  exact_stores: np.ndarray, comp_stores: np.ndarray,
                  near_pairs: np.ndarray | None = None) -> np.ndarray:
    """u of every level: the probability that two stores picked at random (both with evidence
    of that comparison) agree at that level, computed exactly from the values' frequencies.

    ``value_stores`` counts the stores of each value (canonical spellings merged), ``value_comp``
    is its comparison; ``exact_stores`` counts the stores of each written value and
    ``exact_value`` says which value it belongs to; ``comp_stores`` counts the stores with any
    evidence of each comparison. Like Splink's u from random sampling, without the sampling.

    ``near_pairs`` (per comparison, NaN where not given) replaces the count of random store
    pairs at the ``near`` level: for brands, the pairs the variant rule makes with the dates
    mirrored (:func:`~graphaudit.scoring.brand_variant_windows`), because nearly every random
    pair at the brand's ``near`` level is a returning operator and its own banned store.
    """
    n_comp = len(comp_stores)
    u = np.zeros((n_comp, len(LEVELS)))
    pairs = value_stores.astype(float) * (value_stores - 1)
    exact_pairs = np.bincount(exact_value, weights=exact_stores.astype(float)
                              * (exact_stores - 1), minlength=len(value_stores))
    shared = value_stores >= 2
    level = band_level(np.maximum(value_stores, 2))
    np.add.at(u, (value_comp[shared], level[shared]), exact_pairs[shared])
    np.add.at(u, (value_comp[shared], np.full(int(shared.sum()), NEAR)),
              (pairs - exact_pairs)[shared])
    if near_pairs is not None:
        given = np.isfinite(near_pairs)
        u[given, NEAR] = near_pairs[given]
    denominator = np.maximum(comp_stores.astype(float) * (comp_stores - 1), 1.0)
    u /= denominator[:, None]
    u[:, NONE] = np.maximum(1.0 - u[:, 1:].sum(axis=1), 0.5)
    u = np.maximum(u, 1.0 / denominator[:, None])  # an unseen level: once in all pairs
    return u / u.sum(axis=1, keepdims=True)


def estimate_model(levels: np.ndarray, comparisons: list[str], params: LinkageParams,
                   u: np.ndarray | None = None, total_pairs: float | None = None,
                   generating: np.ndarray | None = None,
                   drawn: np.ndarray | None = None) -> Model:
    """Fit m and the share of matches by EM over the level patterns of candidate pairs, with u
    fixed to the random-pair probabilities (:func:`random_pair_u`), as Splink does.

    u cannot be learned from the candidates: they were chosen because they share something, so
    every level that made them candidates would look common among non-matches. ``levels`` is
    pairs x comparisons, -1 where a comparison is null. Identical patterns are counted once with
    their multiplicity, so the cost is in distinct patterns, not pairs. The prior is the share
    of matches among candidates scaled to all ``total_pairs`` pairs of stores. Falls back to
    :func:`default_model` (with a message saying why) when there are too few pairs, when every
    pair is alike, or when EM does not converge.

    ``drawn`` (per comparison, the chance that two stores drawn at random share a value of it
    that makes them candidates, :func:`~.levels.drawn_chance`) is the non-matches' chance of
    being a candidate: u counts every pair sharing a value, but a value of more than
    ``all_pairs_up_to`` groups draws few of its pairs, and without it the non-matches that
    services make would look missing from the candidates, so that EM took the drawn ones for
    matches. Without ``drawn``, the chance of sharing any value is used.
    """
    n_pairs, n_comp = levels.shape if levels.ndim == 2 else (0, len(comparisons))
    if n_pairs < params.min_pairs or u is None:
        return default_model(comparisons, f"only {n_pairs} candidate pairs (fewer than "
                             f"{params.min_pairs}): documented default weights used", n_pairs)
    patterns, counts = distinct_patterns(levels)
    if len(patterns) < 2:
        return default_model(comparisons, "every candidate pair looks alike: nothing to learn "
                             "from; documented default weights used", n_pairs)
    n_levels = len(LEVELS)
    counts = counts.astype(float)
    onehot = np.zeros((len(patterns), n_comp, n_levels))
    for c in range(n_comp):
        known = patterns[:, c] >= 0
        onehot[np.flatnonzero(known), c, patterns[known, c]] = 1.0
    strength = np.arange(n_levels, dtype=float)
    m = np.tile((strength + 1) ** 2, (n_comp, 1))
    m /= m.sum(axis=1, keepdims=True)
    log_u = np.einsum("pcl,cl->p", onehot, np.log(u))
    # Candidates are the pairs that share a generating value: each class's patterns are
    # renormalised by its chance of being a candidate at all (a truncated mixture), or every
    # candidate would look like a match next to random pairs, which share nothing.
    makes = np.ones(n_comp, dtype=bool) if generating is None else generating
    truncated = bool(makes.any())
    if truncated:
        # the non-matches' chance to be a candidate: that some value draws them
        miss = 1.0 - drawn[makes] if drawn is not None else u[makes, NONE]
        log_u -= math.log(max(1.0 - float(np.prod(miss)), 1e-300))
    share = 0.2
    smooth = 0.5  # pseudo-count per level: an unseen level gets a finite weight
    converged = False
    iteration = 0
    for step in range(1, params.em_iterations + 1):
        iteration = step
        log_m = np.einsum("pcl,cl->p", onehot, np.log(m))
        if truncated:
            log_m -= math.log(max(1.0 - float(np.prod(m[makes, NONE])), 1e-300))
        a = np.log(share) + log_m
        b = np.log1p(-share) + log_u
        top = np.maximum(a, b)
        posterior = np.exp(a - top) / (np.exp(a - top) + np.exp(b - top))
        wm = counts * posterior
        new_m = np.einsum("p,pcl->cl", wm, onehot) + smooth
        new_m /= new_m.sum(axis=1, keepdims=True)
        new_share = float(np.clip(wm.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        change = max(np.abs(new_m - m).max(), abs(new_share - share))
        m, share = new_m, new_share
        if not np.isfinite(change):
            break
        if change < params.em_tolerance:
            converged = True
            break
    if not (converged and np.isfinite(m).all()):
        return default_model(comparisons, f"the estimation did not converge in {iteration} "
                             "iterations: documented default weights used", n_pairs)
    reach = 1.0 - float(np.prod(m[makes, NONE])) if truncated else 1.0
    matches = share * n_pairs / max(reach, 1e-9)
    if matches < 1.0:
        return default_model(comparisons, f"EM found no matching pair among {n_pairs:,} "
                             "candidates: they look like random pairs of this data, as when it "
                             "is all one network (u then counts the network's own pairs) or "
                             "all strangers; documented default weights used", n_pairs)
    total = max(float(total_pairs or n_pairs), matches + 1.0)
    prior = math.log2(matches / (total - matches))
    return Model(comparisons, m, u, prior, "estimated",
                 f"m estimated by EM over {n_pairs:,} candidate pairs ({len(patterns):,} "
                 f"distinct patterns) in {iteration} iterations, u from the values' "
                 f"frequencies; about {matches:,.0f} of them match",
                 iterations=iteration, pairs=n_pairs, converged=True)


def distinct_patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``levels`` (pairs x comparisons, -1 for null) in lexicographic
    order, and how many pairs have each: a group-by on the level pattern.

    Each row is read as one integer (a digit of 3 bits per comparison, most significant first),
    so the group-by is a 1-D sort; ``np.unique(axis=0)`` compares rows field by field, far more
    slowly (docs/benchmarks.md). Too many comparisons for 63 bits fall back to it.

    >>> patterns, counts = distinct_patterns(np.array([[1, -1], [0, 5], [1, -1]], np.int8))
    >>> patterns.tolist(), counts.tolist()
    ([[0, 5], [1, -1]], [1, 2])
    """
    n_comp = levels.shape[1]
    bits = max((int(levels.max(initial=-1)) + 1).bit_length(), 1)
    if n_comp * bits > 63 or (len(levels) and levels.min() < -1):
        return np.unique(levels, axis=0, return_counts=True)
    key = np.zeros(len(levels), dtype=np.int64)
    for c in range(n_comp):
        key = (key << bits) | (levels[:, c].astype(np.int64) + 1)
    keys, counts = np.unique(key, return_counts=True)
    patterns = np.empty((len(keys), n_comp), dtype=levels.dtype)
    mask = (1 << bits) - 1
    for c in range(n_comp - 1, -1, -1):
        patterns[:, c] = (keys & mask) - 1
        keys = keys >> bits
    return patterns, counts


def monotone_bands(model: Model) -> Model:
    """Make the exact levels of each comparison weigh at least as much as those of values used
    by more groups: a rarer shared value is never weaker evidence (small samples can say so).

    Not addresses: a place is shared by strangers (neighbours, the offices of one building, a
    street number in one postcode), so a rarer address that the data weigh lower keeps its
    estimate; an account or an ID document is issued to one holder (docs/linkage.md §3)."""
    w = model.weights
    for c, name in enumerate(model.comparisons):
        if _family(name) == "address":
            continue
        w[c, 2:] = np.maximum.accumulate(w[c, 2:])
    return model


def explain_model(model: Model, params: LinkageParams) -> pd.DataFrame:
    """The weights as a table: comparison, level, m, u, weight (bits)."""
    rows = [{"comparison": name, "level": LEVELS[level], "m": float(model.m[c, level]),
             "u": float(model.u[c, level]), "weight": float(model.weights[c, level])}
            for c, name in enumerate(model.comparisons) for level in range(len(LEVELS))]
    return pd.DataFrame(rows)
