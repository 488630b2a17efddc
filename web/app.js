// The Detente dashboard: relation temperature of a pair or a group of
// countries, drawn with uPlot from detente-query's HTTP/JSON API, kept fresh
// by polling with If-None-Match (a 304 changes nothing on the page).
//
// State lives in the URL's query string (a, b, mode, actors, from, to,
// resolution, half_life, movers_years, poll) so that a view can be shared;
// changing it uses history.replaceState, never a reload.

const uPlot = window.uPlot;

const DAY_S = 86400;
const DEFAULTS = {
  mode: "pair",
  a: "KOR",
  b: "JPN",
  actors: "USA,KOR,JPN",
  from: "",
  to: "",
  resolution: "month",
  half_life: "90",
  movers_years: "5",
};
const RESOLUTION_NAMES = {
  RESOLUTION_DAY: "daily",
  RESOLUTION_WEEK: "weekly",
  RESOLUTION_MONTH: "monthly",
  RESOLUTION_QUARTER: "quarterly",
  RESOLUTION_YEAR: "yearly",
};
const MAX_GROUP_TIMELINES = 15; // pairs of a group whose events are marked

const $ = (sel) => document.querySelector(sel);
const el = {
  form: $("#controls"),
  a: $("#actor-a"),
  b: $("#actor-b"),
  group: $("#group"),
  from: $("#from"),
  to: $("#to"),
  resolution: $("#resolution"),
  halfLife: $("#half-life"),
  chart: $("#chart"),
  chartTitle: $("#chart-title"),
  chartSubtitle: $("#chart-subtitle"),
  chartSummary: $("#chart-summary"),
  chartError: $("#chart-error"),
  tooltip: $("#tooltip"),
  status: $("#status"),
  statusText: $("#status-text"),
  moversSpan: $("#movers-span"),
  moversRange: $("#movers-range"),
  warmed: $("#warmed tbody"),
  cooled: $("#cooled tbody"),
  events: $("#events tbody"),
  eventsCount: $("#events-count"),
};

// ---------------------------------------------------------------- state ----

function readState() {
  const q = new URLSearchParams(location.search);
  const s = {};
  for (const [k, v] of Object.entries(DEFAULTS)) s[k] = q.get(k) ?? v;
  s.a = s.a.toUpperCase();
  s.b = s.b.toUpperCase();
  s.poll = Math.max(250, Number(q.get("poll")) || 5000);
  return s;
}

let state = readState();

function writeState() {
  const q = new URLSearchParams();
  for (const k of Object.keys(DEFAULTS)) {
    if (state[k] !== DEFAULTS[k]) q.set(k, state[k]);
  }
  if (state.poll !== 5000) q.set("poll", String(state.poll));
  const qs = q.toString();
  history.replaceState(null, "", qs ? `?${qs}` : location.pathname);
}

function groupActors() {
  return state.actors
    .split(",")
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean);
}

function todayIso() {
  return new Date().toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- fetch ----

class ApiError extends Error {
  constructor(status, body) {
    const violations = (body?.details ?? [])
      .flatMap((d) => d.fieldViolations ?? [])
      .map((v) => `${v.field}: ${v.description}`);
    super(violations.length ? violations.join("; ") : body?.message || `HTTP ${status}`);
    this.status = status;
  }
}

// One polled answer: remembers the URL and ETag of its last 200, sends
// If-None-Match while the URL stays the same, and reports whether the answer
// changed (false on 304).
class Resource {
  constructor() {
    this.url = null;
    this.etag = null;
    this.data = null;
  }
  async refresh(url) {
    const headers = {};
    if (url === this.url && this.etag) headers["If-None-Match"] = this.etag;
    const res = await fetch(url, { headers, cache: "no-store" });
    if (res.status === 304) return false;
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      this.url = null;
      this.etag = null;
      throw new ApiError(res.status, body);
    }
    this.url = url;
    this.etag = res.headers.get("ETag");
    this.data = body;
    return true;
  }
}

