/* People and the institutions they link (sisters through a shared legal
   representative or investor, ADM-03), drawn by ECharts as a small graph. */
"use strict";
(function () {
  var el = document.getElementById("sister-graph");
  var source = document.getElementById("graph-data");
  if (!el || !source || !window.echarts) { return; }
  var g = JSON.parse(source.textContent);
  var nodes = [], links = [];
  g.institutions.forEach(function (i) {
    nodes.push({id: "i:" + i.code, name: i.code + (i.name ? "\n" + i.name : ""),
                category: i.code === g.self ? 0 : 1, symbolSize: i.code === g.self ? 46 : 36,
                href: "/console/institutions/" + encodeURIComponent(i.code)});
  });
  var persons = {};
  g.links.forEach(function (l) { persons[l.person] = true; });
  Object.keys(persons).forEach(function (p) {
    var known = g.persons.filter(function (x) { return x.id === p; })[0];
    nodes.push({id: "p:" + p, name: (known && known.name) ? known.name + "\n" + p : p,
                category: 2, symbolSize: 22, symbol: "roundRect",
                href: "/console/persons/" + encodeURIComponent(p)});
  });
  g.links.forEach(function (l) {
    links.push({source: "p:" + l.person, target: "i:" + l.institution,
                label: {show: !!l.role, formatter: g.roles[l.role] || l.role || ""}});
  });
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    animation: false,
    series: [{type: "graph", layout: "force", roam: true, draggable: true,
      force: {repulsion: 260, edgeLength: 110},
      categories: [{name: "self"}, {name: "sister"}, {name: "person"}],
      label: {show: true, fontSize: 11}, edgeLabel: {show: true, fontSize: 10},
      data: nodes, links: links}]
  });
  chart.on("click", function (p) { if (p.data && p.data.href) { location.assign(p.data.href); } });
})();
