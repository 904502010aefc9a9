"use strict";
(function () {
  document.body.setAttribute("data-script", "ran");
  var q = document.getElementById("artifact-filter");
  var oc = document.getElementById("outcome-filter");
  var co = document.getElementById("collector-filter");
  var count = document.getElementById("artifact-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#artifact-table tbody tr"));
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
  function filter() {
    var needle = q ? q.value.toLowerCase().trim() : "";
    var o = oc ? oc.value : "", c = co ? co.value : "";
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!needle || text[i].indexOf(needle) >= 0) &&
        (!o || r.getAttribute("data-outcome") === o) &&
        (!c || r.getAttribute("data-collector") === c);
      r.classList.toggle("hide", !ok);
      if (ok) { shown++; }
    }
    if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
  }
  [q, oc, co].forEach(function (el) { if (el) { el.addEventListener("input", filter); } });
  filter();
  function setAll(open) {
    document.querySelectorAll("#process-tree details.kids").forEach(function (d) { d.open = open; });
  }
  var ex = document.getElementById("expand-all"), col = document.getElementById("collapse-all");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  if (col) { col.addEventListener("click", function () { setAll(false); }); }
  // A printed report shows everything: every branch of the tree, every row.
  var wasOpen = [];
  window.addEventListener("beforeprint", function () {
    wasOpen = Array.prototype.map.call(document.querySelectorAll("details"), function (d) { return d.open; });
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details").forEach(function (d, i) { d.open = wasOpen[i] !== false; });
  });
})();
