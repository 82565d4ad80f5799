// dropper curate: the keyboard-first curation page. Plain JS; the server is the only store.
// Every edit is POSTed at once with the song's revision; a 409 means another tab (or person)
// wrote first, and is shown instead of being overwritten.
"use strict";
(function () {
  const scriptStartMs = performance.now();
  const boot = JSON.parse(document.getElementById("bootstrap").textContent);
  const $ = (id) => document.getElementById(id);
  const token = boot.token;
  const songs = boot.songs;
  const byId = new Map(songs.map((song) => [song.id, song]));
  const usedTags = new Set(boot.used_tags);
  const timings = [];
  window.curate = { timings, songs, openMs: null, scriptMs: null };

  let order = [];          // ids shown, in queue order
  let current = null;      // the song on screen
  let taps = [];           // recent tap times (ms)
  let pending = null;      // {id, fields, timer}: an edit waiting for more keystrokes
  let saving = Promise.resolve();
  let unsaved = 0;         // edits sent or queued, not answered yet
  const editedStack = [];  // one song id per event this tab recorded, newest last (for undo)
  const peaksCache = new Map();
  const listItems = new Map();
  const thumbItems = new Map();

  // Helpers ----------------------------------------------------------------------------
  const url = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
  const fmtTime = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  const num = (v, digits) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) node.append(child);
    return node;
  }
  function author() { return $("author").value.trim() || boot.author; }
  function status(text, isError) {
    $("save-status").textContent = text;
    $("save-status").classList.toggle("error", !!isError);
  }

  // Saving -----------------------------------------------------------------------------
  function post(song, path, fields) {
    const body = JSON.stringify(Object.assign({ revision: song.revision, author: author() }, fields));
    return fetch(url(path), { method: "POST", body, keepalive: body.length < 60000,
                              headers: { "Content-Type": "application/json", "X-Dropper-Token": token } });
  }
  // Edits go out one at a time so that each carries the revision the previous one produced.
  function save(id, fields, path) {
    unsaved += 1;
    status("saving…");
    saving = saving.then(async () => {
      const song = byId.get(id);
      try {
        const response = await post(song, path || "/api/songs/" + id, fields);
        if (response.status === 403) {  // the server was restarted with a new token
          status("not saved: this page's access token is no longer valid; open the URL that " +
                 "dropper curate printed", true);
          return;
        }
        const answer = await response.json();
        if (response.status === 409) {
          replaceSong(answer.song);
          $("conflict").textContent = answer.error;
          $("conflict").hidden = false;
          status("conflict: not saved", true);
        } else if (!response.ok) {
          status("not saved: " + (answer.error || answer.detail || response.status), true);
        } else {
          replaceSong(answer.song);
          // Each recorded event can be undone in turn; an undo itself is not pushed back.
          for (let n = 0; n < (answer.recorded || 0); n += 1) editedStack.push(id);
          // "saved" only once nothing else is waiting: the page never claims more than is on disk.
          if (unsaved === 1) status(path ? (answer.undone ? "undid " + answer.undone : "nothing to undo") : "saved");
        }
      } catch (error) {
        status("not saved: the server does not answer (" + error.message + ")", true);
      } finally {
        unsaved -= 1;
      }
    });
    return saving;
  }
  function saveSoon(id, fields, delayMs) {
    if (pending && pending.id !== id) flush();
    pending = pending || { id, fields: {} };
    Object.assign(pending.fields, fields);
    clearTimeout(pending.timer);
    pending.timer = setTimeout(flush, delayMs);
    status("editing…");
  }
  function flush() {
    if (!pending) return;
    clearTimeout(pending.timer);
    const { id, fields } = pending;
    pending = null;
    save(id, fields);
  }
  window.addEventListener("pagehide", flush);
  function replaceSong(fresh) {
    Object.assign(byId.get(fresh.id), fresh);
    fresh.distinctions.forEach((tag) => { if (!usedTags.has(tag)) { usedTags.add(tag); fillTagFilter(); } });
    paintItem(fresh.id);
    renderProgress();
    if (current && current.id === fresh.id) renderAnnotations();
  }

  // Queue ------------------------------------------------------------------------------
  function renderProgress() {
    const reviewed = songs.filter((s) => s.decision).length;
    const kept = songs.filter((s) => s.decision === "keep").length;
    $("progress").textContent = `${reviewed} of ${songs.length} reviewed, ${kept} kept`;
  }
  function badge(song) {
    if (song.decision === "keep") return "kept";
    if (song.decision === "reject") return song.decided_by === "screen.auto_reject" ? "auto-rejected" : "rejected";
    return song.flags.length ? "⚑ " + song.flags.join(", ") : "";
  }
  function paintItem(id) {
    const song = byId.get(id);
    for (const item of [listItems.get(id), thumbItems.get(id)]) {
      if (!item) continue;
      item.classList.toggle("keep", song.decision === "keep");
      item.classList.toggle("reject", song.decision === "reject");
      item.querySelector(".badge").textContent = badge(song);
    }
  }
  function buildQueue() {
    for (const song of songs) {
      const item = el("li", { title: song.name }, el("span", { className: "name", textContent: song.name }),
                      el("span", { className: "badge" }));
      item.dataset.id = song.id;
      item.addEventListener("click", () => show(song.id));
      listItems.set(song.id, item);
      paintItem(song.id);
    }
    $("queue").append(...listItems.values());
  }
  // The grid is built when first shown: most sessions open faster without 1000 thumbnails.
  function buildGrid() {
    for (const song of songs) {
      const thumb = el("li", {}, el("button", { type: "button", title: song.name },
        el("img", { alt: "spectrogram of " + song.name, loading: "lazy", decoding: "async",
                    src: song.has_spectrogram ? url("/spectrogram/" + song.id) : "" }),
        el("span", { className: "caption" }, el("span", { textContent: song.name }), el("span", { className: "badge" }))));
      thumb.dataset.id = song.id;
      thumb.querySelector("button").addEventListener("click", () => { setGrid(false); show(song.id); });
      thumbItems.set(song.id, thumb);
      paintItem(song.id);
    }
    applyFilters();
  }
  function fillTagFilter() {
    const select = $("filter-tag"), chosen = select.value;
    select.replaceChildren(el("option", { value: "", textContent: "any tag" }),
                           ...[...usedTags].sort().map((tag) => el("option", { value: tag, textContent: tag })));
    select.value = chosen;
  }
  function matches(song) {
    const show = $("filter-status").value, tag = $("filter-tag").value;
    const low = parseFloat($("filter-tmin").value), high = parseFloat($("filter-tmax").value);
    if (show === "unreviewed" && song.decision) return false;
    if (show === "flagged" && !song.flags.length) return false;
    if ((show === "keep" || show === "reject") && song.decision !== show) return false;
    if (!isNaN(low) && !(song.temperature >= low)) return false;
    if (!isNaN(high) && !(song.temperature <= high)) return false;
    return !tag || song.distinctions.includes(tag);
  }
  function applyFilters() {
    const key = $("sort").value, sign = $("sort-dir").dataset.dir === "desc" ? -1 : 1;
    const value = (song) => (song[key] === null || song[key] === undefined ? -Infinity : song[key]);
    const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const chosen = songs.filter(matches);  // the server sends them in name order
    if (key !== "name") chosen.sort((a, b) => sign * (value(a) - value(b)) || byName(a, b));
    else if (sign < 0) chosen.reverse();
    order = chosen.map((song) => song.id);
    const shown = new Set(order);
    for (const [id, item] of listItems) item.hidden = !shown.has(id);
    for (const [id, item] of thumbItems) item.hidden = !shown.has(id);
    $("queue").append(...order.map((id) => listItems.get(id)));
    if (thumbItems.size) $("thumbs").append(...order.map((id) => thumbItems.get(id)));
    $("shown").textContent = order.length;
  }
  function step(delta, startedMs) {
    if (!order.length) return;
    const at = current ? order.indexOf(current.id) : -1;
    const next = at < 0 ? 0 : Math.min(Math.max(at + delta, 0), order.length - 1);
    show(order[next], startedMs);
  }

  // One song ---------------------------------------------------------------------------
  const audio = $("audio");
  const wave = window.WaveSurfer && boot.waveform ? WaveSurfer.create({
    container: "#waveform", media: audio, height: 64, normalize: true, waveColor: "#6d6a75",
    progressColor: "#f0b429", cursorColor: "#f0b429", interact: true }) : null;

  async function loadPeaks(id) {
    if (!peaksCache.has(id)) {
      peaksCache.set(id, fetch(url("/api/songs/" + id + "/peaks")).then((r) => (r.ok ? r.json() : null)).catch(() => null));
    }
    return peaksCache.get(id);
  }
  function prefetch(id) {
    const song = byId.get(id);
    if (!song) return;
    if (song.has_spectrogram) new Image().src = url("/spectrogram/" + id);
    if (wave) loadPeaks(id);
  }
  async function show(id, startedMs) {
    startedMs = startedMs === undefined ? performance.now() : startedMs;
    flush();
    taps = [];
    const song = byId.get(id);
    current = song;
    $("conflict").hidden = true;
    $("reason-box").hidden = true;
    history.replaceState(null, "", "#song=" + id);
    for (const [other, item] of listItems) item.setAttribute("aria-current", other === id ? "true" : "false");
    listItems.get(id).scrollIntoView({ block: "nearest" });
    $("song-name").textContent = song.name;
    renderFacts(song);
    renderAnnotations();
    const image = $("spectrogram");
    image.src = song.has_spectrogram ? url("/spectrogram/" + id) : "";
    const source = url("/audio/" + id);
    const ready = [song.has_spectrogram ? image.decode().catch(() => null) : null];
    if (wave) {
      ready.push(loadPeaks(id).then((data) => current === song &&
        wave.load(source, data ? [data.peaks] : undefined, data ? data.duration_s : song.duration_s).catch(() => null)));
    } else {
      audio.src = source;
    }
    movePlayhead();
    await Promise.all(ready);
    if (current !== song) return;
    timings.push(performance.now() - startedMs);
    document.body.dataset.song = String(id);
    const at = order.indexOf(id);
    if (at >= 0 && at + 1 < order.length) prefetch(order[at + 1]);
  }
  function renderFacts(song) {
    $("flags").replaceChildren(...(song.flags.length ? song.flags.map((f) => el("span", { className: "flag", textContent: f }))
                                                    : [el("span", { className: "muted", textContent: "none" })]));
    $("loudness").textContent = song.loudness_lufs === null ? "—" : num(song.loudness_lufs, 1) + " LUFS";
    $("temperature").textContent = num(song.temperature, 3);
    $("duration").textContent = fmtTime(song.duration_s);
    $("estimate").textContent = song.tempo_estimate_bpm === null ? "not estimated yet (dropper tempo)"
      : (song.tempo_estimate_bpm === 0 ? "no pulse" : num(song.tempo_estimate_bpm, 1) + " BPM")
        + " (confidence " + num(song.tempo_confidence, 2) + ")";
    $("alternatives").replaceChildren(...song.tempo_alternatives.map((alt) => {
      const button = el("button", { type: "button", className: "alt", textContent: `${alt.ratio} ${num(alt.bpm, 1)}`,
                                    title: "use this tempo" });
      button.addEventListener("click", () => setTempo(alt.bpm));
      return button;
    }));
    if (song.tempo_estimate_bpm) {
      const use = el("button", { type: "button", className: "alt", textContent: "use estimate", title: "use the estimate" });
      use.addEventListener("click", () => setTempo(song.tempo_estimate_bpm));
      $("alternatives").append(use);
    }
  }
  function renderAnnotations() {
    const song = current;
    const decided = song.decision ? `${song.decision === "keep" ? "kept" : "rejected"}` +
      (song.reason ? ` (${song.reason})` : "") + (song.decided_by ? ` by ${song.decided_by}` : "") : "unreviewed";
    $("song-state").textContent = decided + (song.updated_at ? ` · last change ${song.updated_at}` : "");
    $("song-state").className = song.decision || "";
    if (!taps.length) $("tempo").textContent = song.tempo_bpm === null ? "—" : num(song.tempo_bpm, 1);
    $("style-now").textContent = song.style || "—";
    for (const item of $("style-keys").children) item.classList.toggle("current", item.dataset.style === song.style);
    $("tags").replaceChildren(...song.distinctions.map((tag) => {
      const remove = el("button", { type: "button", textContent: "×", title: "remove " + tag });
      remove.setAttribute("aria-label", "remove " + tag);
      remove.addEventListener("click", () => save(song.id, { remove_tags: [tag] }));
      return el("li", {}, el("span", { textContent: tag }), remove);
    }));
    if (document.activeElement !== $("notes")) $("notes").value = song.notes || "";
  }

  // Player -----------------------------------------------------------------------------
  function movePlayhead() {
    const duration = audio.duration || (current && current.duration_s) || 1;
    $("playhead").style.left = (100 * Math.min(audio.currentTime / duration, 1)) + "%";
    $("time").textContent = fmtTime(audio.currentTime) + " / " + fmtTime(duration);
    if (!audio.paused) requestAnimationFrame(movePlayhead);
  }
  ["play", "seeked", "timeupdate", "loadedmetadata"].forEach((name) => audio.addEventListener(name, movePlayhead));
  function seek(seconds) {
    const duration = audio.duration || (current && current.duration_s) || 0;
    audio.currentTime = Math.min(Math.max(seconds, 0), Math.max(duration - 0.05, 0));
    movePlayhead();
  }
  $("spectrogram-box").addEventListener("click", (event) => {
    const box = event.currentTarget.getBoundingClientRect();
    seek((event.clientX - box.left) / box.width * (audio.duration || current.duration_s));
  });
  function togglePlay() { if (audio.paused) audio.play().catch(() => null); else audio.pause(); }

  // Annotations ------------------------------------------------------------------------
  function decide(decision, reason) {
    if (!current) return;
    save(current.id, { decision, reason: reason || null });
    step(1, performance.now());
  }
  function askReason(decision) {
    $("reason-box").hidden = false;
    $("reason").dataset.decision = decision;
    $("reason").value = "";
    $("reason").focus();
  }
  function tap(nowMs) {
    if (taps.length && nowMs - taps[taps.length - 1] > 2000) taps = [];  // a pause starts over
    taps.push(nowMs);
    taps = taps.slice(-8);
    if (taps.length < 2) { $("tempo").textContent = "tap…"; return; }
    const bpm = 60000 * (taps.length - 1) / (taps[taps.length - 1] - taps[0]);
    $("tempo").textContent = num(bpm, 1);
    if (bpm >= 20 && bpm <= 400) saveSoon(current.id, { tempo_bpm: Math.round(bpm * 10) / 10 }, 1200);
  }
  function setTempo(bpm) {
    taps = [];
    bpm = Math.round(bpm * 10) / 10;
    $("tempo").textContent = num(bpm, 1);
    save(current.id, { tempo_bpm: bpm });
  }
  function scaleTempo(factor) {
    const shown = parseFloat($("tempo").textContent);
    const base = !isNaN(shown) ? shown : current.tempo_bpm || current.tempo_estimate_bpm;
    if (base) setTempo(base * factor);
  }
  function setStyle(style) { if (current && style) save(current.id, { style }); }
  function addTag(tag) {
    tag = tag.trim();
    if (current && tag && !current.distinctions.includes(tag)) save(current.id, { add_tags: [tag] });
  }
  function undo() {
    flush();
    const id = editedStack.length ? editedStack.pop() : current && current.id;
    if (id === null || id === undefined) return;
    if (!current || current.id !== id) show(id);
    save(id, {}, "/api/songs/" + id + "/undo");
  }

  // Autocomplete (styles and distinctions) ---------------------------------------------
  function combobox(input, list, choices, accept) {
    let active = -1;
    function options() { return [...list.children]; }
    function refresh() {
      const typed = input.value.trim().toLowerCase();
      const all = [...new Set(choices())];
      const starts = all.filter((c) => c.toLowerCase().startsWith(typed));
      const within = all.filter((c) => !c.toLowerCase().startsWith(typed) && c.toLowerCase().includes(typed));
      const shown = typed ? starts.concat(within).slice(0, 8) : [];
      list.replaceChildren(...shown.map((choice) => {
        const option = el("li", { textContent: choice });
        option.setAttribute("role", "option");
        option.addEventListener("mousedown", (event) => { event.preventDefault(); input.value = choice; commit(); });
        return option;
      }));
      active = -1;  // nothing chosen until an arrow key: Enter saves what was typed
      mark();
      list.hidden = !shown.length;
    }
    function mark() { options().forEach((o, i) => o.setAttribute("aria-selected", i === active ? "true" : "false")); }
    function commit() {
      const value = input.value.trim();
      input.value = "";
      list.hidden = true;
      if (value) accept(value);
      input.blur();
    }
    input.addEventListener("input", refresh);
    input.addEventListener("blur", () => { list.hidden = true; });
    input.addEventListener("keydown", (event) => {
      const count = options().length;
      if (event.key === "ArrowDown" && count) { active = (active + 1) % count; mark(); event.preventDefault(); }
      else if (event.key === "ArrowUp" && count) { active = (active - 1 + count) % count; mark(); event.preventDefault(); }
      else if (event.key === "Tab" && !list.hidden && count) {  // complete to the chosen (or first) choice
        input.value = options()[Math.max(active, 0)].textContent; list.hidden = true; event.preventDefault();
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) input.value = options()[active].textContent;
        commit(); event.preventDefault();
      }
    });
  }

  // Keyboard ---------------------------------------------------------------------------
  const inField = (target) => ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (document.activeElement === $("reason")) $("reason-box").hidden = true;
      document.activeElement.blur();
      return;
    }
    if (inField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const startedMs = performance.now();
    const key = event.key;
    const actions = {
      " ": togglePlay,
      ArrowLeft: () => seek(audio.currentTime - (event.shiftKey ? 30 : 5)),
      ArrowRight: () => seek(audio.currentTime + (event.shiftKey ? 30 : 5)),
      k: () => decide("keep"), x: () => decide("reject"),
      K: () => askReason("keep"), X: () => askReason("reject"),
      j: () => step(1, startedMs), l: () => step(-1, startedMs),
      t: () => current && tap(event.timeStamp || startedMs), T: () => current && tap(event.timeStamp || startedMs),
      "]": () => scaleTempo(2), "[": () => scaleTempo(0.5),
      n: () => current && setTempo(0), N: () => current && setTempo(0),
      u: undo, v: () => setGrid($("grid").hidden),
      g: () => $("tag-input").focus(), s: () => $("style-input").focus(), e: () => $("notes").focus(),
    };
    if (/^[1-9]$/.test(key)) { setStyle(boot.style_keys[Number(key) - 1]); event.preventDefault(); return; }
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    if (!current && key !== "v") return;
    action();
  });
  $("reason").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    $("reason-box").hidden = true;
    const { decision } = $("reason").dataset;
    $("reason").blur();
    decide(decision, $("reason").value.trim());
  });

  function setGrid(on) {
    if (on && !thumbItems.size) buildGrid();
    $("grid").hidden = !on;
    $("song-view").hidden = on;
    $("view-toggle").textContent = on ? "song view (V)" : "grid view (V)";
    if (on && current) thumbItems.get(current.id).querySelector("button").focus();
  }

  // Start ------------------------------------------------------------------------------
  $("author").value = localStorage.getItem("dropper-curate-author") || "";
  $("author").placeholder = boot.author;
  $("author").addEventListener("change", () => localStorage.setItem("dropper-curate-author", $("author").value.trim()));
  $("style-keys").replaceChildren(...boot.style_keys.map((style, i) => {
    const item = el("li", { textContent: `${i + 1} ${style}` });
    item.dataset.style = style;
    item.addEventListener("click", () => setStyle(style));
    return item;
  }));
  combobox($("tag-input"), $("tag-suggestions"), () => boot.distinctions.concat([...usedTags]), addTag);
  combobox($("style-input"), $("style-suggestions"), () => boot.styles, setStyle);
  $("notes").addEventListener("input", () => current && saveSoon(current.id, { notes: $("notes").value }, 700));
  $("notes").addEventListener("blur", flush);
  $("keep").addEventListener("click", () => decide("keep"));
  $("reject").addEventListener("click", () => decide("reject"));
  $("undo").addEventListener("click", undo);
  $("tap").addEventListener("click", (event) => current && tap(event.timeStamp));
  $("double").addEventListener("click", () => scaleTempo(2));
  $("half").addEventListener("click", () => scaleTempo(0.5));
  $("no-pulse").addEventListener("click", () => current && setTempo(0));
  $("view-toggle").addEventListener("click", () => setGrid($("grid").hidden));
  $("sort-dir").addEventListener("click", () => {
    const desc = $("sort-dir").dataset.dir !== "desc";
    $("sort-dir").dataset.dir = desc ? "desc" : "asc";
    $("sort-dir").textContent = desc ? "descending" : "ascending";
    applyFilters();
  });
  ["filter-status", "filter-tag", "sort"].forEach((id) => $(id).addEventListener("change", applyFilters));
  ["filter-tmin", "filter-tmax"].forEach((id) => $(id).addEventListener("input", applyFilters));

  buildQueue();
  fillTagFilter();
  applyFilters();
  renderProgress();
  const wanted = Number((location.hash.match(/song=(\d+)/) || [])[1]);
  if (songs.length) show(byId.has(wanted) ? wanted : (songs.find((s) => !s.decision) || songs[0]).id);
  window.curate.openMs = performance.now();
  window.curate.scriptMs = window.curate.openMs - scriptStartMs;
  document.body.dataset.ready = "true";
})();
