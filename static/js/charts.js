// Charts of the overview and the stock history, drawn with Chart.js from data the page carries in
// <script type="application/json"> elements or, where htmx swaps the content in (htmx drops
// <script> elements there), in a data-json attribute: the Content Security Policy forbids inline script.
// The overview arrives by htmx, so charts are drawn on htmx:load as well as on page load.
(function () {
  "use strict";

  const COLOURS = {
    sales: "#1e88e5",
    units: "#43a047",
    previous: "rgba(120, 120, 120, 0.45)",
    fulfillable: "#43a047",
    inbound: "#1e88e5",
    reserved: "#fb8c00",
    unfulfillable: "#e53935",
  };

  function readJson(id) {
    const element = document.getElementById(id);
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.dataset.json !== undefined ? element.dataset.json : element.textContent);
    } catch (error) {
      return null;
    }
  }

  function overviewChart(canvas) {
    const all = readJson(canvas.dataset.series);
    const data = all && all[canvas.dataset.currency];
    if (!data) {
      return;
    }
    const measure = canvas.dataset.measure;
    const isSales = measure === "sales";
    const label = isSales ? "Sales (" + canvas.dataset.currency + ")" : "Units";
    new window.Chart(canvas, {
      type: isSales ? "line" : "bar",
      data: {
        labels: data.days,
        datasets: [
          {
            label: label + ", this period",
            data: data[measure],
            borderColor: COLOURS[measure],
            backgroundColor: COLOURS[measure],
            tension: 0.2,
            pointRadius: data.days.length > 40 ? 0 : 2,
          },
          {
            label: label + ", previous period",
            data: data["previous_" + measure],
            borderColor: COLOURS.previous,
            backgroundColor: COLOURS.previous,
            borderDash: [4, 4],
            tension: 0.2,
            pointRadius: 0,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } },
      },
    });
  }

  function historyChart(canvas) {
    const data = readJson(canvas.dataset.series);
    if (!data) {
      return;
    }
    const buckets = ["fulfillable", "inbound", "reserved", "unfulfillable"];
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.days,
        datasets: buckets.map(function (bucket) {
          return {
            label: bucket.charAt(0).toUpperCase() + bucket.slice(1),
            data: data[bucket],
            borderColor: COLOURS[bucket],
            backgroundColor: COLOURS[bucket],
            stepped: true,
            pointRadius: 0,
          };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } },
      },
    });
  }

  function draw(root) {
    if (!window.Chart || !root || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      // Ask Chart.js, not the attribute: a page htmx restores from its history cache carries the
      // attribute but not the chart.
      if (window.Chart.getChart(canvas)) {
        return;
      }
      canvas.dataset.drawn = "yes";
      if (canvas.classList.contains("stock-history-chart")) {
        historyChart(canvas);
      } else {
        overviewChart(canvas);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  document.addEventListener("htmx:load", function (event) {
    draw(event.target);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    draw(event.target);
  });
  document.addEventListener("htmx:historyRestore", function () {
    draw(document);
  });
})();
