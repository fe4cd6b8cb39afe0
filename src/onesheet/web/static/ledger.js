// The burden ledger's charts (loaded by ledger.html after ECharts). The figures and the
// labels come from the page as <script type="application/json"> blocks: data, not code,
// so the page needs no inline script. Tooltips are drawn on the canvas (richText): the
// HTML ones carry style attributes, which the Content-Security-Policy refuses.
(function () {
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var L = JSON.parse(document.getElementById("ledger-labels").textContent);
  var charts = [];
  var empty = { title: { text: L.empty, left: "center", top: "middle", textStyle: { color: "#57606a", fontSize: 15 } } };
  function bars(id, categories, filled, typed) {
    var chart = echarts.init(document.getElementById(id));
    if (!categories.length) { chart.setOption(empty); charts.push(chart); return; }
    chart.setOption({
      animation: false,
      color: ["#2f8f4e", "#b4232a"],
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 48, right: 12, top: 36, bottom: 30 },
      xAxis: { type: "category", data: categories },
      yAxis: { type: "value" },
      series: [
        { name: L.filled, type: "bar", data: filled },
        { name: L.typed, type: "bar", data: typed }
      ]
    });
    charts.push(chart);
  }
  bars("chart-month", data.by_month.months, data.by_month.filled, data.by_month.typed);
  bars("chart-department", data.by_department.names, data.by_department.filled, data.by_department.typed);
  var f = data.forms;
  var forms = echarts.init(document.getElementById("chart-forms"));
  if (f.approved + f.rejected === 0) { forms.setOption(empty); } else {
    forms.setOption({
      animation: false,
      color: ["#2f8f4e", "#b4232a", "#d48806"],
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 48, right: 12, top: 20, bottom: 30 },
      xAxis: { type: "category", data: [L.approved, L.rejected, L.merged] },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", colorBy: "data", data: [f.approved, f.rejected, f.merged] }]
    });
  }
  charts.push(forms);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
