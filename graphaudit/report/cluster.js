(function () {
  "use strict";
  // graphaudit cluster page: unpack vis-network, draw the cluster, stop the physics once it is
  // stable, and link the graph to the tables. Data is read from a JSON data block and only ever
  // reaches the page as text (textContent, canvas text, vis-network's text tooltips).
  var status = document.getElementById("graph-status");
  var errors = 0;
  function say(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }
  window.addEventListener("error", function (event) {
    errors += 1;
    status.setAttribute("data-errors", String(errors));
    say("error", "The graph could not be drawn: " + event.message);
  });
  document.addEventListener("securitypolicyviolation", function (event) {
    var count = Number(status.getAttribute("data-violations") || "0") + 1;
    status.setAttribute("data-violations", String(count));
    status.setAttribute("data-violation", event.violatedDirective);
  });

  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var selected = null;

  function rowsFor(nodeId) {
    return document.querySelectorAll("tr[data-node='" + nodeId.replace(/[^A-Za-z0-9_-]/g, "") + "']");
  }
  function highlight(nodeId) {
    if (selected) {
      rowsFor(selected).forEach(function (row) { row.classList.remove("selected"); });
    }
    selected = nodeId;
    var rows = nodeId ? rowsFor(nodeId) : [];
    rows.forEach(function (row) { row.classList.add("selected"); });
    if (rows.length) {
      rows[0].scrollIntoView({block: "nearest"});
    }
  }

  function draw(vis) {
    var container = document.getElementById("graph");
    var network = new vis.Network(container, {
      nodes: new vis.DataSet(data.nodes),
      edges: new vis.DataSet(data.edges)
    }, data.options);
    window.graphaudit = {network: network};
    var stopped = false;
    var physicsOn = true;
    var toggle = document.getElementById("graph-physics");
    function stop() {
      if (stopped) { return; }
      stopped = true;
      network.setOptions({physics: {enabled: false}});
      physicsOn = false;
      toggle.textContent = "Physics: off";
      say("ready", "Drawn: " + data.nodes.length + " nodes, " + data.edges.length +
          " edges. Drag to move, scroll to zoom, click a node to find it in the tables.");
    }
    say("stabilizing", "Arranging " + data.nodes.length + " nodes\u2026");
    network.once("stabilizationIterationsDone", stop);
    network.once("stabilized", stop);
    window.setTimeout(stop, 10000);
    network.on("selectNode", function (params) { highlight(String(params.nodes[0])); });
    network.on("deselectNode", function () { highlight(null); });
    document.getElementById("graph-fit").addEventListener("click", function () { network.fit(); });
    toggle.addEventListener("click", function () {
      physicsOn = !physicsOn;
      network.setOptions({physics: {enabled: physicsOn}});
      toggle.textContent = physicsOn ? "Physics: on" : "Physics: off";
    });
    var known = {};
    data.nodes.forEach(function (node) { known[node.id] = true; });
    document.querySelectorAll("tr[data-node]").forEach(function (row) {
      row.addEventListener("click", function () {
        var id = row.getAttribute("data-node");
        if (!known[id]) { return; }
        network.selectNodes([id]);
        network.focus(id, {scale: 1.2, animation: false});
        highlight(id);
      });
    });
  }

  if (!("DecompressionStream" in window)) {
    say("unsupported", "This browser cannot unpack the graph library embedded in this page " +
        "(it needs DecompressionStream: Chrome/Edge 80+, Firefox 113+, Safari 16.4+). " +
        "The tables below are complete.");
    return;
  }
  say("loading", "Unpacking the graph library\u2026");
  var packed = atob(document.getElementById("vis-network-gz").textContent.trim());
  var bytes = new Uint8Array(packed.length);
  for (var k = 0; k < packed.length; k += 1) { bytes[k] = packed.charCodeAt(k); }
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).text().then(function (code) {
    // Runs only because the page's Content-Security-Policy lists the hash of this exact text.
    var script = document.createElement("script");
    script.textContent = code;
    document.head.appendChild(script);
    if (!window.vis || !window.vis.Network) {
      throw new Error("the embedded graph library did not run");
    }
    draw(window.vis);
  }).catch(function (error) {
    errors += 1;
    status.setAttribute("data-errors", String(errors));
    say("error", "The graph could not be drawn: " + error.message + ". The tables below are complete.");
  });
})();
