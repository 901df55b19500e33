// Draws every <canvas data-chart="id-of-json-script"> with the vendored Chart.js.
// The data lives in a <script type="application/json"> block (not executed, so CSP allows it);
// each chart has a data table beside it, so the figures are readable without the drawing.
(function () {
  // Axis ticks, legends and tooltips in CSS pixels (Chart.js draws on a canvas, which the page's CSS does
  // not size): 14 px, readable on a phone too (tests/browser/test_phone_layout.py wants 12 at least).
  var FONT_SIZE = 14;

  function draw() {
    if (typeof Chart === "undefined") { return; }
    Chart.defaults.font.size = FONT_SIZE;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      new Chart(canvas, {
        type: spec.type || "bar",
        data: { labels: spec.labels, datasets: spec.datasets.map(function (set, i) {
          var colours = ["#0b4a63", "#d97706", "#16a34a", "#9333ea", "#dc2626"];
          return { label: set.label, data: set.data, backgroundColor: colours[i % colours.length],
                   borderColor: colours[i % colours.length] };
        }) },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { display: spec.datasets.length > 1 } },
                   scales: spec.type === "pie" ? {} : { y: { beginAtZero: true } } }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
