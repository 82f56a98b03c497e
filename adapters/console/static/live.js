/* The home page's recent events follow new recordings: every few seconds
   the page asks for the events after the newest it shows. */
"use strict";
(function () {
  var box = document.getElementById("recent");
  if (!box) { return; }
  var body = box.querySelector("tbody");
  function poll() {
    var after = box.getAttribute("data-after") || "0";
    fetch(box.getAttribute("data-feed") + "?after=" + encodeURIComponent(after),
          {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {rows: []}; })
      .then(function (data) {
        var rows = data.rows || [];
        if (!rows.length) { return; }
        var empty = body.querySelector("td.empty");
        if (empty) { empty.parentNode.remove(); }
        rows.slice().reverse().forEach(function (row) {
          var tr = document.createElement("tr");
          tr.className = "new";
          row.cells.forEach(function (text, i) {
            var td = document.createElement("td");
            if (i === 0 || i === 3) {
              var a = Ledger.el("a", {href: row.href}, text);
              td.appendChild(a);
            } else { td.textContent = text; }
            tr.appendChild(td);
          });
          body.insertBefore(tr, body.firstChild);
        });
        box.setAttribute("data-after", String(rows[0].notification_id));
      })
      .catch(function () { /* the next poll tries again */ });
  }
  window.setInterval(poll, 3000);
})();
