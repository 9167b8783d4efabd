/* Search box autocomplete: completions of the last word and matching lesson titles from
   GET /api/v1/search/suggest/ (same origin, the page's session). The form works without it. */
(function () {
  "use strict";

  function init() {
    var input = document.getElementById("search-q");
    var list = document.getElementById("search-suggestions");
    if (!input || !list || !window.fetch) return;
    var form = input.form;
    var endpoint = list.getAttribute("data-suggest-url");
    var lessonUrl = list.getAttribute("data-lesson-url");
    var timer = null, sequence = 0, active = -1;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var items = options();
      if (!items.length) return;
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i++) items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function choose(item) {
      if (item.getAttribute("data-href")) {
        window.location.assign(item.getAttribute("data-href"));
        return;
      }
      input.value = item.getAttribute("data-value");
      close();
      form.submit();
    }

    function option(id, label, kind) {
      var li = document.createElement("li");
      li.id = id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.className = "suggestion suggestion-" + kind;
      li.textContent = label;
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(li); });
      return li;
    }

    function render(body) {
      list.textContent = "";
      body.terms.forEach(function (term, i) {
        var li = option("search-suggestion-term-" + i, term, "term");
        li.setAttribute("data-value", term);
        list.appendChild(li);
      });
      body.titles.forEach(function (lesson, i) {
        var li = option("search-suggestion-title-" + i, lesson.title, "title");
        li.setAttribute("data-href", lessonUrl.replace("__slug__", encodeURIComponent(lesson.slug)));
        list.appendChild(li);
      });
      var open = options().length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      var mine = ++sequence;
      fetch(endpoint + "?q=" + encodeURIComponent(text), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (mine === sequence && body) render(body); })
        .catch(function () { /* suggestions are a convenience: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
