/* The console's shared script: signing in and out, and fetch with the
   session's CSRF token (the cookie is HttpOnly; the token is in the page). */
"use strict";
window.Ledger = (function () {
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function post(url, body, type) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: body,
      headers: {"Content-Type": type || "application/json", "X-CSRF-Token": csrf()}});
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function money(text) {
    if (text === "" || text === null || text === undefined) { return ""; }
    var s = String(text), neg = s.charAt(0) === "-";
    if (neg) { s = s.slice(1); }
    var parts = s.split("."), whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + "¥" + whole + "." + ((parts[1] || "") + "00").slice(0, 2);
  }
  function refusal(box, body, words) {
    box.textContent = "";
    var strong = el("strong", {}, words.refused + (body.rule ? " " + body.rule : ""));
    box.appendChild(strong);
    if (body.rule_title) { box.appendChild(document.createTextNode(" " + body.rule_title)); }
    box.appendChild(el("br"));
    box.appendChild(document.createTextNode(words.reason + ": " + (body.reason || "")));
    if (body.remedy) {
      box.appendChild(el("br"));
      box.appendChild(document.createTextNode(words.remedy + ": " + body.remedy));
    }
    box.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var login = document.getElementById("login-form");
    if (login) {
      login.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var error = document.getElementById("login-error");
        fetch("/login", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json"},
          body: JSON.stringify({user: login.user.value, password: login.password.value})})
          .then(function (r) {
            if (r.ok) { window.location.assign(login.getAttribute("data-next")); return null; }
            return r.json().then(function (body) {
              error.textContent = document.body.getAttribute("data-wrong") +
                (body && body.reason ? " (" + body.reason + ")" : "");
              error.hidden = false;
            });
          });
      });
    }
    var logout = document.getElementById("logout-form");
    if (logout) {
      logout.addEventListener("submit", function (ev) {
        ev.preventDefault();
        post("/logout", "{}").then(function () { window.location.assign("/console/login"); });
      });
    }
  });
  return {csrf: csrf, post: post, el: el, money: money, refusal: refusal};
})();
