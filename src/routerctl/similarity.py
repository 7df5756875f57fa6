"""The similar-descriptions check: which custom tasks a router cannot tell apart.

Pairwise, so bounded twice: only the first SIMILAR_MAX_CHARS characters of a description are
compared, and at most SIMILAR_MAX_TASKS tasks take part (the caller warns when a router has
more). Within the bounds it costs at most C(64, 2) = 2,016 comparisons of 512 characters; past
them, nothing. (A 236 KB file of near-identical descriptions took 192 s and 1.9 GB unbounded.)
Each task is reported once, against the first earlier task it resembles.

Pure functions on strings; spec turns the findings into located issues.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SIMILAR_DESCRIPTION_RATIO = 0.9
SIMILAR_MAX_CHARS = 512
SIMILAR_MAX_TASKS = 64


@dataclass
class SimilarityWork:
    """What one check cost: pairs compared and the most characters in one description compared
    (tests bound the work by these counts, not by wall time)."""

    pairs: int = 0
    max_chars: int = 0


@dataclass(frozen=True)
class Similar:
    task: str  # the later task, reported
    like: str  # the earlier task it resembles
    ratio: float


def similar_descriptions(
    descriptions: Sequence[tuple[str, str]], work: SimilarityWork | None = None
) -> list[Similar]:
    """(task key, lowercased description) pairs in file order → the tasks that are at least
    SIMILAR_DESCRIPTION_RATIO similar to an earlier one, within the bounds above."""
    found: list[Similar] = []
    counts: dict[str, Counter[str]] = {}
    compared = [(key, text[:SIMILAR_MAX_CHARS]) for key, text in descriptions[:SIMILAR_MAX_TASKS]]
    reported: set[str] = set()
    for i, (key_a, text_a) in enumerate(compared):
        for key_b, text_b in compared[i + 1 :]:
            if key_b in reported:
                continue
            if work is not None:
                work.pairs += 1
                work.max_chars = max(work.max_chars, len(text_a), len(text_b))
            ratio = similarity(text_a, text_b, SIMILAR_DESCRIPTION_RATIO, counts)
            if ratio >= SIMILAR_DESCRIPTION_RATIO:
                reported.add(key_b)
                found.append(Similar(key_b, key_a, ratio))
    return found


def similarity(
    a: str, b: str, cutoff: float, counts: dict[str, Counter[str]] | None = None
) -> float:
    """difflib's ratio() of two texts, or 0.0 as soon as one of its cheap upper bounds shows it
    is below `cutoff`. Full ratios are quadratic; on 1,000 routers they dominated `validate`.
    `counts` caches character counts across the pairs of one router."""
    total = len(a) + len(b)
    if total == 0:
        return 1.0
    if 2 * min(len(a), len(b)) / total < cutoff:  # SequenceMatcher.real_quick_ratio()
        return 0.0
    cache = {} if counts is None else counts
    count_a = cache.get(a) or cache.setdefault(a, Counter(a))
    count_b = cache.get(b) or cache.setdefault(b, Counter(b))
    if 2 * (count_a & count_b).total() / total < cutoff:  # SequenceMatcher.quick_ratio()
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()
