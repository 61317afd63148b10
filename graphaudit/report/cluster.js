window.graphauditCluster = function (vis) {
  "use strict";
  // graphaudit cluster page: draw the cluster from its data block, stop the physics once it is
  // stable, and link the graph to the tables. A big cluster opens on its summary view (groups
  // of stores as nodes); clicking a group shows its stores. Data only ever reaches the page as
  // text (textContent, canvas text, vis-network's text tooltips).
  var styles = {"styles": "here"};
  var status = document.getElementById("graph-status");
  function say(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var names = {};
  var nodes = data.nodes.map(function (n) {
    names[n[0]] = n[4];
    return {id: n[0], label: n[1], title: n[2], group: n[3]};
  });
  // An edge's tooltip: "<store> — <kind> <identifier>", then what the records say of the link.
  var edges = data.edges.map(function (e) {
    var style = styles.edges[e[2]] || ["", "#888888", 1.2, ""];
    var title = style[3] ? names[e[0]] + " \u2014 " + style[3] + " " + names[e[1]] +
      (e[3] ? "\n" + e[3] : "") : e[3] || style[0];
    return {from: e[0], to: e[1], label: style[0], title: title, color: style[1],
            width: style[2]};
  });
  var summary = data.summary || null;
  var expanded = {};
  var index = {};
  nodes.forEach(function (node, k) { index[node.id] = k; });
  function merged(base, changes) {
    var out = {};
    Object.keys(base).forEach(function (key) { out[key] = base[key]; });
    Object.keys(changes).forEach(function (key) {
      var value = changes[key];
      out[key] = value && typeof value === "object" && !Array.isArray(value) &&
        base[key] && typeof base[key] === "object" ? merged(base[key], value) : value;
    });
    return out;
  }
  var options = merged(styles.options, data.options);
  options.groups = styles.groups;

  // The summary view: every store of a group not expanded is drawn as its group; an identifier
  // is drawn when it touches a store shown, or ties many groups; a pair of groups sharing
  // identifiers is one edge.
  var MANY = 8;
  function groupOf(id) {
    var k = index[id];
    return summary && k !== undefined ? summary.group_of[k] : -1;
  }
  function shownAs(id) {
    var g = groupOf(id);
    return g >= 0 && !expanded[g] ? "g" + g : id;
  }
  function view() {
    if (!summary) { return {nodes: nodes, edges: edges}; }
    var out = [], lines = [], pairs = {};
    summary.groups.forEach(function (group, g) {
      if (!expanded[g]) {
        out.push({id: "g" + g, label: group[0], title: group[1],
                  group: group[3] ? "summary-flagged" : "summary", value: group[2]});
      }
    });
    var byIdent = {};
    edges.forEach(function (edge) {
      (byIdent[edge.to] = byIdent[edge.to] || []).push(edge);
    });
    var folded = {};
    nodes.forEach(function (node) {
      var g = groupOf(node.id);
      if (g >= 0 && expanded[g]) { out.push(node); }
      if (node.group === "folded") { folded[node.id] = node; }
    });
    nodes.forEach(function (node) {
      var touching = byIdent[node.id];
      if (!touching || groupOf(node.id) >= 0 || folded[node.id]) { return; }
      var ends = {}, stores = 0, groups = [];
      touching.forEach(function (edge) {
        var end = shownAs(edge.from);
        if (folded[edge.from]) { return; }
        if (end.charAt(0) !== "g") { stores += 1; }
        if (!ends[end]) { ends[end] = edge; if (end.charAt(0) === "g") { groups.push(end); } }
      });
      var names = Object.keys(ends);
      if (stores || groups.length > MANY) {
        out.push(node);
        names.forEach(function (end) {
          var edge = ends[end];
          lines.push({from: end, to: node.id, label: edge.label, color: edge.color,
                      width: edge.width, title: end === edge.from ? edge.title : node.title});
        });
        touching.forEach(function (edge) {
          if (folded[edge.from]) { out.push(folded[edge.from]); lines.push(edge); }
        });
      } else if (groups.length > 1) {
        for (var a = 0; a < groups.length; a += 1) {
          for (var b = a + 1; b < groups.length; b += 1) {
            var key = groups[a] + "-" + groups[b];
            var pair = pairs[key] = pairs[key] || {from: groups[a], to: groups[b], shared: []};
            pair.shared.push(node.title.split("\n")[0]);
          }
        }
      }
    });
    Object.keys(pairs).forEach(function (key) {
      var pair = pairs[key], count = pair.shared.length;
      lines.push({from: pair.from, to: pair.to, width: Math.min(1 + count, 6), color: "#7a7a7a",
                  label: count > 1 ? String(count) : "",
                  title: count + " shared identifier(s):\n" + pair.shared.slice(0, 12).join("\n") +
                         (count > 12 ? "\n\u2026" : "")});
    });
    return {nodes: out, edges: lines};
  }

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

  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: [], edges: []}, options);
  var shown = {nodes: [], edges: []};
  var physicsOn = true;
  var toggle = document.getElementById("graph-physics");
  var overview = document.getElementById("graph-summary");
  var timer = null;
  function ready() {
    var expandedCount = Object.keys(expanded).length;
    var text = summary && expandedCount < summary.groups.length
      ? "Summary: " + summary.groups.length + " groups of stores (by shared ID document or " +
        "payment account), " + expandedCount + " shown as stores; " + shown.nodes.length +
        " nodes, " + shown.edges.length + " edges. Click a group to show its stores."
      : "Drawn: " + shown.nodes.length + " nodes, " + shown.edges.length + " edges. Drag to " +
        "move, scroll to zoom, click a node to find it in the tables.";
    say("ready", text);
  }
  function stop() {
    if (!physicsOn) { return; }
    window.clearTimeout(timer);
    network.setOptions({physics: {enabled: false}});
    physicsOn = false;
    toggle.textContent = "Physics: off";
    ready();
  }
  function draw() {
    shown = view();
    physicsOn = true;
    network.setOptions({physics: {enabled: true}});
    toggle.textContent = "Physics: on";
    say("stabilizing", "Arranging " + shown.nodes.length + " nodes\u2026");
    network.once("stabilizationIterationsDone", stop);
    network.once("stabilized", stop);
    timer = window.setTimeout(stop, 10000);
    network.setData({nodes: new vis.DataSet(shown.nodes), edges: new vis.DataSet(shown.edges)});
  }
  function expand(g) {
    expanded[g] = true;
    draw();
  }
  window.graphaudit = {network: network, expand: expand, view: function () { return shown; }};
  network.on("selectNode", function (params) {
    var id = String(params.nodes[0]);
    if (summary && /^g\d+$/.test(id)) {
      expand(Number(id.slice(1)));
      return;
    }
    highlight(id);
  });
  network.on("deselectNode", function () { highlight(null); });
  document.getElementById("graph-fit").addEventListener("click", function () { network.fit(); });
  toggle.addEventListener("click", function () {
    physicsOn = !physicsOn;
    network.setOptions({physics: {enabled: physicsOn}});
    toggle.textContent = physicsOn ? "Physics: on" : "Physics: off";
  });
  if (overview) {
    overview.hidden = !summary;
    overview.addEventListener("click", function () {
      var all = Object.keys(expanded).length < summary.groups.length;
      summary.groups.forEach(function (group, g) {
        if (all) { expanded[g] = true; } else { delete expanded[g]; }
      });
      overview.textContent = all ? "Summary view" : "All stores";
      draw();
    });
  }
  document.querySelectorAll("tr[data-node]").forEach(function (row) {
    row.addEventListener("click", function () {
      var id = row.getAttribute("data-node");
      if (index[id] === undefined) { return; }
      var g = groupOf(id);
      if (g >= 0 && !expanded[g]) {
        expand(g);
      }
      network.selectNodes([id]);
      network.focus(id, {scale: 1.2, animation: false});
      highlight(id);
    });
  });
  draw();
};
