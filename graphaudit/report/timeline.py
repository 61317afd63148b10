"""A cluster's timeline: openings above the axis, suspensions below, binned by pixel.

Plain numbers and titles for the SVG in ``cluster.html``; the template draws it.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

__all__ = ["timeline"]

WIDTH, HEIGHT, LEFT, RIGHT, MID = 900, 100, 30, 870, 46


@lru_cache(maxsize=65_536)
def _date(text: str) -> date | None:
    """The day of an ISO date text (remembered: stores open on the same days)."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def timeline(stores: list[tuple[str, str, str]]) -> dict:
    """Ticks and labels of ``(opened, suspended_on, store_id)`` per store.

    >>> t = timeline([("2022-01-05", "", "S1"), ("2022-03-01", "2022-06-01", "S2")])
    >>> [(tick["kind"], tick["title"]) for tick in t["ticks"]][:2]
    [('opened', '2022-01-05: 1 opened (S1)'), ('opened', '2022-03-01: 1 opened (S2)')]
    """
    events = []
    for opened, suspended, store_id in stores:
        for text, kind in ((opened, "opened"), (suspended, "suspended")):
            day = _date(text)
            if day:
                events.append((day, kind, store_id))
    if not events:
        return {"ticks": []}
    low = min(e[0] for e in events).toordinal()
    high = max(e[0] for e in events).toordinal()
    if high - low < 30:
        low, high = low - 15, high + 15
    span = high - low
    bins: dict[tuple[int, str], list] = {}
    for day, kind, store_id in events:
        x = int(LEFT + (day.toordinal() - low) / span * (RIGHT - LEFT))
        bins.setdefault((x // 3 * 3, kind), []).append((day, store_id))
    ticks = []
    for (x, kind), items in sorted(bins.items()):
        items.sort()
        h = min(14 + 8 * math.log2(len(items)), 40)
        ids = ", ".join(s for _, s in items[:12]) + (f" \u2026 +{len(items) - 12}"
                                                     if len(items) > 12 else "")
        days = items[0][0].isoformat() + (f" to {items[-1][0].isoformat()}"
                                           if items[-1][0] != items[0][0] else "")
        ticks.append({"kind": kind, "x": x, "h": round(h, 1),
                      "y": round(MID - h, 1) if kind == "opened" else MID,
                      "title": f"{days}: {len(items)} {kind} ({ids})"})
    first, last = date.fromordinal(low), date.fromordinal(high)
    years = range(first.year + (first.month > 1 or first.day > 1), last.year + 1)
    if len(years) >= 2:
        step = max(1, math.ceil(len(years) / 10))
        marks = [(date(y, 1, 1), str(y)) for y in years[::step]]
    else:
        marks = []
        y, m = first.year, first.month
        while date(y, m, 1) <= last:
            if date(y, m, 1) >= first:
                marks.append((date(y, m, 1), f"{y}-{m:02d}"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        marks = marks[::max(1, math.ceil(len(marks) / 10))]
    labels = [{"x": round(LEFT + (day.toordinal() - low) / span * (RIGHT - LEFT), 1),
               "text": text} for day, text in marks]
    return {"ticks": ticks, "labels": labels, "width": WIDTH, "height": HEIGHT, "left": LEFT,
            "right": RIGHT, "mid": MID}
