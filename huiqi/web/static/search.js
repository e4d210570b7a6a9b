// Search as you type: the form works without this (it submits to /search); with it, results
// appear under the box while typing, from the same index (/api/v1/search).
(function () {
  var form = document.querySelector("form[data-live-search]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector("#live-results");
  var en = list.getAttribute("data-lang") === "en";
  var policy = form.getAttribute("data-policy") || "";  // another notice than the default: keep to it
  var pq = policy ? "policy=" + encodeURIComponent(policy) : "";
  var timer = null, seq = 0;
  function show(results) {
    list.textContent = "";
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
        .then(function (body) { if (mine === seq) show(body.results || []); })
        .catch(function () {});
    }, 150);
  });
})();
