"""What every report page carries inline: vis-network from the pyvis package, our CSS and JS.

A report is opened months later on a locked-down machine, so a page may load nothing: the graph
library, the styles and the scripts are all inside it, and its Content-Security-Policy allows
exactly these scripts (by hash) and nothing else: no other script, no inline handler, no eval, no
request (``default-src 'none'``).

vis-network (469 kB minified, the copy pyvis 0.3.2 bundles) would dominate the size of every
cluster page, and a world of 200,000 stores has about 28,000 of them. Each page therefore carries
it gzip-compressed (165 kB as base64) in a data block; the page's script unpacks it with the
browser's ``DecompressionStream`` and runs it as an inline script, which the policy allows by the
hash of the library's exact text.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["Assets", "content_security_policy", "load_assets", "script_hash"]

VIS_VERSION = "9.1.2"
#: vis-network's own CSS rules a page needs (the rest styles widgets we do not use and embeds
#: images)
VIS_CSS_SELECTORS = ("div.vis-tooltip", ".vis-overlay")


@dataclass(frozen=True)
class Assets:
    """Static text shared by all pages of a report; computed once per process."""

    vis_js_gz_b64: str  # vis-network.min.js, gzip, base64
    vis_js_hash: str  # CSP source for the unpacked library
    cluster_js: str
    index_js: str
    css: str

    def cluster_policy(self) -> str:
        """The CSP of a cluster page: our scripts and the unpacked library, nothing else."""
        return content_security_policy(
            [self.cluster_js], [self.css], extra_scripts=[self.vis_js_hash])

    def index_policy(self) -> str:
        """The CSP of index.html."""
        return content_security_policy([self.index_js], [self.css])


def script_hash(text: str) -> str:
    """The CSP hash source (``'sha256-...'``) of an inline script or style's exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: list[str], styles: list[str],
                            extra_scripts: list[str] = ()) -> str:
    """A policy that allows the given inline scripts and styles by hash, and nothing else.

    ``default-src 'none'`` blocks every fetch (images, fonts, connections, frames, workers);
    script and style run only when their hash is listed, so injected markup can run nothing.
    """
    script_src = " ".join([*(script_hash(s) for s in scripts), *extra_scripts])
    style_src = " ".join(script_hash(s) for s in styles)
    return (f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
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
    if "</" in text or "<!--" in text:  # would end or confuse the inline <script>/<style>
        raise ValueError(f"{name} must not contain '</' or '<!--'")
    return text


@cache
def load_assets() -> Assets:
    """Read vis-network from the installed pyvis, compress it, and read our CSS and scripts."""
    lib = _pyvis_lib()
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    packed = gzip.compress(vis_js.encode("utf-8"), compresslevel=9, mtime=0)
    css = _own("report.css") + "\n" + _vis_css(
        (lib / "vis-network.css").read_text(encoding="utf-8")) + "\n"
    return Assets(
        vis_js_gz_b64=base64.b64encode(packed).decode("ascii"),
        vis_js_hash=script_hash(vis_js),
        cluster_js=_own("cluster.js"),
        index_js=_own("index.js"),
        css=css,
    )
