// Organiser pages: tell the server the viewer's zone (days in charts and date filters begin there),
// confirm actions that touch many rows, and draw the dashboard's charts with the vendored Chart.js.
// Times themselves are localised by ultrathon.js.
(function () {
  "use strict";
  var zone = null;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
  // IANA names (Europe/Paris, America/Argentina/Buenos_Aires) are cookie-safe as they are.
  if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    if (current !== zone) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // The series come from organise/charts.py in a JSON block; each figure's table holds the same numbers.
  function drawChart(canvas, series, colour) {
    var step = series.style === "step";
    return new Chart(canvas, {
      type: step ? "line" : "bar",
      data: { labels: series.days, datasets: [{
        label: series.title, data: series.values, backgroundColor: colour, borderColor: colour,
        stepped: step ? "after" : false, pointRadius: 0, borderWidth: step ? 2.5 : 0, fill: false
      }] },
      options: {
        maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
                  x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } } }
      }
    });
  }

  var data = document.getElementById("org-charts-data");
  if (data && window.Chart) {
    var colour = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#0b5fa5";
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    JSON.parse(data.textContent).forEach(function (series) {
      var canvas = document.querySelector('canvas[data-chart="' + series.key + '"]');
      if (canvas) drawChart(canvas, series, colour);
    });
  }
})();