function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== "" && v != null) q.set(k, v);
  }
  return q.toString();
}

// A timeline (all pages): the first page is polled with If-None-Match; the
// rest are read again only when it changed.
class Timeline {
  constructor(a, b) {
    this.a = a;
    this.b = b;
    this.first = new Resource();
    this.events = [];
  }
  async refresh(from, to) {
    const base = `/v1/pairs/${encodeURIComponent(this.a)}/${encodeURIComponent(this.b)}/timeline`;
    const params = { from, to, page_size: 1000 };
    if (!(await this.first.refresh(`${base}?${qs(params)}`))) return false;
    let page = this.first.data;
    const events = [...(page.events ?? [])];
    while (page.nextPageToken) {
      const res = await fetch(`${base}?${qs({ ...params, page_token: page.nextPageToken })}`, {
        cache: "no-store",
      });
      page = await res.json();
      if (!res.ok) throw new ApiError(res.status, page);
      events.push(...(page.events ?? []));
    }
    this.events = events;
    return true;
  }
}

// ---------------------------------------------------------------- format ---

const MINUS = "\u2212";
function signed(x, digits = 2) {
  if (x == null || Number.isNaN(x)) return "–";
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return s;
  return (x < 0 ? MINUS : "+") + s;
}
function plain(x, digits = 2) {
  if (x == null || Number.isNaN(x)) return "–";
  return (x < 0 ? MINUS : "") + Math.abs(x).toFixed(digits);
}
function isoToSeconds(iso) {
  // "2021", "2021-05" or "2021-05-03": the first day, UTC.
  const [y, m = "01", d = "01"] = iso.split("-");
  return Date.UTC(Number(y), Number(m) - 1, Number(d)) / 1000;
}
function secondsToIso(s) {
  return new Date(s * 1000).toISOString().slice(0, 10);
}
function escapeHtml(s) {
  return String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}
function tempClass(x) {
  if (x > 0.05) return "warm";
  if (x < -0.05) return "cool";
  return "neutral";
}

// ---------------------------------------------------------------- actors ---

const actorNames = new Map(); // code -> name
const actorSummaries = new Map(); // code -> Resource

function actorLabel(code) {
  const name = actorNames.get(code);
  return name ? `${code} — ${name}` : code;
}

// Discovers the actors that have events: starting from the ones on screen and
// in the movers tables, following each actor's partners.
async function discoverActors(seeds) {
  const queue = [...new Set(seeds)];
  const seen = new Set();
  let changed = false;
  while (queue.length && seen.size < 64) {
    const code = queue.shift();
    if (seen.has(code)) continue;
    seen.add(code);
    let r = actorSummaries.get(code);
    if (!r) actorSummaries.set(code, (r = new Resource()));
    try {
      if (await r.refresh(`/v1/actors/${encodeURIComponent(code)}`)) changed = true;
    } catch {
      continue; // an unknown code typed by someone: no name, no partners
    }
    const d = r.data;
    if (d.name && actorNames.get(code) !== d.name) {
      actorNames.set(code, d.name);
      changed = true;
    }
    for (const p of d.partners ?? []) {
      for (const other of [p.actorA, p.actorB]) if (!seen.has(other)) queue.push(other);
    }
  }
  return changed;
}

function fillActorSelects() {
  const codes = [...actorNames.keys()];
  for (const c of [state.a, state.b]) if (c && !codes.includes(c)) codes.push(c);
  codes.sort((x, y) => (actorNames.get(x) ?? x).localeCompare(actorNames.get(y) ?? y));
  for (const [select, value] of [
    [el.a, state.a],
    [el.b, state.b],
  ]) {
    const html = codes
      .map((c) => `<option value="${escapeHtml(c)}">${escapeHtml(actorLabel(c))}</option>`)
      .join("");
    if (select.innerHTML !== html) select.innerHTML = html;
    select.value = value;
  }
}

