/* An agreement's status over business time: each period's bar is as wide as
   its share of the days shown (an open period runs to today). */
"use strict";
(function () {
  var line = document.getElementById("status-line");
  if (!line) { return; }
  var items = Array.prototype.slice.call(line.querySelectorAll("li.period"));
  if (!items.length) { return; }
  var today = new Date().toISOString().slice(0, 10);
  function day(s) { return Date.parse(s + "T00:00:00Z") / 86400000; }
  var spans = items.map(function (li) {
    var from = li.getAttribute("data-from"), to = li.getAttribute("data-to") || today;
    if (to < from) { to = from; }
    return Math.max(day(to) - day(from), 1);
  });
  var total = spans.reduce(function (a, b) { return a + b; }, 0);
  items.forEach(function (li, i) {
    li.style.flexGrow = String(spans[i] / total * 100);
  });
})();
