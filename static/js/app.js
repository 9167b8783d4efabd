/* Control Panel dashboard behaviour. Loaded from our own origin with `defer`; the CSP forbids
   inline scripts, so every page behaviour lives here and is switched on by data- attributes.
   Pages work without it (forms post normally); this adds the collapsing navigation, instant
   check feedback, theme preview, confirmations and the live staff figures. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function csrfToken(scope) {
    var input = (scope || document).querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* ---- navigation: a Menu button below 48rem ---- */
  function initNav() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    function setOpen(open) {
      nav.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  /* ---- forms that ask before destroying something ---- */
  function initConfirm() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  /* ---- theme preview on the preferences form ---- */
  function initThemePreview() {
    var select = document.querySelector("select[data-theme-preview]");
    if (!select) return;
    select.addEventListener("change", function () {
      document.documentElement.setAttribute("data-theme", select.value);
    });
  }

  /* ---- lesson checks: immediate feedback without leaving the page ---- */
  function initChecks() {
    var buttons = document.querySelectorAll("button[data-check-url]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function (event) {
        var fieldset = button.closest("fieldset");
        var feedback = fieldset && fieldset.querySelector(".feedback");
        if (!fieldset || !feedback || !window.fetch) return; // fall back to the normal form post
        event.preventDefault();
        var chosen = fieldset.querySelector("input[type=radio]:checked");
        if (!chosen) {
          showFeedback(feedback, "incorrect", "Choose an answer first.");
          return;
        }
        var body = new URLSearchParams();
        body.set("choice", chosen.value);
        button.disabled = true;
        fetch(button.getAttribute("data-check-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": csrfToken(fieldset.form)
          },
          body: body.toString()
        }).then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        }).then(function (result) {
          if (!result.ok) {
            showFeedback(feedback, "incorrect", result.data.message || "That answer could not be checked.");
            return;
          }
          var data = result.data;
          var text = (data.correct ? "Correct. " : "Not quite: the answer is \u201c" + data.answer_text + "\u201d. ") +
            data.explanation + (data.first_try ? "" : " Your first answer to this check is the one that counts.");
          showFeedback(feedback, data.correct ? "correct" : "incorrect", text);
        }).catch(function () {
          showFeedback(feedback, "incorrect", "The answer could not be checked right now. Try again.");
        }).then(function () {
          button.disabled = false;
        });
      });
    });
  }

  function showFeedback(element, kind, text) {
    element.classList.remove("correct", "incorrect");
    element.classList.add(kind);
    element.textContent = text;
    element.hidden = false;
  }

  /* ---- live figures (staff system page) ----
     <section data-live data-live-url="/staff/system/live.json" data-poll-ms="5000">
       <dd data-field="path.to.value" data-format="percent|ms|bytes|bytes-rate|int|float|duration|time|…">
       <span data-state="path.to.state">   (class becomes "pill state-<value>"; true/false read as ok/down)
     Polls every data-poll-ms with the session cookie, pauses while the tab is hidden, and marks
     the figures stale (data-stale="true" + a visible note) when a poll fails. */
  function pathGet(object, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, object);
  }

  function formatValue(value, format) {
    if (value === null || value === undefined || value === "") return "\u2013";
    var n = Number(value);
    switch (format) {
      case "percent": return n.toFixed(1) + " %";
      case "percent-2": return n.toFixed(2) + " %";
      case "per-minute": return n.toFixed(1) + " /min";
      case "ms": return n.toFixed(n < 10 ? 2 : 1) + " ms";
      case "rate": return n.toFixed(2) + " /s";
      case "int": return Math.round(n).toLocaleString("en-GB");
      case "float": return n.toFixed(2);
      case "ratio": return (n * 100).toFixed(2) + " %";
      case "bytes": return formatBytes(n);
      case "bytes-rate": return formatBytes(n) + "/s";
      case "duration": return formatDuration(n);
      case "time": return new Date(value).toLocaleTimeString("en-GB");
      case "bool": return value ? "on" : "off";
      case "yes-no": return value ? "yes" : "no";
      default: return String(value);
    }
  }

  function formatBytes(n) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return n.toFixed(i === 0 ? 0 : 1) + " " + units[i];
  }

  function formatDuration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d) return d + "d " + h + "h " + m + "m";
    if (h) return h + "h " + m + "m " + s + "s";
    if (m) return m + "m " + s + "s";
    return s + "s";
  }

  function initLive(root) {
    var url = root.getAttribute("data-live-url");
    if (!url) return;
    var interval = Math.max(250, parseInt(root.getAttribute("data-poll-ms"), 10) || 5000);
    var updated = root.querySelector("[data-live-updated]");
    var staleNote = root.querySelector("[data-live-stale]");
    var pollState = root.querySelector("[data-live-state]");
    var timer = null;
    var inFlight = false;
    var polls = 0;

    function apply(data) {
      Array.prototype.forEach.call(root.querySelectorAll("[data-field]"), function (element) {
        var value = pathGet(data, element.getAttribute("data-field"));
        if (value === undefined) return;
        element.textContent = formatValue(value, element.getAttribute("data-format"));
      });
      Array.prototype.forEach.call(root.querySelectorAll("[data-state]"), function (element) {
        var state = pathGet(data, element.getAttribute("data-state"));
        if (state === undefined || state === null) return;
        if (state === true || state === false) state = state ? "ok" : "down";
        element.className = "pill state-" + String(state).replace(/[^a-z_-]/gi, "");
        element.textContent = String(state);
      });
    }

    function markStale(stale) {
      root.setAttribute("data-stale", stale ? "true" : "false");
      if (staleNote) staleNote.hidden = !stale;
    }

    var again = false;

    function poll() {
      if (inFlight || document.hidden) return;
      inFlight = true;
      root.setAttribute("data-in-flight", "true");
      // Read each time: the range picker changes the URL without reloading the page.
      url = root.getAttribute("data-live-url") || url;
      fetch(url, {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        cache: "no-store",
        redirect: "error"
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (data) {
        apply(data);
        // The live charts (live-charts.js) draw from the same answer.
        root.dispatchEvent(new CustomEvent("live:data", { detail: data }));
        markStale(false);
        polls += 1;
        root.setAttribute("data-polls", String(polls));
        if (updated) updated.textContent = new Date().toLocaleTimeString("en-GB");
      }).catch(function () {
        markStale(true);
      }).then(function () {
        inFlight = false;
        root.setAttribute("data-in-flight", "false");
        if (again) { again = false; poll(); }
      });
    }

    // Asked for now (the range picker): poll at once, or right after the poll under way.
    root.addEventListener("live:refresh", function () {
      if (inFlight) again = true; else poll();
    });

    function start() {
      if (timer !== null) return;
      poll();
      timer = window.setInterval(poll, interval);
      if (pollState) pollState.textContent = "live, every " + (interval / 1000) + " s";
    }

    function stop() {
      if (timer === null) return;
      window.clearInterval(timer);
      timer = null;
      if (pollState) pollState.textContent = "paused while this tab is hidden";
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) stop(); else start();
    });
    if (!document.hidden) start(); else stop();
  }

  function init() {
    initNav();
    initConfirm();
    initThemePreview();
    initChecks();
    Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), initLive);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