// ---------------------------------------------------------------- chart ----

let plot = null;
let plotEvents = []; // [{x, y, ev}] of the markers, in series order
let pinned = false;
let renders = 0;
let chartRange = null; // [from, to] of the series, seconds
let chartPrior = 1;

// Confidence of a point: the share of the evidence in the estimate,
// heat / (prior + heat), from 0 (no recent events) to 1.
function confidence(heat, prior) {
  return heat / ((prior > 0 ? prior : 1e-9) + heat);
}

// The temperature line's stroke: a horizontal gradient whose opacity follows
// the confidence of each point, so that a value backed by little recent
// evidence fades out.
function confidenceStroke(u) {
  if (!u.data || !u.data[0] || !u.bbox) return "#1d4ed8";
  const xs = u.data[0];
  const temps = u.data[1];
  const heats = u.data[2];
  const prior = chartPrior;
  const { left, width } = u.bbox;
  if (width <= 0) return "#1d4ed8";
  const g = u.ctx.createLinearGradient(left, 0, left + width, 0);
  let any = false;
  for (let i = 0; i < xs.length; i++) {
    if (temps[i] == null) continue;
    const px = u.valToPos(xs[i], "x", true);
    const off = (px - left) / width;
    if (off < 0 || off > 1) continue;
    const alpha = 0.18 + 0.82 * confidence(heats[i], prior);
    g.addColorStop(off, `rgba(29, 78, 216, ${alpha.toFixed(3)})`);
    any = true;
  }
  return any ? g : "#1d4ed8";
}

function tintBackground(u) {
  // Faint warm tint above 0, cool below.
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const zero = u.valToPos(0, "y", true);
  ctx.save();
  ctx.fillStyle = "rgba(22, 163, 74, 0.045)";
  ctx.fillRect(left, top, width, Math.max(0, zero - top));
  ctx.fillStyle = "rgba(220, 38, 38, 0.045)";
  ctx.fillRect(left, zero, width, Math.max(0, top + height - zero));
  ctx.strokeStyle = "rgba(15, 23, 42, 0.35)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, Math.round(zero) + 0.5);
  ctx.lineTo(left + width, Math.round(zero) + 0.5);
  ctx.stroke();
  ctx.restore();
}

