/* A command form: its fields become the command line's "fields", posted to
   the API (POST /commands/NAME) with a fresh command id; the server decides
   the actor. A refusal is shown next to the field it names, or next to the
   field whose value it speaks of, else above the button. */
"use strict";
(function () {
  var form = document.getElementById("command-form");
  if (!form) { return; }
  var words = document.getElementById("form-words").dataset;
  var name = form.getAttribute("data-command");
  var general = document.getElementById("form-error");
  var result = document.getElementById("command-result");
  function value(input) {
    var kind = input.getAttribute("data-kind"), v = input.value.trim();
    if (kind === "bool") { return input.checked; }
    if (v === "") { return undefined; }
    if (kind === "number") { return /^-?\d+$/.test(v) ? parseInt(v, 10) : v; }
    if (kind === "json") { return JSON.parse(v); }
    return v;
  }
  function clear() {
    form.querySelectorAll(".field").forEach(function (f) {
      f.classList.remove("refused");
      f.querySelector(".error").textContent = "";
    });
    general.hidden = true; result.hidden = true;
  }
  function place(body) {
    var key = (body.field || "").replace(/^fields\./, "").split(".")[0];
    var field = key ? form.querySelector('.field[data-field="' + key + '"]') : null;
    if (!field) {
      form.querySelectorAll(".field").forEach(function (f) {
        var input = f.querySelector("input, select, textarea");
        if (!field && input && input.value && input.value.length > 2 &&
            (body.reason || "").indexOf(input.value) >= 0) { field = f; }
      });
    }
    var box = field ? field.querySelector(".error") : general;
    if (field) { field.classList.add("refused"); }
    Ledger.refusal(box, body, {refused: words.refused, reason: words.reason,
                               remedy: words.remedy});
    box.setAttribute("role", "alert");
    (field ? field.querySelector("input, select, textarea") : general).focus();
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clear();
    var fields = {};
    try {
      form.querySelectorAll("[data-kind]").forEach(function (input) {
        var v = value(input);
        if (v !== undefined) { fields[input.name] = v; }
      });
    } catch (e) {
      place({error: "InvalidCommand", reason: String(e), field: ""});
      return;
    }
    var id = "console-" + Date.now().toString(36) + "-" +
      Math.random().toString(36).slice(2, 10);
    var line = {id: id, date: form.date.value, document: form.document.value.trim(),
                fields: fields};
    Ledger.post("/commands/" + encodeURIComponent(name), JSON.stringify(line))
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { place(body); return; }
          result.textContent = "";
          result.className = "ok";
          result.appendChild(Ledger.el("strong", {id: "recorded"},
            body.recorded === false ? words.repeat : words.recorded));
          result.appendChild(Ledger.el("pre", {}, JSON.stringify(body, null, 1)));
          result.hidden = false;
        });
      });
  });
})();
