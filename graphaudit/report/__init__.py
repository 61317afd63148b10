"""The investigation report: ``index.html`` and one page per cluster (docs/report.md).

Investigators attach these pages to a case, and a reviewer opens them months later, offline, on
a locked-down machine. So every page is safe and loads nothing from a network:

* a full report keeps vis-network (from the pyvis package) and our scripts and styles once, in
  ``assets/`` beside the pages; a Content-Security-Policy runs only those scripts, by the hash
  of their text, and allows no request (:mod:`.assets`). A standalone page carries them inside;
* every value from the data is escaped where it lands: HTML (Jinja autoescape), JSON data blocks
  (``<``, ``>``, ``&`` as ``\\u003c``...), graph tooltips (plain text, never HTML);
* personal data is masked unless ``show_pii``, with consistent #tags across pages, and ID-like
  numbers and e-mails in free text are masked too.

The modules, in the order the data flows: :mod:`.data` prepares an immutable data set from the
analysis; :mod:`.context` is a pure function from it and a cluster id to that page's context
(with :mod:`.graph` and :mod:`.timeline`); :mod:`.index` makes the index's context;
:mod:`.render` writes everything through the templates. Use :func:`write_report`.
"""

from __future__ import annotations

from .graph import ClusterGraph, build_cluster_graph
from .render import ReportInfo, page_name, refuse_linked_folders, write_report

__all__ = ["ClusterGraph", "ReportInfo", "build_cluster_graph", "page_name",
           "refuse_linked_folders", "write_report"]
