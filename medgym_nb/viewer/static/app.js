// medgym view: the run index (filters, search, sort, plots whose bars link to their episodes), episode
// pages and the comparison of two runs. Plain JS, no build step; data comes from data/index.js and
// data/episodes/<run>/<id>.js (scripts, so the same files work from file:// and from the server).
"use strict";

const DATA = window.MEDGYM_DATA || { runs: [], columns: [], rows: [], compare: null };
const COL = Object.fromEntries(DATA.columns.map((c, i) => [c, i]));
const ROWS = DATA.rows;
const HAY = ROWS.map((r) =>
  [r[COL.task_id], r[COL.category], r[COL.source], r[COL.family], r[COL.failure], r[COL.agent], r[COL.termination]]
    .join(" ")
    .toLowerCase()
);
const FILTERS = ["run", "source", "family", "category", "agent", "sandbox", "termination", "failure", "passed", "turns"];
const NUMERIC = new Set(["run", "passed", "reward", "turns", "tokens", "duration"]);
const SHOWN = ["source", "family", "category", "task_id", "agent", "sandbox", "termination", "failure", "reward", "turns", "tokens", "duration"];
const PAGE = 200;
const app = document.getElementById("app");
const episodes = {};
let state = { q: "", sort: "", desc: false, limit: PAGE };
let current = [];
let lastIndexHash = "#/";

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const episodeHref = (run, id) => `#/episode/${run}/${id}`;
const fmt = (col, v) => (col === "duration" ? Number(v).toFixed(1) + " s" : col === "reward" ? Number(v).toFixed(2) : v);
const query = (obj) => {
  const parts = Object.entries(obj).filter(([, v]) => v !== "" && v !== undefined && v !== null);
  return parts.length ? "?" + parts.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&") : "";
};

function parseHash() {
  const hash = location.hash || "#/";
  const [path, qs] = hash.slice(1).split("?");
  const params = Object.fromEntries(new URLSearchParams(qs || ""));
  return { path, params };
}

function runName(i) {
  const run = DATA.runs[i];
  return run ? `${i}: ${run.name}` : String(i);
}

function header() {
  const total = ROWS.length;
  const passed = ROWS.reduce((n, r) => n + r[COL.passed], 0);
  document.getElementById("runs-line").textContent =
    DATA.runs.map((r, i) => `${runName(i)} (${r.episodes})`).join(" · ") +
    ` — ${total} episodes, ${total ? ((100 * passed) / total).toFixed(1) : 0} % passed`;
  document.getElementById("nav-compare").hidden = !DATA.compare;
}

// ---- plots: every bar is a link to the filtered index of its episodes ----

function bars(title, items, max, axis) {
  // items: [{label, parts: [{value, href, cls, title}]}]; the axis always starts at 0.
  const rows = items.length ? items
    .map(
      (it) =>
        `<div class="bar-row"><span class="bar-label" title="${esc(it.label)}">${esc(it.label)}</span><span class="bar-track">` +
        it.parts
          .map(
            (p) =>
              `<a class="bar ${p.cls || ""}" href="${esc(p.href)}" title="${esc(p.title)}" style="width:${(100 * p.value) / (max || 1)}%"></a>`
          )
          .join("") +
        `</span><span class="bar-value">${esc(it.note)}</span></div>`
    )
    .join("") : "<p>none</p>";
  return `<figure class="plot"><figcaption>${esc(title)}</figcaption>${rows}<div class="axis">${esc(axis)}</div></figure>`;
}

function counts(col, filter) {
  const out = new Map();
  for (const r of ROWS) {
    if (filter && !filter(r)) continue;
    const k = r[col];
    out.set(k, (out.get(k) || 0) + 1);
  }
  return out;
}

