/* The fund positions over the years, drawn by ECharts from the numbers the
   page's table shows (exact yuan text; the chart's own values are those). */
"use strict";
(function () {
  var el = document.getElementById("positions-chart");
  var source = document.getElementById("chart-data");
  if (!el || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis", valueFormatter: function (v) { return Ledger.money(v); }},
    legend: {top: 0},
    grid: {left: 110, right: 20, top: 60, bottom: 30},
    xAxis: {type: "category", data: data.years},
    yAxis: {type: "value", name: data.unit,
            axisLabel: {formatter: function (v) { return Ledger.money(v).replace(/\.00$/, ""); }}},
    series: data.series.map(function (s) {
      return {name: s.name, id: s.key, type: "bar", data: s.data};
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
  window.addEventListener("beforeprint", function () { chart.resize({width: 680}); });
})();