function makePlot(width) {
  const axisFont = "12px system-ui, sans-serif";
  const grid = { stroke: "rgba(15, 23, 42, 0.07)", width: 1 };
  const opts = {
    width,
    height: 380,
    padding: [12, 8, 0, 4],
    cursor: {
      drag: { x: true, y: false },
      // The legend's temperature and heat are those of the nearest period,
      // also when the cursor is nearest to an event.
      dataIdx: (u, si, hovered) => {
        if (si > 2) return hovered;
        const ys = u.data[si];
        for (let d = 0; d < ys.length; d++) {
          if (ys[hovered - d] != null) return hovered - d;
          if (ys[hovered + d] != null) return hovered + d;
        }
        return hovered;
      },
      points: { size: 7 },
    },
    scales: {
      x: {
        time: true,
        // The whole requested range, not just the span of the data.
        range: (u, min, max) => {
          const r = chartRange;
          return r ? [Math.min(min, r[0]), Math.max(max, r[1])] : [min, max];
        },
      },
      t: { range: [-10, 10] },
      heat: { range: (u, min, max) => [0, Math.max(1, max) * 2.6] },
    },
    axes: [
      { font: axisFont, grid, ticks: grid, stroke: "#475569" },
      {
        scale: "t",
        label: "temperature",
        labelFont: axisFont,
        font: axisFont,
        grid,
        ticks: grid,
        stroke: "#475569",
        splits: () => [-10, -5, 0, 5, 10],
        values: (u, vals) => vals.map((v) => (v > 0 ? `+${v}` : v < 0 ? `${MINUS}${-v}` : "0")),
      },
      {
        scale: "heat",
        side: 1,
        label: "heat",
        labelFont: axisFont,
        font: axisFont,
        grid: { show: false },
        ticks: { show: false },
        stroke: "#94a3b8",
        values: (u, vals) => vals.map((v) => (v >= 100 ? v.toFixed(0) : +v.toFixed(1))),
      },
    ],
    series: [
      {
        label: "Date",
        value: (u, v) => (v == null ? "–" : secondsToIso(v)),
      },
      {
        label: "Temperature",
        scale: "t",
        stroke: confidenceStroke,
        width: 2.5,
        spanGaps: true,
        points: { show: (u) => u.data[1].filter((v) => v != null).length <= 60, size: 5, fill: "#1d4ed8", stroke: "#fff" },
        value: (u, v) => signed(v),
      },
      {
        label: "Heat",
        scale: "heat",
        stroke: "rgba(100, 116, 139, 0.55)",
        fill: "rgba(148, 163, 184, 0.16)",
        width: 1,
        spanGaps: true,
        points: { show: false },
        value: (u, v) => (v == null ? "–" : v.toFixed(2)),
      },
      {
        label: "Cooperation events",
        scale: "t",
        stroke: "#15803d",
        fill: "#22c55e",
        paths: () => null,
        points: { show: true, size: 10, width: 1.5, stroke: "#ffffff", fill: "#16a34a" },
        value: (u, v) => (v == null ? "–" : signed(v, 1)),
      },
      {
        label: "Conflict events",
        scale: "t",
        stroke: "#b91c1c",
        fill: "#ef4444",
        paths: () => null,
        points: { show: true, size: 10, width: 1.5, stroke: "#ffffff", fill: "#dc2626" },
        value: (u, v) => (v == null ? "–" : signed(v, 1)),
      },
    ],
    legend: { live: true },
    hooks: {
      drawClear: [tintBackground],
      setCursor: [onCursor],
    },
  };
  return opts;
}

// Builds uPlot's aligned data: one x array (period ends and event days) and
// one array per series, null where a series has no value.
function buildData(points, events) {
  const rows = new Map();
  const row = (x) => {
    let r = rows.get(x);
    if (!r) rows.set(x, (r = { x, t: null, h: null, coop: null, conf: null, ev: null }));
    return r;
  };
  for (const p of points) {
    const r = row(p.end);
    r.t = p.temperature;
    r.h = p.heat;
  }
  // Events of the same day get their own x, a few minutes apart.
  const perDay = new Map();
  const markers = [];
  for (const te of events) {
    if (te.retracted) continue;
    const e = te.event.event;
    const day = isoToSeconds(e.occurredOn);
    const n = perDay.get(day) ?? 0;
    perDay.set(day, n + 1);
    const x = day + n * 600;
    const r = rows.get(x) && rows.get(x).ev ? row(x + 1) : row(x);
    const g = e.goldstein ?? 0;
    if (g >= 0) r.coop = g;
    else r.conf = g;
    r.ev = te;
    markers.push({ x: r.x, y: g, ev: te });
  }
  const sorted = [...rows.values()].sort((p, q) => p.x - q.x);
  const data = [
    sorted.map((r) => r.x),
    sorted.map((r) => r.t),
    sorted.map((r) => r.h),
    sorted.map((r) => r.coop),
    sorted.map((r) => r.conf),
  ];
  markers.sort((p, q) => p.x - q.x);
  return { data, markers };
}

// The answer's periods as objects. The page asks for layout=columns (one
// array per field, about a quarter of the JSON of a daily series), days counted from
// 1970-01-01; an answer with points (layout=points) works too.
function periodsOf(answer) {
  const c = answer.columns;
  if (!c) {
    return (answer.points ?? []).map((p) => ({
      end: isoToSeconds(p.periodEnd), temperature: p.temperature, heat: p.heat, events: p.events ?? 0,
    }));
  }
  return c.periodEndDay.map((day, i) => ({
    end: day * DAY_S, temperature: c.temperature[i], heat: c.heat[i], events: c.events[i],
  }));
}

