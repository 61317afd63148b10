"""What the analysis cannot assess because an optional input column (or file) is missing.

Only ``store_id`` and the identifier value of each kind are required, so an export without
``status`` is valid, and without a word it would show no suspended store, no ban evasion and no
brand variant of a banned brand: "nothing found" where nothing could be looked for. This module
is the one table of which findings need which optional column; ``validate``, ``load`` and
``analyze`` name each gap, and the report's index lists them.

A column counts as missing when the file lacks it or when it is empty in every accepted row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .records import FILE_KINDS, FileReport

__all__ = ["NEEDED", "Gap", "gaps"]

#: (kind, column) -> what cannot be assessed without it; column None: the whole file
NEEDED: dict[tuple[str, str | None], str] = {
    ("stores", "status"): "suspended stores, stores linked to them, reopened after ban and "
                          "brand variants of suspended brands (every store is taken as active)",
    ("stores", "suspended_on"): "reopened after ban (no ban date to open after) and the "
                                "one-year window of brand variants",
    ("stores", "opened_on"): "reopened after ban, bursts of openings and brand variants (they "
                             "need opening dates)",
    ("stores", "brand"): "brand variants of suspended brands",
    ("identities", None): "links through shared ID documents, phones and e-mails, and distinct "
                          "ID holders",
    ("identities", "id_type"): "document types (every ID number is checked as a Chinese "
                               "resident ID)",
    ("identities", "holder_name"): "near-identical ID numbers (accepted only when the holder "
                                   "names agree)",
    ("identities", "phone"): "links through shared phone numbers",
    ("identities", "email"): "links through shared e-mail addresses",
    ("payments", None): "links through shared payment accounts",
    ("addresses", None): "links through shared addresses",
}


@dataclass(frozen=True)
class Gap:
    """One missing column or file, and what cannot be assessed without it."""

    kind: str
    column: str | None
    how: str  # "absent", "empty in every row", "no file" or "an empty file, read as no rows"
    unassessed: str
    file: str = ""

    def describe(self) -> str:
        if self.column is None and self.how != "no file":
            return f"{self.file}: {self.how}: cannot assess {self.unassessed}"
        if self.column is None:
            return f"no {self.kind} file: cannot assess {self.unassessed}"
        return f"{self.file or self.kind}: column {self.column} {self.how}: cannot assess " \
               f"{self.unassessed}"


def gaps(reports: Iterable[FileReport]) -> list[Gap]:
    """The gaps of one data directory, from the reports of its files (stores first)."""
    by_kind = {r.kind: r for r in reports}
    found = []
    for kind in FILE_KINDS:
        report = by_kind.get(kind)
        for (needed_kind, column), unassessed in NEEDED.items():
            if needed_kind != kind:
                continue
            if report is None:
                if column is None:
                    found.append(Gap(kind, None, "no file", unassessed))
                continue
            name = Path(report.path).name
            if report.empty_file:
                if column is None:
                    found.append(Gap(kind, None, "an empty file, read as no rows", unassessed,
                                     name))
                continue
            if column is None:
                continue
            if column in report.absent_columns:
                found.append(Gap(kind, column, "absent", unassessed, name))
            elif report.accepted and not report.filled.get(column, 0):
                found.append(Gap(kind, column, "empty in every row", unassessed, name))
    return found
