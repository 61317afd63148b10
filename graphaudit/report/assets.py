"""What the report's pages share: vis-network (from the pyvis package), our scripts and styles.

A report is opened months later, offline, from a folder on a locked-down machine (``file://``).
A full report keeps one copy of these in ``OUT/assets/`` and every page refers to it; a
standalone page (``graphaudit report --cluster ID --standalone``) carries them inside.

How a page may run code it loads from a file, offline, and nothing else:

* Subresource integrity cannot be used: Chromium checks ``integrity`` only on CORS responses,
  and ``file://`` has none, so ``<script src integrity>`` is refused outright from a folder.
* So the code travels as *text*: ``assets/code.css`` holds each script gzip-compressed and
  base64-encoded in a CSS custom property (a stylesheet cannot run anything). The page's small
  loader (the same in every page, allowed by its hash) unpacks a script and runs it as an
  inline script, which the page's Content-Security-Policy allows only by the SHA-256 of its
  exact text. A changed asset is therefore refused by the browser, never run.
* The policy is ``default-src 'none'``: no request of any kind beyond the two stylesheets
  (``style-src 'self'``; a standalone page allows its one inline style by hash instead).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .graph import GROUPS, KIND_STYLE, legend_css

__all__ = ["ASSET_DIR", "Assets", "content_security_policy", "load_assets", "script_hash"]

VIS_VERSION = "9.1.2"
#: the folder of the shared files, beside index.html
ASSET_DIR = "assets"
#: vis-network's own CSS rules a page needs (the rest styles widgets we do not use and embeds
#: images)
VIS_CSS_SELECTORS = ("div.vis-tooltip", ".vis-overlay")
#: where cluster.js takes the graph's styles (replaced by them when the asset is built)
_STYLES_SLOT = '{"styles": "here"}'


@dataclass(frozen=True)
class Assets:
    """The shared text of a report's pages; computed once per process."""

    css: str  # report.css: our styles, vis-network's tooltip, the legend's symbols
    packs: dict[str, str]  # name -> script text, gzip, base64 (vis-network, cluster)
    loader_js: str  # the cluster page's inline loader
    index_js: str  # index.html's inline script
    script_hashes: tuple[str, ...]  # CSP sources of the loader and of every packed script

    def files(self) -> dict[str, str]:
        """The files of ``assets/``: report.css and code.css (the packed scripts)."""
        properties = ";".join(f'--ga-{name}:"{text}"' for name, text in self.packs.items())
        return {"report.css": self.css, "code.css": f":root{{{properties}}}\n"}

    def cluster_policy(self, standalone: bool = False) -> str:
        """The CSP of a cluster page: the loader and the packed scripts, by hash."""
        return content_security_policy(self.script_hashes, self._styles(standalone))

    def index_policy(self, standalone: bool = False) -> str:
        """The CSP of index.html: its script by hash."""
        return content_security_policy((script_hash(self.index_js),), self._styles(standalone))

    def _styles(self, standalone: bool) -> str:
        return script_hash(self.css) if standalone else "'self'"


def script_hash(text: str) -> str:
    """The CSP hash source (``'sha256-...'``) of an inline script or style's exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: tuple[str, ...], styles: str) -> str:
    """A policy that runs only the scripts of the given hash sources and requests nothing.

    ``default-src 'none'`` blocks every fetch (images, fonts, connections, frames, workers);
    scripts run only when their hash is listed, so injected markup can run nothing.
    """
    return (f"default-src 'none'; script-src {' '.join(scripts)}; style-src {styles}; "
            "img-src 'none'; base-uri 'none'; form-action 'none'")


def _pyvis_lib() -> Path:
    import pyvis

    return Path(pyvis.__file__).resolve().parent / "templates" / "lib" / f"vis-{VIS_VERSION}"


def _vis_css(text: str) -> str:
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", text)
    kept = [f"{selector}{{{body}}}" for selector, body in rules
            if selector.strip() in VIS_CSS_SELECTORS and "url(" not in body]
    return "".join(kept)


def _own(name: str) -> str:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    if "</" in text or "<!--" in text:  # would end or confuse an inline <script>/<style>
        raise ValueError(f"{name} must not contain '</' or '<!--'")
    return text


def compact_script(text: str) -> str:
    r"""A script without its comment lines and indentation: the loader is inline in every page.

    Only whole ``//`` comment lines go, so code and strings are unchanged.

    >>> compact_script("// why\n(function () {\n  var a = 1; // one\n})();\n")
    '(function () {\nvar a = 1; // one\n})();\n'
    """
    lines = (line.strip() for line in text.splitlines())
    return "".join(f"{line}\n" for line in lines if line and not line.startswith("//"))


def _packed(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9,
                                          mtime=0)).decode("ascii")


def graph_styles() -> dict:
    """What every page's graph shares: vis-network's node groups, and the label, colour and
    width and name of each edge kind (in the order of :data:`.context.EDGE_KINDS`), and the
    options of a small graph (a page gives only those it changes)."""
    from .context import base_options

    edges = [[label, colour, 1.2, name] for _, colour, name, label in KIND_STYLE.values()]
    edges.append(["", "#888888", 3, ""])  # a folded node's edge
    return {"groups": GROUPS, "edges": edges, "options": base_options()}


@cache
def load_assets() -> Assets:
    """Read vis-network from the installed pyvis and our CSS and scripts; pack the scripts."""
    lib = _pyvis_lib()
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    cluster_js = _own("cluster.js")
    if _STYLES_SLOT not in cluster_js:
        raise ValueError(f"cluster.js has no {_STYLES_SLOT}")
    cluster_js = cluster_js.replace(_STYLES_SLOT, json.dumps(graph_styles(),
                                                             separators=(",", ":")))
    css = _own("report.css") + "\n" + _vis_css(
        (lib / "vis-network.css").read_text(encoding="utf-8")) + "\n" + legend_css()
    loader = compact_script(_own("loader.js"))
    return Assets(
        css=css,
        packs={"vis-network": _packed(vis_js), "cluster": _packed(cluster_js)},
        loader_js=loader,
        index_js=_own("index.js"),
        script_hashes=(script_hash(loader), script_hash(vis_js), script_hash(cluster_js)),
    )
