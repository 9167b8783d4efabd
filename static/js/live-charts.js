/* Live charts of the staff System page, drawn with uPlot (static/vendor/uplot/, no CDN).

   app.js polls the page's live JSON and fires "live:data" on the [data-live] root with the
   answer; every chart here is updated in place from its "charts" part (uPlot.setData), never
   re-created, so nothing reloads. The range picker (15 min … 1 y) changes the polled URL and
   the page URL (?range=) without a reload; without JavaScript its links reload the page.
   Each chart re-lays out for its width (ResizeObserver), with 12 px axis text at every width.
   A chart also exposes what it shows as data- attributes (points, last time, updates), which
   the browser tests read. */
(function () {
  "use strict";

  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  var FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  var COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1e6];

  function formatBytes(n) {
    if (n === null || n === undefined) return "\u2013";
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return n.toFixed(i === 0 ? 0 : 1) + " " + units[i];
  }

  var FORMATS = {
    percent: function (v) { return v === null || v === undefined ? "\u2013" : v.toFixed(1) + " %"; },
    bytesRate: function (v) { return v === null || v === undefined ? "\u2013" : formatBytes(v) + "/s"; },
    ms: function (v) { return v === null || v === undefined ? "\u2013" : v.toFixed(v < 10 ? 2 : 1) + " ms"; },
    rate: function (v) { return v === null || v === undefined ? "\u2013" : v.toFixed(1) + " /min"; },
    count: function (v) { return v === null || v === undefined ? "\u2013" : String(Math.round(v)); }
  };

  function axisTicks(format) {
    return function (u, splits) {
      return splits.map(function (v) {
        if (format === "bytesRate") return formatBytes(v);
        if (format === "count") return Number.isInteger(v) ? String(v) : "";
        if (format === "percent") return v + "%";
        return String(v);
      });
    };
  }

  /* Each chart: which series it draws from the live JSON, and how. */
  function hostSeries(field, suffix) {
    return function (charts) {
      var hosts = charts.system || {};
      var names = Object.keys(hosts).sort();
      var t = names.length ? hosts[names[0]].t : [];
      var series = [];
      names.forEach(function (host) {
        (Array.isArray(field) ? field : [field]).forEach(function (f, j) {
          series.push({ label: host + (suffix ? " " + suffix[j] : ""), values: hosts[host][f], dash: j ? [6, 4] : null });
        });
      });
      return { t: t, series: series };
    };
  }

  function apiSeries(fields, labels) {
    return function (charts) {
      var overall = (charts.api || {}).overall || { t: [] };
      return {
        t: overall.t,
        series: fields.map(function (f, i) { return { label: labels[i], values: overall[f] || [] }; })
      };
    };
  }

  var SPECS = {
    cpu: { build: hostSeries("cpu_percent"), format: "percent", min: 0, max: 100 },
    memory: { build: hostSeries("memory_percent"), format: "percent", min: 0, max: 100 },
    disk: { build: hostSeries(["disk_read_bps", "disk_write_bps"], ["read", "write"]), format: "bytesRate", min: 0 },
    network: { build: hostSeries(["net_recv_bps", "net_sent_bps"], ["in", "out"]), format: "bytesRate", min: 0 },
    throughput: { build: apiSeries(["requests_per_minute"], ["requests / min"]), format: "rate", min: 0, zeroIsEmpty: true },
    errors: { build: apiSeries(["error_rate_percent"], ["5xx %"]), format: "percent", min: 0 },
    latency: { build: apiSeries(["p50_ms", "p95_ms", "p99_ms"], ["p50", "p95", "p99"]), format: "ms", min: 0 },
    endpoints: {
      build: function (charts) {
        var endpoints = (charts.api || {}).endpoints || {};
        var routes = Object.keys(endpoints);
        var t = routes.length ? endpoints[routes[0]].t : ((charts.api || {}).overall || { t: [] }).t;
        return { t: t, series: routes.map(function (r) { return { label: r, values: endpoints[r].p95_ms }; }) };
      },
      format: "ms", min: 0
    },
    search: {
      build: function (charts) {
        var s = charts.search || { t: [] };
        return { t: s.t, series: [{ label: "turbo", values: s.turbo_p50_ms || [] }, { label: "plain", values: s.plain_p50_ms || [] }] };
      },
      format: "ms", min: 0
    },
    learners: {
      build: function (charts) {
        var l = charts.learners || { t: [] };
        return { t: l.t, series: [{ label: "active learners", values: l.active || [] }] };
      },
      format: "count", min: 0, bars: true, zeroIsEmpty: true, days: true
    }
  };

  function hasData(built, spec) {
    return built.series.some(function (s) {
      return s.values.some(function (v) { return v !== null && v !== undefined && (!spec.zeroIsEmpty || v !== 0); });
    });
  }

  function seriesKey(built) {
    return built.series.map(function (s) { return s.label; }).join("|");
  }

  function plotHeight(width) { return width < 480 ? 180 : 220; }

  function makeOptions(spec, built, width, range) {
    var series = [{}];
    built.series.forEach(function (s, i) {
      var color = PALETTE[i % PALETTE.length];
      var entry = { label: s.label, stroke: color, width: 2, value: function (u, v) { return FORMATS[spec.format](v); } };
      if (s.dash) entry.dash = s.dash;
      if (spec.bars) {
        entry.fill = color;
        entry.paths = uPlot.paths.bars({ size: [0.7, 40] });
        entry.points = { show: false };
      }
      series.push(entry);
    });
    var yAxis = { font: FONT, size: spec.format === "bytesRate" ? 84 : 56, values: axisTicks(spec.format), stroke: "currentColor",
                  grid: { stroke: "rgba(128,128,128,.2)" }, ticks: { stroke: "rgba(128,128,128,.4)" } };
    if (spec.format === "count") yAxis.incrs = COUNT_INCRS;
    var xAxis = { font: FONT, stroke: "currentColor", space: width < 480 ? 70 : 90,
                  grid: { stroke: "rgba(128,128,128,.15)" }, ticks: { stroke: "rgba(128,128,128,.4)" } };
    // 24-hour times within two days, dates beyond: one label per ~90 px (70 px on a phone).
    var long = spec.days || range.seconds > 2 * 86400;
    xAxis.values = function (u, splits) {
      return splits.map(function (v) {
        var d = new Date(v * 1000);
        return long ? d.toLocaleDateString("en-GB", { day: "numeric", month: "short" })
          : d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
      });
    };
    return {
      width: width,
      height: plotHeight(width),
      series: series,
      axes: [xAxis, yAxis],
      scales: {
        x: {
          time: true,
          range: function (u, min, max) {
            if (spec.days) return [min - 43200, max + 43200];
            return [range.start, range.end];
          }
        },
        y: {
          range: function (u, min, max) {
            var floor = spec.format === "count" || spec.format === "percent" ? 1 : 0.001;
            var top = spec.max !== undefined ? spec.max : Math.max(max === null ? floor : max * 1.1, floor);
            return [spec.min || 0, top];
          }
        }
      },
      legend: { show: true, live: false },
      hooks: { draw: [drawMarks] },
      cursor: { points: { show: false } }
    };
  }

  /* Releases and marked changes: a dashed vertical line and its label on every time chart. */
  var currentMarks = [];

  function drawMarks(u) {
    if (!currentMarks.length) return;
    var ctx = u.ctx, box = u.bbox, ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = "#CC79A7";
    ctx.fillStyle = "#CC79A7";
    ctx.lineWidth = ratio;
    ctx.setLineDash([4 * ratio, 3 * ratio]);
    ctx.font = (12 * ratio) + "px system-ui, sans-serif";
    currentMarks.forEach(function (mark) {
      var x = u.valToPos(mark.t, "x", true);
      if (x < box.left || x > box.left + box.width) return;
      ctx.beginPath();
      ctx.moveTo(x, box.top);
      ctx.lineTo(x, box.top + box.height);
      ctx.stroke();
      var text = mark.label.length > 24 ? mark.label.slice(0, 23) + "\u2026" : mark.label;
      var width = ctx.measureText(text).width;
      ctx.fillText(text, Math.min(x + 3 * ratio, box.left + box.width - width), box.top + 12 * ratio);
    });
    ctx.restore();
  }

  function LiveChart(figure, spec) {
    this.figure = figure;
    this.spec = spec;
    this.plotEl = figure.querySelector("[data-chart-plot]");
    this.emptyEl = figure.querySelector("[data-chart-empty]");
    this.plot = null;
    this.key = null;
    this.updates = 0;
    this.range = null;
  }

  LiveChart.prototype.width = function () {
    return Math.max(200, Math.floor(this.plotEl.clientWidth || this.figure.clientWidth || 300));
  };

  LiveChart.prototype.update = function (charts) {
    var built = this.spec.build(charts);
    var empty = !hasData(built, this.spec) || !built.t.length;
    this.range = charts.range;
    this.emptyEl.hidden = !empty;
    this.plotEl.hidden = empty;
    this.figure.setAttribute("data-empty", empty ? "true" : "false");
    this.figure.setAttribute("data-points", String(built.t.length));
    this.figure.setAttribute("data-series", String(built.series.length));
    this.figure.setAttribute("data-range", charts.range.key);
    if (empty) return;
    var data = [built.t].concat(built.series.map(function (s) { return s.values; }));
    var key = seriesKey(built) + "@" + charts.range.key;
    if (!this.plot || key !== this.key) {
      // New series (a host appeared) or a new range: lay the chart out again.
      if (this.plot) this.plot.destroy();
      this.plot = new uPlot(makeOptions(this.spec, built, this.width(), charts.range), data, this.plotEl);
      this.key = key;
    } else {
      this.plot.setData(data);
    }
    this.updates += 1;
    var last = null;
    for (var i = built.t.length - 1; i >= 0 && last === null; i--) {
      if (built.series.some(function (s) { return s.values[i] !== null && s.values[i] !== undefined; })) last = built.t[i];
    }
    this.figure.setAttribute("data-last-t", String(last));
    this.figure.setAttribute("data-updates", String(this.updates));
  };

  LiveChart.prototype.resize = function () {
    if (!this.plot) return;
    var width = this.width();
    if (Math.abs(width - this.plot.width) > 1) this.plot.setSize({ width: width, height: plotHeight(width) });
  };

  function init() {
    var section = document.getElementById("live-charts");
    var root = section && section.closest("[data-live]");
    if (!section || !root || typeof uPlot === "undefined") return;
    var charts = [];
    Array.prototype.forEach.call(section.querySelectorAll("[data-chart]"), function (figure) {
      var spec = SPECS[figure.getAttribute("data-chart")];
      if (spec) charts.push(new LiveChart(figure, spec));
    });
    root.addEventListener("live:data", function (event) {
      var data = event.detail && event.detail.charts;
      if (!data) return;
      currentMarks = data.marks || [];
      section.setAttribute("data-marks", String(currentMarks.length));
      charts.forEach(function (chart) { chart.update(data); });
      section.setAttribute("data-drawn-range", data.range.key);
    });
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(function () { charts.forEach(function (c) { c.resize(); }); });
      observer.observe(section);
    }
    var label = section.querySelector("[data-range-label]");
    section.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-range-key]");
      if (!link) return;
      event.preventDefault();
      var key = link.getAttribute("data-range-key");
      var page = new URL(window.location.href);
      page.searchParams.set("range", key);
      window.history.pushState({ range: key }, "", page.pathname + page.search);
      var live = new URL(root.getAttribute("data-live-url"), window.location.href);
      live.searchParams.set("range", key);
      root.setAttribute("data-live-url", live.pathname + live.search);
      section.setAttribute("data-range", key);
      Array.prototype.forEach.call(section.querySelectorAll("a[data-range-key]"), function (a) {
        if (a === link) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
      if (label) label.textContent = link.textContent;
      root.dispatchEvent(new CustomEvent("live:refresh"));
    });
    window.addEventListener("popstate", function () { window.location.reload(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
