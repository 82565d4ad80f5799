// Filters, search and sort for the catalog index. The state lives in the URL hash
// (#q=…&style=…&tag=a&tag=b&tmin=…), so a filtered view can be shared; works from file://.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var list = document.getElementById("songs");
  if (!form || !list) return;
  var cards = Array.prototype.slice.call(list.children);
  var fields = ["q", "style", "tmin", "tmax", "hmin", "hmax", "sort"];
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");

  function input(name) { return form.elements[name]; }
  function tagBoxes() { return Array.prototype.slice.call(form.querySelectorAll('input[name="tag"]')); }
  function number(text) { return text === "" || text == null || isNaN(Number(text)) ? null : Number(text); }

  function readState() {
    var text = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
    var params = new URLSearchParams(text);
    fields.forEach(function (name) { if (input(name)) input(name).value = params.get(name) || (name === "sort" ? "token" : ""); });
    var tags = params.getAll("tag");
    tagBoxes().forEach(function (box) { box.checked = tags.indexOf(box.value) >= 0; });
  }

  function writeState() {
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      var value = input(name) ? input(name).value.trim() : "";
      if (value && !(name === "sort" && value === "token")) params.set(name, value);
    });
    tagBoxes().forEach(function (box) { if (box.checked) params.append("tag", box.value); });
    var hash = params.toString();
    var url = location.href.split("#")[0] + (hash ? "#" + hash : "");
    try { history.replaceState(null, "", url); } catch (error) { location.hash = hash; }
  }

  function matches(card, state) {
    var data = card.dataset;
    if (state.q && data.search.indexOf(state.q) < 0) return false;
    if (state.style && data.style !== state.style) return false;
    var tags = data.tags ? data.tags.split("|") : [];
    for (var i = 0; i < state.tags.length; i++) if (tags.indexOf(state.tags[i]) < 0) return false;
    var tempo = number(data.tempo), heat = number(data.temperature);
    if ((state.tmin !== null || state.tmax !== null) && tempo === null) return false;
    if (state.tmin !== null && tempo < state.tmin) return false;
    if (state.tmax !== null && tempo > state.tmax) return false;
    if ((state.hmin !== null || state.hmax !== null) && heat === null) return false;
    if (state.hmin !== null && heat < state.hmin - 1e-9) return false;
    if (state.hmax !== null && heat > state.hmax + 1e-9) return false;
    return true;
  }

  function sortKey(card, key) {
    var field = key.replace("-", "");
    if (field === "title") return card.dataset.title;
    var value = number(card.dataset[field]);
    return value === null ? Infinity : value;
  }

  var sortedBy = "token";  // the server writes the cards in token order

  function apply() {
    var state = {
      q: input("q").value.trim().toLowerCase(), style: input("style").value,
      tags: tagBoxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; }),
      tmin: number(input("tmin").value), tmax: number(input("tmax").value),
      hmin: number(input("hmin").value), hmax: number(input("hmax").value)
    };
    var count = 0;
    cards.forEach(function (card) {
      var visible = matches(card, state);
      if (card.hidden === visible) card.hidden = !visible;  // touch only what changes
      count += visible ? 1 : 0;
    });
    var key = input("sort").value || "token";
    if (key !== sortedBy) {  // moving 1000 cards costs a layout: only when the order changes
      var sign = key.charAt(0) === "-" ? -1 : 1, fragment = document.createDocumentFragment();
      cards.slice().sort(function (a, b) {
        var x = sortKey(a, key), y = sortKey(b, key);
        return (x < y ? -1 : x > y ? 1 : 0) * sign || sortKey(a, "token") - sortKey(b, "token");
      }).forEach(function (card) { fragment.appendChild(card); });
      list.appendChild(fragment);
      sortedBy = key;
    }
    shown.textContent = String(count);
    none.hidden = count > 0;
  }

  form.addEventListener("input", function () { writeState(); apply(); });
  form.addEventListener("change", function () { writeState(); apply(); });
  document.getElementById("f-reset").addEventListener("click", function () {
    form.reset(); writeState(); apply();
  });
  window.addEventListener("hashchange", function () { readState(); apply(); });
  readState();
  apply();
})();