function renderChart(answer, events) {
  const points = periodsOf(answer);
  const { data, markers } = buildData(points, events);
  plotEvents = markers;
  const spec0 = answer.spec ?? {};
  chartPrior = spec0.prior ?? 1;
  chartRange = spec0.from && spec0.to
    ? [isoToSeconds(spec0.from), isoToSeconds(spec0.to) + DAY_S - 1]
    : null;
  const width = Math.max(320, el.chart.clientWidth);
  if (!plot) {
    el.chart.innerHTML = "";
    plot = new uPlot(makePlot(width), data, el.chart);
  } else {
    plot.setData(data);
  }
  renders += 1;

  const rendered = data[1].filter((v) => v != null).length;
  el.chart.dataset.points = String(rendered);
  el.chart.dataset.events = String(markers.length);
  el.chart.dataset.position = answer.position ?? "0";
  el.chart.dataset.renders = String(renders);
  el.chart.dataset.subject = subjectKey();
  el.chart.dataset.ready = "true";

  const spec = answer.spec ?? {};
  const res = RESOLUTION_NAMES[spec.resolution] ?? "";
  el.chartSubtitle.textContent =
    `${spec.from} to ${spec.to} · ${res}, ${points.length} points · ` +
    `half-life ${spec.halfLifeDays} days · prior ${spec.prior}`;
  const last = points[points.length - 1];
  const mean = points.length ? points.reduce((s, p) => s + p.temperature, 0) / points.length : null;
  const count = points.reduce((s, p) => s + (p.events ?? 0), 0);
  el.chartSummary.innerHTML = last
    ? `<div><dt>Latest</dt><dd class="${tempClass(last.temperature)}">${signed(last.temperature)}</dd></div>
       <div><dt>Heat</dt><dd>${last.heat.toFixed(2)}</dd></div>
       <div><dt>Mean</dt><dd class="${tempClass(mean)}">${signed(mean)}</dd></div>
       <div><dt>Events</dt><dd>${count}</dd></div>`
    : "";
  el.chart.setAttribute(
    "aria-label",
    `Temperature of ${subjectTitle()}, ${points.length} ${res} points from ${spec.from} to ${spec.to}` +
      (last ? `, latest ${signed(last.temperature)} with heat ${last.heat.toFixed(2)}` : "") +
      `, ${markers.length} events marked.`,
  );
  renderEventsTable(markers);
}

function renderEventsTable(markers) {
  const rows = [...markers]
    .reverse()
    .map(({ ev }) => {
      const e = ev.event.event;
      const g = e.goldstein ?? 0;
      const link = e.sourceUrl
        ? `<a href="${escapeHtml(e.sourceUrl)}" target="_blank" rel="noopener noreferrer">${escapeHtml(e.sourceName || "source")}</a>`
        : escapeHtml(e.sourceName);
      return `<tr>
        <td class="date">${escapeHtml(e.occurredOn)}</td>
        <td><div class="ev-title">${escapeHtml(e.title || "(untitled)")}</div>
            <div class="muted small">${escapeHtml(e.source)} → ${escapeHtml(e.target)}${link ? ` · ${link}` : ""}${ev.corrected ? " · corrected" : ""}</div></td>
        <td class="code">${escapeHtml(e.eventCode)}</td>
        <td class="num ${tempClass(g)}">${signed(g, 1)}</td>
      </tr>`;
    })
    .join("");
  el.events.innerHTML = rows || `<tr><td colspan="4" class="muted">No events in this range.</td></tr>`;
  el.eventsCount.textContent = `${markers.length} in range`;
}

// ---------------------------------------------------------------- tooltip --

function nearestMarker(u, left, top) {
  let best = null;
  let bestD = 10 * 10;
  for (const m of plotEvents) {
    const px = u.valToPos(m.x, "x");
    const py = u.valToPos(m.y, "t");
    const d = (px - left) ** 2 + (py - top) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = { m, px, py };
    }
  }
  return best;
}

