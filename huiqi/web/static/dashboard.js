/* The dashboard's charts, drawn with our own copy of ECharts from the JSON in the page
   (#dashboard-data). The tables under the charts carry the same figures; without script they are
   the dashboard. Money arrives as exact yuan strings and is shown with the server's ¥ text. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var text = data.text;
  var FONT = '"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif';
  var COLORS = ["#b42318", "#0b57d0", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4"];
  var charts = [];

  function labelWidth(el) {
    return Math.max(70, Math.min(220, Math.floor(el.clientWidth * 0.34)));
  }

  function empty(message) {
    return {
      graphic: [{ type: "text", left: "center", top: "middle",
                  style: { text: message, fill: "#59636e", fontSize: 15, fontFamily: FONT } }]
    };
  }

  function yuanAxis(el, vertical) {
    return { type: "value", name: el.clientWidth < 480 ? "" : text.amount, nameTextStyle: { align: vertical ? "left" : "right" },
             axisLabel: { hideOverlap: true, formatter: function (v) {
               if (data.lang === "en") return v >= 1e6 ? (v / 1e6) + "M" : v >= 1e3 ? (v / 1e3) + "k" : String(v);
               return v >= 10000 ? (v / 10000) + "万" : String(v); } },
             splitNumber: el.clientWidth < 480 ? 3 : 5 };
  }

  var builders = {
    pools: function (el) {
      var series = data.pools.series;
      if (!series.length) return empty(text.no_movements);
      return {
        color: COLORS,
        legend: { type: "scroll", top: 0, textStyle: { fontFamily: FONT } },
        grid: { left: 8, right: 40, top: 40, bottom: 8, containLabel: true },
        tooltip: { trigger: "item", confine: true, formatter: function (p) {
          return p.seriesName + "<br>" + p.name + "<br>" + text.committed + "：" + p.data.committed +
            " / " + text.total + "：" + p.data.total + "（" + p.value + "%）"; } },
        xAxis: { type: "category", boundaryGap: false, data: data.pools.days, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", min: 0, max: function (v) { return Math.max(1, Math.ceil(v.max * 1.2)); },
                 name: el.clientWidth < 480 ? "" : text.share, axisLabel: { formatter: "{value}%" } },
        series: series.map(function (s) {
          return { type: "line", step: "end", name: s.name, data: s.data, symbolSize: 7, showSymbol: true };
        })
      };
    },
    by_measure: function (el) { return horizontal(el, data.by_measure, COLORS[0]); },
    by_district: function (el) { return horizontal(el, data.by_district, COLORS[1]); },
    by_month: function (el) {
      var d = data.by_month;
      if (!d.labels.length) return empty(text.empty);
      return {
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        tooltip: { trigger: "item", confine: true, formatter: function (p) {
          return p.name + "<br>" + d.display[p.dataIndex] + "（" + text.count + " " + d.counts[p.dataIndex] + "）"; } },
        xAxis: { type: "category", data: d.labels, axisLabel: { hideOverlap: true } },
        yAxis: yuanAxis(el, true),
        series: [{ type: "bar", name: text.amount, data: d.yuan, itemStyle: { color: COLORS[2] }, barMaxWidth: 48 }]
      };
    },
    targets: function (el) {
      var d = data.targets;
      if (!d.labels.length) return empty(text.no_movements);
      return {
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "item", confine: true, formatter: function (p) {
          return d.labels[p.dataIndex] + "<br>" + text.latest + "：" + d.latest[p.dataIndex] + " / " + text.goal + "：" +
            d.goal[p.dataIndex] + "（" + p.value + "%）"; } },
        xAxis: { type: "value", min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
                 axisLabel: { formatter: "{value}%", hideOverlap: true } },
        yAxis: { type: "category", inverse: true, data: d.labels,
                 axisLabel: { width: labelWidth(el), overflow: "truncate", fontFamily: FONT } },
        series: [{ type: "bar", name: text.reached, data: d.reached, itemStyle: { color: COLORS[3] }, barMaxWidth: 22,
                   label: { show: true, position: "right", formatter: "{c}%" },
                   markLine: { silent: true, symbol: "none", data: [{ xAxis: 100 }], label: { show: false },
                               lineStyle: { color: "#1a7f37", type: "dashed" } } }]
      };
    }
  };

  function horizontal(el, d, color) {
    if (!d.labels.length) return empty(text.empty);
    return {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", confine: true, formatter: function (p) {
        return d.labels[p.dataIndex] + "<br>" + d.display[p.dataIndex] + "（" + text.count + " " + d.counts[p.dataIndex] + "）"; } },
      xAxis: yuanAxis(el),
      yAxis: { type: "category", inverse: true, data: d.labels,
               axisLabel: { width: labelWidth(el), overflow: "truncate", fontFamily: FONT } },
      series: [{ type: "bar", name: text.amount, data: d.yuan, itemStyle: { color: color }, barMaxWidth: 28 }]
    };
  }

  function draw(el) {
    var build = builders[el.getAttribute("data-chart")];
    if (!build || !el.clientWidth || !el.clientHeight) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    var option = build(el);
    option.textStyle = { fontFamily: FONT };
    option.animationDuration = 300;
    chart.setOption(option);
    charts.push({ el: el, chart: chart, build: build });
  }

  var pending = null;
  function resize() {
    if (pending) return;
    pending = window.requestAnimationFrame(function () {
      pending = null;
      charts.forEach(function (c) {
        if (!c.el.clientWidth) return;
        var option = c.build(c.el);  // label widths and axis names follow the width
        option.textStyle = { fontFamily: FONT };
        c.chart.setOption(option, { notMerge: true });
        c.chart.resize();
      });
    });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
  window.addEventListener("resize", resize);
  if (window.ResizeObserver) {
    var seen = false;
    var ro = new ResizeObserver(function () { if (seen) resize(); seen = true; });
    var main = document.getElementById("main");
    if (main) ro.observe(main);
  }
})();
