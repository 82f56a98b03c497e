/* Check a case file or a checkpoint against a public key: the file's own
   text is sent to the console, which verifies it as `ledger verify-case`. */
"use strict";
(function () {
  var form = document.getElementById("verify-form");
  if (!form) { return; }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = document.getElementById("proof-file").files[0];
    var out = document.getElementById("verify-result");
    if (!file) { return; }
    file.text().then(function (text) {
      return Ledger.post("/console/proof/check", JSON.stringify(
        {document: text, public_key: document.getElementById("public-key").value}));
    }).then(function (r) { return r.json(); }).then(function (answer) {
      out.textContent = "";
      out.className = answer.ok ? "ok" : "refusal";
      out.appendChild(Ledger.el("strong", {id: "verify-verdict"},
        out.getAttribute(answer.ok ? "data-ok" : "data-bad")));
      out.appendChild(Ledger.el("p", {}, answer.message));
    });
  });
})();
