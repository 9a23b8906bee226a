/* The home map: what is shown, its legend and table, the tooltip, and the commune search.
   Data come from mapdata.js (window.COHESION_DATA); the page's own words from its #labels
   script. No library, no request beyond the site's own files. */
(function () {
  "use strict";
  var D = window.COHESION_DATA;
  var labelsNode = document.getElementById("labels");
  if (!D || !labelsNode) return;
  var L = JSON.parse(labelsNode.textContent);
  var lang = document.documentElement.lang;
  // The same rules as publish/site/numbers.py: Belgian separators in French and Dutch.
  var SEP = { fr: ["\u202f", ","], nl: [".", ","], en: [",", "."] };
  var SEQUENTIAL = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];  // viridis, light = low
  var NO_DATA = "url(#nodata)";

  function fmt(v, decimals, language) {
    var sep = SEP[language || lang];
    if (v === null || v === undefined || !isFinite(v)) return "\u2013";
    var text = Math.abs(v).toFixed(decimals);
    var parts = text.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, sep[0]);
    var sign = v < 0 && Number(text) !== 0 ? "-" : "";
    return sign + whole + (parts.length > 1 ? sep[1] + parts[1] : "");
  }
  window.cohesionFormat = fmt;  // for the test that compares it with the Python formatter

  function norm(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  var measureSelect = document.getElementById("measure");
  var yearSelect = document.getElementById("year");
  var tooltip = document.getElementById("tooltip");
  var legend = document.getElementById("legend");
  var tableBody = document.getElementById("map-table-body");
  var tableHead = document.getElementById("map-table-value");
  var paths = Array.prototype.slice.call(document.querySelectorAll("svg.map path[data-nis]"));
  var index = {};
  D.communes.forEach(function (c, i) { index[c.nis] = i; });
  var names = D.communes.map(function (c) { return c[lang === "nl" ? "nl" : "fr"]; });

  function classOf(value, breaks) {
    for (var i = 0; i < breaks.length; i++) if (value <= breaks[i]) return i;
    return breaks.length;
  }

  function current() {
    var m = D.measures[measureSelect.value];
    return { id: measureSelect.value, m: m, y: m.years[yearSelect.value] };
  }

  function valueText(cur, i) {
    var v = cur.y ? cur.y.v[i] : null;
    if (v === null || v === undefined) return L.no_data;
    if (cur.m.kind === "cat") return L.categories[v] || v;
    var unit = L.measures[cur.id].unit;
    return fmt(v, cur.m.decimals) + (unit ? "\u00a0" + unit : "");
  }

  function fill(cur, i) {
    var v = cur.y ? cur.y.v[i] : null;
    if (v === null || v === undefined) return NO_DATA;
    if (cur.m.kind === "cat") return D.colours[v] || "#999";
    return SEQUENTIAL[classOf(v, cur.y.b)];
  }

  function fillYears() {
    var m = D.measures[measureSelect.value];
    var years = Object.keys(m.years).sort();
    var keep = yearSelect.value;
    yearSelect.innerHTML = "";
    years.forEach(function (y) {
      var o = document.createElement("option");
      o.value = y; o.textContent = y;
      yearSelect.appendChild(o);
    });
    yearSelect.value = years.indexOf(keep) >= 0 ? keep : years[years.length - 1];
  }

  function renderLegend(cur) {
    var items = [];
    if (cur.m.kind === "cat") {
      cur.m.categories.forEach(function (c) { items.push([D.colours[c], L.categories[c] || c]); });
    } else if (cur.y) {
      var b = cur.y.b, d = cur.m.decimals;
      var lo = cur.y.min;
      for (var i = 0; i <= b.length; i++) {
        var from = i === 0 ? lo : b[i - 1], to = i < b.length ? b[i] : cur.y.max;
        items.push([SEQUENTIAL[i], (i === 0 ? "" : "> ") + fmt(from, d) + " \u2013 " + fmt(to, d)]);
      }
    }
    var unit = cur.m.kind === "cat" ? "" : L.measures[cur.id].unit;
    legend.innerHTML = "";
    var title = document.createElement("strong");
    title.textContent = L.measures[cur.id].name + (unit ? " (" + unit + ")" : "") + ", " + yearSelect.value;
    legend.appendChild(title);
    items.concat([[null, L.no_data]]).forEach(function (item) {
      var span = document.createElement("span");
      var sw = document.createElement("span");
      sw.className = item[0] ? "sw" : "sw nodata";
      if (item[0]) sw.style.background = item[0];
      span.appendChild(sw);
      span.appendChild(document.createTextNode(item[1]));
      legend.appendChild(span);
    });
  }

  function render() {
    var cur = current();
    paths.forEach(function (p) {
      var i = index[p.getAttribute("data-nis")];
      p.setAttribute("fill", fill(cur, i));
      p.setAttribute("aria-label", names[i] + ": " + valueText(cur, i));
    });
    renderLegend(cur);
    tableHead.textContent = L.measures[cur.id].name + ", " + yearSelect.value;
    if (tipFor && tooltip.style.display === "block") showTip(tipFor);  // the value shown changed
    var rows = tableBody.rows;
    for (var r = 0; r < rows.length; r++) {
      rows[r].cells[2].textContent = valueText(cur, index[rows[r].getAttribute("data-nis")]);
    }
  }

  var tipFor = null;  // the commune whose tooltip is shown

  function showTip(p, x, y) {
    tipFor = p;
    var i = index[p.getAttribute("data-nis")];
    tooltip.innerHTML = "";
    var name = document.createElement("strong");
    name.textContent = names[i];
    tooltip.appendChild(name);
    tooltip.appendChild(document.createElement("br"));
    tooltip.appendChild(document.createTextNode(valueText(current(), i)));
    var box = tooltip.parentNode.getBoundingClientRect();
    if (x === undefined) {
      var r = p.getBoundingClientRect();
      x = r.left + r.width / 2; y = r.top + r.height / 2;
    }
    tooltip.style.left = Math.min(x - box.left + 12, box.width - 200) + "px";
    tooltip.style.top = (y - box.top + 12) + "px";
    tooltip.style.display = "block";
  }

  paths.forEach(function (p) {
    p.addEventListener("mousemove", function (e) { showTip(p, e.clientX, e.clientY); });
    p.addEventListener("focus", function () { showTip(p); });
    p.addEventListener("mouseleave", function () { tooltip.style.display = "none"; });
    p.addEventListener("blur", function () { tooltip.style.display = "none"; });
    p.addEventListener("click", function () { window.location.href = "c/" + p.getAttribute("data-nis") + ".html"; });
    p.addEventListener("keydown", function (e) {
      if (e.key === "Enter") window.location.href = "c/" + p.getAttribute("data-nis") + ".html";
    });
  });

  measureSelect.addEventListener("change", function () { fillYears(); render(); });
  yearSelect.addEventListener("change", render);

  // Search: every official name (French, Dutch, German) and the NIS code, accents ignored.
  var search = document.getElementById("search");
  var results = document.getElementById("search-results");
  var keys = D.communes.map(function (c) { return [norm(c.fr), norm(c.nl), norm(c.de || "")]; });
  search.addEventListener("input", function () {
    var q = norm(search.value);
    results.innerHTML = "";
    if (!q) return;
    var found = [];
    D.communes.forEach(function (c, i) {
      var hit = c.nis.indexOf(q) === 0 || keys[i].some(function (k) { return k && k.indexOf(q) >= 0; });
      if (hit) found.push(c);
    });
    found.slice(0, 12).forEach(function (c) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "c/" + c.nis + ".html";
      var shown = [c.fr];
      if (c.nl !== c.fr) shown.push(c.nl);
      if (c.de && shown.indexOf(c.de) < 0) shown.push(c.de);
      a.textContent = shown.join(" / ") + " (" + c.nis + ")";
      li.appendChild(a);
      results.appendChild(li);
    });
    if (!found.length) {
      var li = document.createElement("li");
      li.textContent = L.no_match;
      results.appendChild(li);
    }
  });

  fillYears();
  yearSelect.value = document.body.getAttribute("data-year") || yearSelect.value;
  render();
})();