function showTooltip(u, hit) {
  const e = hit.m.ev.event.event;
  const g = e.goldstein ?? 0;
  const source = e.sourceUrl
    ? `<a href="${escapeHtml(e.sourceUrl)}" target="_blank" rel="noopener noreferrer">${escapeHtml(e.sourceName || e.sourceUrl)}</a>`
    : escapeHtml(e.sourceName || "no source given");
  el.tooltip.innerHTML = `
    <div class="tt-date">${escapeHtml(e.occurredOn)} · ${escapeHtml(e.source)} → ${escapeHtml(e.target)}</div>
    <div class="tt-title">${escapeHtml(e.title || "(untitled)")}</div>
    <div class="tt-meta">CAMEO <strong>${escapeHtml(e.eventCode)}</strong> · score
      <strong class="${tempClass(g)}">${signed(g, 1)}</strong></div>
    <div class="tt-source">${source}</div>
    ${pinned ? "" : '<div class="tt-hint">click to pin</div>'}`;
  el.tooltip.hidden = false;
  // Position inside the chart card, next to the marker.
  const card = el.chart.closest(".chart-card").getBoundingClientRect();
  const over = u.over.getBoundingClientRect();
  const x = over.left - card.left + hit.px;
  const y = over.top - card.top + hit.py;
  const tw = el.tooltip.offsetWidth;
  const left = x + 14 + tw > card.width ? x - 14 - tw : x + 14;
  el.tooltip.style.left = `${Math.max(4, left)}px`;
  el.tooltip.style.top = `${Math.max(4, y - 20)}px`;
}

function hideTooltip() {
  el.tooltip.hidden = true;
  pinned = false;
}

function onCursor(u) {
  if (pinned) return;
  const { left, top } = u.cursor;
  if (left == null || left < 0) {
    hideTooltip();
    return;
  }
  const hit = nearestMarker(u, left, top);
  if (hit) showTooltip(u, hit);
  else el.tooltip.hidden = true;
}

el.chart.addEventListener("click", () => {
  if (!plot) return;
  if (pinned) {
    hideTooltip();
    return;
  }
  const hit = nearestMarker(plot, plot.cursor.left, plot.cursor.top);
  if (hit) {
    pinned = true;
    showTooltip(plot, hit);
  }
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") hideTooltip();
});

// ---------------------------------------------------------------- movers ---

function renderMovers(answer, from, to) {
  el.moversRange.textContent = `Change of temperature from ${from} to ${to}; click a pair to chart it.`;
  const row = (c) => {
    const [a, b] = c.stream.split("-");
    const current = state.mode === "pair" && new Set([state.a, state.b]).size === 2 &&
      [a, b].every((x) => x === state.a || x === state.b);
    const names = `${actorNames.get(a) ?? a} – ${actorNames.get(b) ?? b}`;
    return `<tr data-stream="${escapeHtml(c.stream)}" class="${current ? "current" : ""}">
      <th scope="row"><button type="button" class="pair-link" data-a="${escapeHtml(a)}" data-b="${escapeHtml(b)}"
        title="${escapeHtml(names)}" aria-label="Chart ${escapeHtml(names)}">${escapeHtml(a)} – ${escapeHtml(b)}</button></th>
      <td class="num ${tempClass(c.temperatureFrom)}">${signed(c.temperatureFrom)}</td>
      <td class="num ${tempClass(c.temperatureTo)}">${signed(c.temperatureTo)}</td>
      <td class="num change ${tempClass(c.change)}">${c.change >= 0 ? "▲" : "▼"} ${plain(Math.abs(c.change))}</td>
    </tr>`;
  };
  const empty = `<tr><td colspan="4" class="muted">No pair moved.</td></tr>`;
  // Changes that print as 0.00 are no movement.
  const moved = (list) => (list ?? []).filter((c) => Math.abs(c.change) >= 0.005);
  el.warmed.innerHTML = moved(answer.warmed).map(row).join("") || empty;
  el.cooled.innerHTML = moved(answer.cooled).map(row).join("") || empty;
}

