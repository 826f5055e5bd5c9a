// Reliability diagrams and decision curves, drawn with the vendored Chart.js from the JSON block
// templates/_curves.html writes (leaderboard/curves.py); each figure's table holds the same numbers.
// Every word comes with the data, in the page's language: axis titles (survival figures name their horizon),
// legend entries; numbers on the axes are written the page's way (document.documentElement.lang).
(function () {
  "use strict";
  var palette = ["#0b5fa5", "#d1495b", "#2e933c", "#edae49", "#6a4c93"];
  var grey = "#7f7f7f";
  var language = document.documentElement.lang || undefined;

  function axis(title, min, max) {
    return { type: "linear", min: min, max: max, title: { display: true, text: title } };
  }

  // Probabilities run 0 to 1; the axis runs a little past both so a point on an edge is drawn whole.
  function probabilityAxis(title) {
    var scale = axis(title, -0.02, 1.02);
    scale.afterBuildTicks = function (s) {
      s.ticks = [0, 0.2, 0.4, 0.6, 0.8, 1].map(function (v) { return { value: v }; });
    };
    return scale;
  }

  // Each bin's 95% interval as a vertical bar: one dataset of segments, broken between bins by a gap.
  function intervalBars(points, colour, label) {
    var data = [];
    points.forEach(function (p) {
      if (p.low === null || p.high === null || p.low === undefined || p.high === undefined) return;
      data.push({ x: p.x, y: p.low }, { x: p.x, y: p.high }, { x: p.x, y: null });
    });
    return { label: label, interval: true, data: data, borderColor: colour, backgroundColor: colour,
             showLine: true, spanGaps: false, pointRadius: 0, borderWidth: 1.5, fill: false };
  }

  function reliability(chart) {
    var words = chart.words || {};
    var datasets = [{ label: words.diagonal, data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: grey,
                      borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, showLine: true, fill: false }];
    chart.series.forEach(function (s, i) {
      var colour = palette[i % palette.length];
      datasets.push({ label: s.label, data: s.points, borderColor: colour, backgroundColor: colour,
                      showLine: true, pointRadius: 4, borderWidth: 2, fill: false });
      datasets.push(intervalBars(s.points, colour, words.interval));
    });
    return { type: "scatter", data: { datasets: datasets },
             options: { scales: { x: probabilityAxis(chart.axes.x), y: probabilityAxis(chart.axes.y) } } };
  }

  // A shown threshold between two withheld ones has no line to sit on: draw it as a dot.
  function isolated(values) {
    return function (context) {
      var j = context.dataIndex;
      return values[j] !== null && values[j - 1] == null && values[j + 1] == null ? 3 : 0;
    };
  }

  function decision(chart) {
    // Net benefit never exceeds the prevalence; round the axis to whole steps so no tick label repeats.
    var step = chart.prevalence > 0.2 ? 0.1 : chart.prevalence > 0.05 ? 0.05 : 0.01;
    var top = Math.ceil(Math.max(chart.prevalence || 0, 0.01) * 1.1 / step) * step;
    var datasets = chart.series.map(function (s, i) {
      var colour = s.reference ? (s.strategy === "none" ? "#12263f" : grey) : palette[i % palette.length];
      return { label: s.label, borderColor: colour, backgroundColor: colour, pointRadius: isolated(s.values), fill: false,
               borderWidth: s.reference ? 1.5 : 2, borderDash: s.reference ? [6, 4] : [],
               spanGaps: false, // a withheld threshold (too few rows between cuts) is a gap, not a line across it
               data: s.values.map(function (v, j) { return { x: chart.thresholds[j], y: v }; }) };
    });
    // Treat-all falls far below zero at high thresholds; the interesting part is near zero and above.
    var y = axis(chart.axes.y, -step, top);
    var figures = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
    y.ticks = { stepSize: step, callback: function (v) { return figures.format(Number(v.toFixed(2)) || 0); } }; // no "-0.0"
    return { type: "line", data: { datasets: datasets },
             options: { scales: { x: axis(chart.axes.x, 0, 1), y: y } } };
  }

  var node = document.getElementById("curve-charts-data");
  if (!node || !window.Chart) return;
  JSON.parse(node.textContent).forEach(function (chart) {
    var canvas = document.querySelector('canvas[data-curve="' + chart.key + '"]');
    if (!canvas) return;
    var config = chart.kind === "reliability" ? reliability(chart) : decision(chart);
    config.options.locale = language; // the axes' numbers, as the page writes them
    config.options.maintainAspectRatio = false;
    config.options.animation = false;
    config.options.parsing = false;
    // Interval bars share their line's colour and need no legend entry of their own.
    var labels = { boxWidth: 12, filter: function (item, data) { return !data.datasets[item.datasetIndex].interval; } };
    config.options.plugins = { legend: { position: "bottom", labels: labels } };
    new Chart(canvas, config);
  });
})();
