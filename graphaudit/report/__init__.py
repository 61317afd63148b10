"""The investigation report: ``index.html`` and one page per cluster (docs/design.md §5).

Investigators attach these pages to a case, and a reviewer opens them months later, offline, on a
locked-down machine. So every page is self-contained and safe:

* vis-network (from the pyvis package) and our styles and scripts are inlined; a
  Content-Security-Policy allows exactly those scripts, by hash, and no request of any kind;
* every value from the data is escaped where it lands: HTML (Jinja autoescape), JSON data blocks
  (``<``, ``>``, ``&`` as ``\\u003c``...), graph tooltips (plain text, never HTML);
* personal data is masked unless ``show_pii``, with consistent #tags across pages, and ID-like
  numbers and e-mails in free text are masked too.

Use :func:`write_report`; :func:`~.graph.build_cluster_graph` builds one cluster's graph data.
"""

from __future__ import annotations

from .builder import ReportInfo, page_name, write_report
from .graph import ClusterGraph, build_cluster_graph

__all__ = ["ClusterGraph", "ReportInfo", "build_cluster_graph", "page_name", "write_report"]