for (const body of [el.warmed, el.cooled]) {
  body.addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-stream]");
    if (!tr) return;
    const [a, b] = tr.dataset.stream.split("-");
    selectPair(a, b);
  });
}

function selectPair(a, b) {
  state.mode = "pair";
  state.a = a;
  state.b = b;
  syncForm();
  writeState();
  resetSubject();
  refreshSoon();
  el.chart.scrollIntoView({ behavior: "smooth", block: "center" });
}

// ---------------------------------------------------------------- status ---

const STATE_NAMES = {
  PROJECTION_STATE_CATCHING_UP: "catching up",
  PROJECTION_STATE_LIVE: "live",
  PROJECTION_STATE_REBUILDING: "rebuilding",
  PROJECTION_STATE_DISCONNECTED: "disconnected",
};

function renderStatus(s, error) {
  if (error) {
    el.status.dataset.state = "error";
    el.statusText.textContent = `query service unreachable`;
    el.status.title = String(error.message ?? error);
    return;
  }
  const name = STATE_NAMES[s.state] ?? "starting";
  el.status.dataset.state = name.replace(" ", "-");
  el.statusText.textContent = `${name} · position ${s.projectionPosition} · lag ${s.lag}`;
  el.status.title = s.lastError ? `last error: ${s.lastError}` : `following ${s.ingestAddress}`;
}

// ---------------------------------------------------------------- loop -----

let series = new Resource();
let timelines = [];
const movers = new Resource();
let lastPosition = null;

function subjectKey() {
  return state.mode === "pair" ? `${state.a}-${state.b}` : groupActors().join(",");
}
function subjectTitle() {
  if (state.mode === "pair") return `${actorLabel(state.a)} and ${actorLabel(state.b)}`;
  return `the group ${groupActors().join(", ")}`;
}

function resetSubject() {
  series = new Resource();
  timelines = [];
  pinned = false;
  el.tooltip.hidden = true;
}

function seriesUrl() {
  const common = {
    from: state.from,
    to: state.to,
    resolution: state.resolution,
    half_life_days: state.half_life,
    layout: "columns",
  };
  if (state.mode === "pair") {
    return `/v1/pairs/${encodeURIComponent(state.a)}/${encodeURIComponent(state.b)}/temperature?${qs(common)}`;
  }
  return `/v1/groups/temperature?${qs({ actors: groupActors().join(","), ...common })}`;
}

function wantedTimelines() {
  if (state.mode === "pair") return [[state.a, state.b]];
  const g = groupActors();
  const pairs = [];
  for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) pairs.push([g[i], g[j]]);
  return pairs.slice(0, MAX_GROUP_TIMELINES);
}

function yearsBefore(iso, years) {
  const [y, m, d] = iso.split("-").map(Number);
  const t = new Date(Date.UTC(y - years, m - 1, d));
  if (t.getUTCDate() !== d) t.setUTCDate(0); // 29 February
  return t.toISOString().slice(0, 10);
}

async function refreshSeries() {
  const changed = await series.refresh(seriesUrl());
  const spec = series.data.spec ?? {};
  // Events of the series' range (defaults resolved by the service).
  const want = wantedTimelines();
  if (timelines.length !== want.length) timelines = want.map(([a, b]) => new Timeline(a, b));
  let eventsChanged = false;
  for (const t of timelines) {
    if (await t.refresh(spec.from, spec.to)) eventsChanged = true;
  }
  if (changed || eventsChanged) {
    const events = timelines.flatMap((t) => t.events);
    renderChart(series.data, events);
  }
  return spec;
}

