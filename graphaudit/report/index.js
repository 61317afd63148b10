(function () {
  "use strict";
  // graphaudit index: sort and filter the cluster table, draw the risk histogram. Cell text is
  // never re-parsed as HTML: rows are moved, hidden and shown, and sort keys come from data-*.
  var status = document.getElementById("page-status");
  var errors = 0;
  window.addEventListener("error", function (event) {
    errors += 1;
    status.setAttribute("data-errors", String(errors));
    status.setAttribute("data-state", "error");
    status.textContent = "Script error: " + event.message;
  });
  document.addEventListener("securitypolicyviolation", function (event) {
    var count = Number(status.getAttribute("data-violations") || "0") + 1;
    status.setAttribute("data-violations", String(count));
    status.setAttribute("data-violation", event.violatedDirective);
  });

  var table = document.getElementById("clusters");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById("shown");
  var text = document.getElementById("filter-text");
  var minRisk = document.getElementById("filter-risk");
  var minSize = document.getElementById("filter-size");
  var withSuspended = document.getElementById("filter-suspended");
  var withLinked = document.getElementById("filter-linked");
  // A cluster is found by what its row shows and by the ids of its stores (data-stores).
  var haystack = rows.map(function (row) {
    return (row.textContent + " " + (row.getAttribute("data-stores") || "")).toLowerCase();
  });

  function num(row, key) { return Number(row.getAttribute("data-" + key)); }

  function applyFilter() {
    var needle = text.value.trim().toLowerCase();
    var risk = Number(minRisk.value || "0");
    var size = Number(minSize.value || "0");
    var visible = 0;
    rows.forEach(function (row, i) {
      var ok = num(row, "risk") >= risk && num(row, "size") >= size &&
        (!withSuspended.checked || num(row, "suspended") > 0) &&
        (!withLinked.checked || num(row, "linked") > 0) &&
        (!needle || haystack[i].indexOf(needle) !== -1);
      row.hidden = !ok;
      if (ok) { visible += 1; }
    });
    shown.textContent = visible.toLocaleString() + " of " + rows.length.toLocaleString() +
      " clusters shown";
  }
  [text, minRisk, minSize].forEach(function (input) {
    input.addEventListener("input", applyFilter);
  });
  [withSuspended, withLinked].forEach(function (input) {
    input.addEventListener("change", applyFilter);
  });

  function sortBy(th) {
    var key = th.getAttribute("data-key");
    var numeric = th.getAttribute("data-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    if (numeric && !th.hasAttribute("aria-sort")) { ascending = false; }
    table.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var order = rows.map(function (row, i) {
      var value = row.getAttribute("data-" + key) || "";
      return [numeric ? Number(value) : value.toLowerCase(), i];
    });
    order.sort(function (a, b) {
      if (a[0] < b[0]) { return ascending ? -1 : 1; }
      if (a[0] > b[0]) { return ascending ? 1 : -1; }
      return a[1] - b[1];
    });
    var fragment = document.createDocumentFragment();
    order.forEach(function (pair) { fragment.appendChild(rows[pair[1]]); });
    body.appendChild(fragment);
  }
  table.querySelectorAll("th[data-key] button").forEach(function (button) {
    button.addEventListener("click", function () { sortBy(button.parentElement); });
  });

  function drawHistogram() {
    var canvas = document.getElementById("risk-chart");
    var counts = JSON.parse(document.getElementById("risk-data").textContent);
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || 640;
    var height = canvas.clientHeight || 160;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var max = Math.max.apply(null, counts.concat([1]));
    var pad = 24;
    var barWidth = (width - pad * 2) / counts.length;
    ctx.font = "10px sans-serif";
    ctx.textAlign = "center";
    counts.forEach(function (count, i) {
      var h = count ? Math.max(2, (height - 2 * pad) * Math.log(1 + count) / Math.log(1 + max)) : 0;
      var x = pad + i * barWidth;
      ctx.fillStyle = i >= 7 ? "#e15759" : (i >= 4 ? "#f28e2b" : "#4e79a7");
      ctx.fillRect(x + 2, height - pad - h, barWidth - 4, h);
      ctx.fillStyle = "#1f2328";
      ctx.fillText(String(count), x + barWidth / 2, height - pad - h - 4);
      ctx.fillStyle = "#59636e";
      ctx.fillText(i * 10 + (i === 10 ? "" : "\u2013" + (i * 10 + 9)), x + barWidth / 2, height - 8);
    });
    canvas.setAttribute("data-drawn", "true");
  }

  applyFilter();
  drawHistogram();
  status.setAttribute("data-state", "ready");
  status.textContent = "";
})();