function plots() {
  const bySource = new Map();
  for (const r of ROWS) {
    const s = bySource.get(r[COL.source]) || [0, 0];
    s[0] += r[COL.passed];
    s[1] += 1;
    bySource.set(r[COL.source], s);
  }
  const sources = [...bySource.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const sourcePlot = bars(
    "success by source (green passed, red failed; click a bar for its episodes)",
    sources.map(([source, [ok, n]]) => ({
      label: source,
      note: `${ok}/${n} (${Math.round((100 * ok) / n)} %)`,
      parts: [
        { value: ok / n, href: "#/" + query({ source, passed: 1 }), cls: "pass", title: `${ok} passed` },
        { value: (n - ok) / n, href: "#/" + query({ source, passed: 0 }), cls: "fail", title: `${n - ok} failed` },
      ],
    })),
    1,
    "0 % — share of the source's episodes — 100 %"
  );
  const failures = [...counts(COL.failure, (r) => r[COL.failure]).entries()].sort((a, b) => b[1] - a[1]);
  const fmax = Math.max(1, ...failures.map((f) => f[1]));
  const failurePlot = bars(
    "failures by kind",
    failures.map(([failure, n]) => ({
      label: failure,
      note: String(n),
      parts: [{ value: n, href: "#/" + query({ failure }), cls: "fail", title: `${n} episodes` }],
    })),
    fmax,
    `0 — failed episodes — ${fmax}`
  );
  const turns = [...counts(COL.turns).entries()].sort((a, b) => a[0] - b[0]);
  const tmax = Math.max(1, ...turns.map((t) => t[1]));
  const turnPlot = bars(
    "turns per episode",
    turns.map(([t, n]) => ({
      label: `${t} turn${t === 1 ? "" : "s"}`,
      note: String(n),
      parts: [{ value: n, href: "#/" + query({ turns: t }), cls: "neutral", title: `${n} episodes` }],
    })),
    tmax,
    `0 — episodes — ${tmax}`
  );
  return `<div class="plots">${sourcePlot}${failurePlot || ""}${turnPlot}</div>`;
}

// ---- the index ----

function options(col) {
  const values = [...new Set(ROWS.map((r) => r[COL[col]]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return values;
}

function filterControls(params) {
  const selects = ["run", "source", "family", "category", "agent", "sandbox", "termination", "failure"]
    .map((col) => {
      const opts = options(col)
        .map((v) => `<option value="${esc(v)}"${String(params[col]) === String(v) ? " selected" : ""}>${esc(col === "run" ? runName(v) : v === "" ? "(none)" : v)}</option>`)
        .join("");
      return `<label>${col}<select data-filter="${col}"><option value="">all</option>${opts}</select></label>`;
    })
    .join("");
  const outcome = `<label>outcome<select data-filter="passed"><option value="">all</option><option value="1"${params.passed === "1" ? " selected" : ""}>passed</option><option value="0"${params.passed === "0" ? " selected" : ""}>failed</option></select></label>`;
  return `<div class="filters"><input id="search" type="search" placeholder="search task, category, failure…" value="${esc(params.q || "")}">${selects}${outcome}${
    params.turns !== undefined ? `<label>turns<input data-filter="turns" value="${esc(params.turns)}" size="3"></label>` : ""
  }<button id="clear">clear</button></div>`;
}

function tableHead() {
  return (
    "<tr>" +
    (DATA.runs.length > 1 ? '<th data-sort="run">run</th>' : "") +
    SHOWN.map((c) => `<th data-sort="${c}" class="${state.sort === c ? (state.desc ? "desc" : "asc") : ""}">${c === "task_id" ? "task" : c}</th>`).join("") +
    "</tr>"
  );
}

function applyFilter() {
  const t0 = performance.now();
  const want = {};
  for (const f of FILTERS) if (state[f] !== undefined && state[f] !== "") want[COL[f]] = String(state[f]);
  const keys = Object.keys(want).map(Number);
  const q = state.q.trim().toLowerCase();
  current = [];
  for (let i = 0; i < ROWS.length; i++) {
    const r = ROWS[i];
    let ok = true;
    for (const k of keys) if (String(r[k]) !== want[k]) { ok = false; break; }
    if (ok && q && !HAY[i].includes(q)) ok = false;
    if (ok) current.push(i);
  }
  if (state.sort) {
    const c = COL[state.sort];
    const dir = state.desc ? -1 : 1;
    const numeric = NUMERIC.has(state.sort);
    current.sort((a, b) => {
      const x = ROWS[a][c], y = ROWS[b][c];
      return dir * (numeric ? x - y : String(x).localeCompare(String(y)));
    });
  }
  renderTable();
  const ms = performance.now() - t0;
  window.MEDGYM_FILTER_MS = ms;
  document.body.dataset.filterMs = ms.toFixed(2);
}

function renderTable() {
  const body = current
    .slice(0, state.limit)
    .map((i) => {
      const r = ROWS[i];
      const cells = SHOWN.map((c) =>
        c === "task_id"
          ? `<td><a href="${esc(episodeHref(r[COL.run], r[COL.id]))}">${esc(r[COL.task_id])}</a></td>`
          : `<td>${esc(fmt(c, r[COL[c]]))}</td>`
      ).join("");
      const run = DATA.runs.length > 1 ? `<td>${esc(runName(r[COL.run]))}</td>` : "";
      return `<tr class="${r[COL.passed] ? "pass" : "fail"}">${run}${cells}</tr>`;
    })
    .join("");
  document.getElementById("episodes-body").innerHTML = body;
  document.getElementById("episodes-head").innerHTML = tableHead();
  document.getElementById("count").textContent = `${current.length} of ${ROWS.length} episodes match` + (current.length > state.limit ? ` (showing ${state.limit})` : "");
  document.getElementById("more").hidden = current.length <= state.limit;
}

function syncHash() {
  const params = {};
  for (const f of FILTERS) if (state[f] !== undefined && state[f] !== "") params[f] = state[f];
  if (state.q) params.q = state.q;
  if (state.sort) Object.assign(params, { sort: state.sort, desc: state.desc ? 1 : "" });
  lastIndexHash = "#/" + query(params);
  history.replaceState(null, "", lastIndexHash);
}

function showIndex(params) {
  state = { q: params.q || "", sort: params.sort || "", desc: params.desc === "1", limit: PAGE };
  for (const f of FILTERS) state[f] = params[f] ?? "";
  lastIndexHash = location.hash || "#/";
  const unreadable = DATA.runs.flatMap((r) => r.unreadable.map((u) => `${r.name}/${u}`));
  const excluded = DATA.runs.flatMap((r) =>
    r.excluded.map((t) => `<li>${esc(t.source)}: ${esc(t.task_id || t.where || "")} ${esc(t.reason)}</li>`)
  );
  app.innerHTML =
    plots() +
    (excluded.length ? `<details class="excluded"><summary>${excluded.length} task(s) excluded by their family</summary><ul>${excluded.join("")}</ul></details>` : "") +
    (unreadable.length ? `<details class="problem"><summary>${unreadable.length} notebook(s) unreadable (still being written?)</summary><ul>${unreadable.map((u) => `<li>${esc(u)}</li>`).join("")}</ul></details>` : "") +
    filterControls(params) +
    `<p id="count"></p><table class="episodes"><thead id="episodes-head"></thead><tbody id="episodes-body"></tbody></table><button id="more" hidden>show more</button>`;
  const search = document.getElementById("search");
  search.addEventListener("input", () => {
    state.q = search.value;
    state.limit = PAGE;
    applyFilter();
    syncHash();
  });
  app.querySelectorAll("[data-filter]").forEach((el) =>
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", () => {
      state[el.dataset.filter] = el.value;
      state.limit = PAGE;
      applyFilter();
      syncHash();
    })
  );
  document.getElementById("episodes-head").addEventListener("click", (e) => {
    const col = e.target.dataset && e.target.dataset.sort;
    if (!col) return;
    state.desc = state.sort === col ? !state.desc : false;
    state.sort = col;
    applyFilter();
    syncHash();
  });
  document.getElementById("more").addEventListener("click", () => {
    state.limit += PAGE * 5;
    renderTable();
  });
  document.getElementById("clear").addEventListener("click", () => (location.hash = "#/"));
  applyFilter();
}

// ---- an episode ----

window.MEDGYM_EPISODE = (key, html) => {
  episodes[key] = html;
  const { path } = parseHash();
  if (path === `/episode/${key}`) renderEpisode(key);
};

function renderEpisode(key) {
  const pos = current.findIndex((i) => `${ROWS[i][COL.run]}/${ROWS[i][COL.id]}` === key);
  const near = (d) => {
    const i = current[pos + d];
    return pos >= 0 && i !== undefined ? `<a href="${esc(episodeHref(ROWS[i][COL.run], ROWS[i][COL.id]))}">${d < 0 ? "← previous" : "next →"}</a>` : "";
  };
  app.innerHTML =
    `<nav class="episode-nav"><a href="${esc(lastIndexHash)}">↑ back to the episodes</a> ${near(-1)} ${near(1)}` +
    `<span class="where">${esc(runName(Number(key.split("/")[0])))} · ${esc(key.split("/").slice(1).join("/"))}</span></nav>` +
    `<article class="episode">${episodes[key]}</article>`;
  document.body.dataset.episode = key;
}

function showEpisode(key) {
  if (episodes[key] !== undefined) return renderEpisode(key);
  app.innerHTML = `<p>Loading ${esc(key)}…</p>`;
  const [run, ...id] = key.split("/");
  const script = document.createElement("script");
  script.src = `data/episodes/${run}/${id.map(encodeURIComponent).join("/")}.js`;
  script.onerror = () => (app.innerHTML = `<p class="problem">No such episode: ${esc(key)}</p>`);
  document.head.appendChild(script);
}

// ---- comparing two runs ----

function showCompare(params) {
  const all = DATA.compare || [];
  const only = params.all !== "1";
  const flips = all.filter((f) => f.passed_a !== f.passed_b);
  const lost = flips.filter((f) => f.passed_a).length;
  const shown = only ? flips : all;
  const verdict = (p) => (p ? '<span class="pass">passed</span>' : '<span class="fail">failed</span>');
  const rows = shown
    .map(
      (f) =>
        `<tr class="${f.passed_a !== f.passed_b ? "flip" : ""}"><td>${esc(f.key)}</td>` +
        `<td><a href="${esc(episodeHref(0, f.a))}">${verdict(f.passed_a)}</a></td>` +
        `<td><a href="${esc(episodeHref(1, f.b))}">${verdict(f.passed_b)}</a></td>` +
        `<td>${f.diverged_at === null ? "same actions" : "turn " + f.diverged_at}</td></tr>`
    )
    .join("");
  app.innerHTML =
    `<h2>${esc(runName(0))} vs ${esc(runName(1))}</h2>` +
    `<p id="compare-summary">${all.length} task(s) in both runs; ${flips.length} flipped (${lost} passed → failed, ${flips.length - lost} failed → passed).</p>` +
    `<p>${only ? `<a href="#/compare?all=1">show all ${all.length} shared tasks</a>` : '<a href="#/compare">show flips only</a>'}</p>` +
    `<table class="compare"><thead><tr><th>task</th><th>${esc(runName(0))}</th><th>${esc(runName(1))}</th><th>first divergent turn</th></tr></thead><tbody>${rows}</tbody></table>`;
}

// ---- routing ----

function route() {
  const { path, params } = parseHash();
  document.body.dataset.view = path.startsWith("/episode/") ? "episode" : path === "/compare" ? "compare" : "index";
  delete document.body.dataset.episode;
  if (path.startsWith("/episode/")) return showEpisode(decodeURIComponent(path.slice("/episode/".length)));
  if (path === "/compare" && DATA.compare) return showCompare(params);
  showIndex(params);
}

header();
window.addEventListener("hashchange", route);
route();
window.MEDGYM_READY = performance.now();
document.body.dataset.ready = "1";
