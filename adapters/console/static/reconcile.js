/* Reconcile a bank statement: the file goes as it is to the API's POST
   /reconcile (CSV or xlsx; GBK or UTF-8 is the server's to read), the
   findings are shown with their line numbers, and the same file can be
   reconciled again into an xlsx download. */
"use strict";
(function () {
  var form = document.getElementById("reconcile-form");
  if (!form) { return; }
  var words = JSON.parse(document.getElementById("reconcile-words").textContent);
  var out = document.getElementById("reconcile-result");
  var xlsx = document.getElementById("findings-xlsx");
  function kindOf(file) {
    var name = file.name.toLowerCase();
    if (name.endsWith(".xlsx")) {
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
    return name.endsWith(".tsv") ? "text/tab-separated-values" : "text/csv";
  }
  function query() {
    var file = document.getElementById("statement").files[0];
    return "?window=" + encodeURIComponent(document.getElementById("window").value || "3") +
      "&name=" + encodeURIComponent(file.name.slice(0, 120));
  }
  function show(answer) {
    out.textContent = "";
    var summary = Ledger.el("ul", {id: "reconcile-summary", "class": "tiles"});
    Object.keys(words.summary).forEach(function (k) {
      var li = Ledger.el("li", {"data-key": k});
      li.appendChild(Ledger.el("span", {"class": "n"}, answer.summary[k] || 0));
      li.appendChild(document.createTextNode(" " + words.summary[k]));
      summary.appendChild(li);
    });
    out.appendChild(summary);
    out.appendChild(Ledger.el("p", {}, words.encoding + ": " + answer.encoding));
    var table = Ledger.el("table", {"class": "data findings", id: "findings"});
    var head = Ledger.el("tr");
    words.columns.forEach(function (c, i) {
      head.appendChild(Ledger.el("th", {scope: "col", "class": "k-" + words.kinds[i]}, c));
    });
    var thead = Ledger.el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = Ledger.el("tbody");
    answer.findings.forEach(function (f) {
      var tr = Ledger.el("tr", {"data-finding": f.finding});
      words.keys.forEach(function (k, i) {
        var v = f[k];
        if (k === "finding") { v = words.findings[v] || v; }
        if (k === "direction") { v = words.directions[v] || v; }
        if (words.kinds[i] === "money") { v = Ledger.money(v); }
        tr.appendChild(Ledger.el("td", {"class": "k-" + words.kinds[i]}, v));
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    var wrap = Ledger.el("div", {"class": "table-wrap"}); wrap.appendChild(table);
    out.appendChild(wrap);
    xlsx.disabled = false;
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = document.getElementById("statement").files[0];
    if (!file) { return; }
    Ledger.post("/reconcile" + query(), file, kindOf(file)).then(function (r) {
      return r.json().then(function (body) {
        if (r.ok) { show(body); return; }
        out.textContent = "";
        var box = Ledger.el("p", {"class": "refusal", role: "alert"});
        Ledger.refusal(box, body, words);
        out.appendChild(box);
      });
    });
  });
  xlsx.addEventListener("click", function () {
    var file = document.getElementById("statement").files[0];
    if (!file) { return; }
    Ledger.post("/console/reconcile/findings.xlsx" + query(), file, kindOf(file))
      .then(function (r) { return r.blob(); })
      .then(function (blob) {
        var a = Ledger.el("a", {href: URL.createObjectURL(blob), download: "findings.xlsx"});
        document.body.appendChild(a); a.click(); a.remove();
      });
  });
})();
