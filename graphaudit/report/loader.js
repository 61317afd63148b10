// The cluster page's loader (the same text in every page, allowed by its hash): unpack
// vis-network and the page's script, from the report's assets/code.css or, in a standalone
// page, from the page's own data blocks, and run each as an inline script. The page's policy
// allows a script only by the hash of its exact text: a changed asset is refused, never run.
(function () {
  "use strict";
  var s = document.getElementById("graph-status"), n = 0;
  function fail(text) {
    n += 1;
    s.setAttribute("data-errors", String(n));
    s.setAttribute("data-state", "error");
    s.textContent = "The graph could not be drawn: " + text + ". The tables below are complete.";
  }
  window.addEventListener("error", function (e) { fail(e.message); });
  document.addEventListener("securitypolicyviolation", function (e) {
    s.setAttribute("data-violations", String(Number(s.getAttribute("data-violations") || 0) + 1));
    s.setAttribute("data-violation", e.violatedDirective);
  });
  function packed(name) {
    var b = document.getElementById("pack-" + name);
    return b ? b.textContent.trim() : getComputedStyle(document.documentElement)
      .getPropertyValue("--ga-" + name).replace(/["'\s]/g, "");
  }
  function unpack(text) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var k = 0; k < raw.length; k += 1) { bytes[k] = raw.charCodeAt(k); }
    return new Response(new Blob([bytes]).stream()
      .pipeThrough(new DecompressionStream("gzip"))).text();
  }
  function run(code) {
    var e = document.createElement("script");
    e.textContent = code;
    document.head.appendChild(e);
  }
  if (!window.DecompressionStream) {
    s.setAttribute("data-state", "unsupported");
    s.textContent = "This browser cannot unpack the graph (Chrome/Edge 80+, Firefox 113+, " +
      "Safari 16.4+ can). The tables below are complete.";
    return;
  }
  var lib = packed("vis-network"), own = packed("cluster");
  if (!lib || !own) {
    return fail("the report's assets folder (../assets/) was not found: copy the whole " +
                "folder, or write one page with graphaudit report --cluster ID --standalone");
  }
  Promise.all([unpack(lib), unpack(own)]).then(function (code) {
    run(code[0]);
    if (!window.vis) { throw new Error("the graph library was refused: it is not this report's"); }
    run(code[1]);
    if (!window.graphauditCluster) {
      throw new Error("the page script was refused: it is not this report's");
    }
    window.graphauditCluster(window.vis);
  }).catch(function (e) { fail(e.message); });
})();