async function refreshMovers(spec) {
  const to = spec?.to || state.to || todayIso();
  const from = yearsBefore(to, Number(state.movers_years) || 5);
  const url = `/v1/movers?${qs({ from, to, limit: 8, half_life_days: state.half_life })}`;
  if (await movers.refresh(url)) renderMovers(movers.data, from, to);
}

let timer = null;
let running = null;
let generation = 0;

async function cycle() {
  const gen = generation;
  // Status first: it also says whether the service is there at all.
  try {
    const res = await fetch("/v1/status", { cache: "no-store" });
    const s = await res.json();
    renderStatus(s);
    if (lastPosition !== s.projectionPosition) {
      lastPosition = s.projectionPosition;
      const seeds = [state.a, state.b, ...groupActors()];
      for (const c of movers.data?.warmed ?? []) seeds.push(...c.stream.split("-"));
      for (const c of movers.data?.cooled ?? []) seeds.push(...c.stream.split("-"));
      if (await discoverActors(seeds)) fillActorSelects();
    }
  } catch (e) {
    renderStatus(null, e);
    return;
  }
  let spec = null;
  try {
    spec = await refreshSeries();
    if (gen === generation) {
      el.chartError.hidden = true;
      el.chart.classList.remove("stale");
    }
  } catch (e) {
    console.warn("series:", e);
    if (gen !== generation) return;
    el.chartError.textContent = `Cannot show ${subjectTitle()}: ${e.message}`;
    el.chartError.hidden = false;
    el.chart.classList.add("stale");
  }
  try {
    await refreshMovers(spec);
  } catch (e) {
    el.moversRange.textContent = `Movers unavailable: ${e.message}`;
  }
}

async function loop() {
  clearTimeout(timer);
  if (!running) {
    running = cycle().finally(() => {
      running = null;
    });
  }
  await running;
  timer = setTimeout(loop, state.poll);
}

function refreshSoon() {
  generation += 1;
  // Let a running cycle finish, then start a fresh one at once.
  (running ?? Promise.resolve()).then(() => loop());
}

// ---------------------------------------------------------------- form -----

function syncForm() {
  for (const r of el.form.elements.mode) r.checked = r.value === state.mode;
  document.body.dataset.mode = state.mode;
  fillActorSelects();
  el.group.value = state.actors;
  el.from.value = state.from;
  el.to.value = state.to;
  el.resolution.value = state.resolution;
  el.halfLife.value = state.half_life;
  el.moversSpan.value = state.movers_years;
  el.chartTitle.textContent =
    state.mode === "pair" ? `${state.a} – ${state.b}` : `Group ${groupActors().join(" · ")}`;
}

function readForm() {
  const before = seriesUrl();
  state.mode = el.form.elements.mode.value;
  state.a = el.a.value || state.a;
  state.b = el.b.value || state.b;
  state.actors = el.group.value.toUpperCase().replace(/\s+/g, "") || DEFAULTS.actors;
  state.from = el.from.value;
  state.to = el.to.value;
  state.resolution = el.resolution.value;
  state.half_life = el.halfLife.value || DEFAULTS.half_life;
  state.movers_years = el.moversSpan.value;
  syncForm();
  writeState();
  if (seriesUrl() !== before) resetSubject();
  refreshSoon();
}

el.form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  readForm();
});
el.form.addEventListener("change", (ev) => {
  if (ev.target === el.group) return; // applied on submit / Enter
  if (ev.target.type === "date" && ev.target.value === "" && ev.target.validity.badInput) return;
  readForm();
});
el.moversSpan.addEventListener("change", () => {
  state.movers_years = el.moversSpan.value;
  writeState();
  refreshSoon();
});

new ResizeObserver(() => {
  if (plot) plot.setSize({ width: Math.max(320, el.chart.clientWidth), height: 380 });
}).observe(el.chart);

// For tests and the curious: the chart and a manual refresh.
window.detente = {
  get chart() {
    return plot;
  },
  get state() {
    return { ...state };
  },
  refresh: refreshSoon,
};

syncForm();
loop();
