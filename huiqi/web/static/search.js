// Search as you type: the form works without this (it submits to /search); with it, results
// appear under the box while typing, from the same index (/api/v1/search). A miss says so and
// offers the index's suggestions ("did you mean"), or the box's own examples when it has none.
(function () {
  var form = document.querySelector("form[data-live-search]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector("#live-results");
  var en = list.getAttribute("data-lang") === "en";
  var policy = form.getAttribute("data-policy") || "";  // another notice than the default: keep to it
  var pq = policy ? "policy=" + encodeURIComponent(policy) : "";
  var timer = null, seq = 0;
  function none(suggestions) {
    var li = document.createElement("li"); li.className = "card notice"; li.setAttribute("data-test", "live-none");
    li.appendChild(document.createTextNode(en ? "No measure matches; try other words, " : "没有找到相关措施，可换个说法，"));
    if (!suggestions.length) {
      li.appendChild(document.createTextNode(input.getAttribute("placeholder") || ""));
    } else {
      li.appendChild(document.createTextNode(en ? "such as: " : "如："));
      suggestions.forEach(function (s, i) {
        if (i) li.appendChild(document.createTextNode(en ? ", " : "、"));
        var a = document.createElement("a"); a.setAttribute("data-suggestion", s);
        a.href = "/search?q=" + encodeURIComponent(s) + (pq ? "&" + pq : "");
        a.textContent = s;
        a.addEventListener("click", function (e) {  // search the suggestion here, as typed
          e.preventDefault(); input.value = s; input.dispatchEvent(new Event("input")); input.focus();
        });
        li.appendChild(a);
      });
    }
    list.appendChild(li);
  }
  function show(results, suggestions) {
    list.textContent = "";
    if (suggestions && !results.length) { none(suggestions); return; }
    results.forEach(function (r) {
      var li = document.createElement("li"); li.className = "card"; li.setAttribute("data-measure", r.id);
      var a = document.createElement("a"); a.href = "/measures/" + r.id + (pq ? "?" + pq : "");
      a.textContent = en ? r.title_en : r.title_zh;
      var p = document.createElement("div"); p.className = "small muted"; p.textContent = r.snippet || "";
      li.appendChild(a); li.appendChild(p); list.appendChild(li);
    });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { show([]); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch("/api/v1/search?limit=8&q=" + encodeURIComponent(q.slice(0, 200)) + (pq ? "&" + pq : ""))
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { if (mine === seq) show(body.results || [], body.suggestions || []); })
        .catch(function () {});
    }, 150);
  });
})();
