#!/usr/bin/env node
// End-to-end test of the dashboard (web/) in headless Chromium.
//
// Starts the real detente-ingest and detente-query on free loopback ports with
// temporary data directories, loads the bundled sample history with the real
// `detente` CLI, opens the page served by detente-query and checks that:
//   1. the KOR-JPN chart shows one point per year of the chosen range;
//   2. a KOR->JPN event appended through the ingestion service changes the
//      chart (the year's value and the event markers) without a reload, and
//      polling uses If-None-Match (304s are seen);
//   3. hovering an event marker shows its date, title, CAMEO code and score;
//   4. the resolution control redraws with one point per month;
//   5. clicking a row of the movers table switches the chart to that pair.
// Saves a screenshot (dashboard.png) in the output directory.
//
//   node tests/web/dashboard.test.mjs INGEST_BIN QUERY_BIN CLI_BIN SOURCE_DIR [OUT_DIR]
// or the same through DETENTE_INGEST_BIN, DETENTE_QUERY_BIN, DETENTE_CLI_BIN,
// DETENTE_SOURCE_DIR, DETENTE_WEB_TEST_OUT. CHROMIUM overrides /usr/bin/chromium.
// Exits non-zero on any failure.

import { spawn, execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const execFileP = promisify(execFile);

const [argIngest, argQuery, argCli, argSource, argOut] = process.argv.slice(2);
const INGEST_BIN = argIngest ?? process.env.DETENTE_INGEST_BIN;
const QUERY_BIN = argQuery ?? process.env.DETENTE_QUERY_BIN;
const CLI_BIN = argCli ?? process.env.DETENTE_CLI_BIN;
const SOURCE_DIR = argSource ?? process.env.DETENTE_SOURCE_DIR;
const OUT_DIR = argOut ?? process.env.DETENTE_WEB_TEST_OUT ?? process.cwd();
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

if (!INGEST_BIN || !QUERY_BIN || !CLI_BIN || !SOURCE_DIR) {
  console.error("usage: dashboard.test.mjs INGEST_BIN QUERY_BIN CLI_BIN SOURCE_DIR [OUT_DIR]");
  process.exit(2);
}

// ------------------------------------------------------------- plumbing ----

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ""}`);
  }
  return ok;
}
class Fatal extends Error {}
function must(name, ok, detail) {
  if (!check(name, ok, detail)) throw new Fatal(name);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 20000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Fatal(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

const children = [];
function start(bin, args, logFile) {
  const log = fs.openSync(logFile, "w");
  const child = spawn(bin, args, { stdio: ["ignore", log, log] });
  child.logFile = logFile;
  children.push(child);
  child.on("exit", (code, signal) => {
    child.exited = { code, signal };
  });
  return child;
}

async function stopAll() {
  for (const c of children) {
    if (!c.exited) c.kill("SIGTERM");
  }
  const deadline = Date.now() + 5000;
  for (const c of children) {
    while (!c.exited && Date.now() < deadline) await sleep(50);
    if (!c.exited) c.kill("SIGKILL");
  }
}

async function cli(...args) {
  // The CLI reports on stderr, results on stdout.
  const { stdout, stderr } = await execFileP(CLI_BIN, ["--ingest", ingestAddr, ...args], { timeout: 60000 });
  return `${stdout}${stderr}`;
}

// Periods of a resolution that overlap [from, to] (ISO dates), counted
// independently of the service.
function periodsBetween(from, to, resolution) {
  const [fy, fm] = from.split("-").map(Number);
  const [ty, tm] = to.split("-").map(Number);
  if (resolution === "year") return ty - fy + 1;
  if (resolution === "month") return (ty - fy) * 12 + (tm - fm) + 1;
  throw new Error(`no count for ${resolution}`);
}

// ------------------------------------------------------------- setup -------

const work = fs.mkdtempSync(path.join(os.tmpdir(), "detente-web-test-"));
fs.mkdirSync(OUT_DIR, { recursive: true });
const SCREENSHOT = path.join(OUT_DIR, "dashboard.png");
const WEB_DIR = path.join(SOURCE_DIR, "web");
let ingestAddr;
let browser;

async function main() {
  for (const f of ["index.html", "app.js", "style.css", "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css"]) {
    must(`web/${f} exists`, fs.existsSync(path.join(WEB_DIR, f)),
      f.startsWith("vendor/") ? "run tools/setup.sh (it copies uPlot from node_modules)" : "");
  }
  must("chromium is installed", fs.existsSync(CHROMIUM), `${CHROMIUM} missing; run tools/setup.sh`);

  const [ingestPort, grpcPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  ingestAddr = `127.0.0.1:${ingestPort}`;
  const base = `http://127.0.0.1:${httpPort}`;

  start(INGEST_BIN, ["--listen", ingestAddr, "--data-dir", path.join(work, "ingest")], path.join(work, "ingest.log"));
  await waitFor("detente-ingest", async () => (await cli("info"), true));
  start(QUERY_BIN, [
    "--listen", `127.0.0.1:${grpcPort}`,
    "--ingest", ingestAddr,
    "--http-listen", `127.0.0.1:${httpPort}`,
    "--data-dir", path.join(work, "query"),
    "--web-dir", WEB_DIR,
  ], path.join(work, "query.log"));

  const loaded = await cli("ingest", path.join(SOURCE_DIR, "data/sample/korea-japan-triad.jsonl"));
  const head = Number(/read (\d+)/.exec(loaded)?.[1] ?? 0);
  must("sample history loaded", head > 0, loaded.trim());
  await waitFor("the projection to reach the head", async () => {
    const s = await (await fetch(`${base}/v1/status`)).json();
    return Number(s.projectionPosition) >= head && s.state === "PROJECTION_STATE_LIVE";
  });

  // ---------------------------------------------------------- browser -----
  const profile = fs.mkdtempSync(path.join(work, "chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 1100 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  let navigations = 0;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigations += 1;
  });
  const statuses = [];
  const offsite = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(base)) offsite.push(r.url());
  });
  page.on("response", (r) => {
    if (r.url().includes("/v1/")) statuses.push({ url: r.url(), status: r.status(), inm: r.request().headers()["if-none-match"] });
  });

  const FROM = "2010-01-01";
  const TO = "2023-12-31";
  await page.goto(`${base}/?from=${FROM}&to=${TO}&resolution=year&poll=700`);

  // 1. KOR-JPN, one point per year.
  const yearly = periodsBetween(FROM, TO, "year");
  await waitFor("the KOR-JPN chart", () =>
    page.evaluate(() => document.querySelector("#chart").dataset.subject === "KOR-JPN" &&
      document.querySelector("#chart").dataset.ready === "true"));
  const shown = await page.evaluate(() => {
    const u = window.detente.chart;
    return {
      attr: Number(document.querySelector("#chart").dataset.points),
      series: u.data[1].filter((v) => v != null).length,
      events: Number(document.querySelector("#chart").dataset.events),
      a: document.querySelector("#actor-a").value,
      b: document.querySelector("#actor-b").value,
    };
  });
  check("pair selects default to KOR and JPN", shown.a === "KOR" && shown.b === "JPN", JSON.stringify(shown));
  check(`KOR-JPN yearly ${FROM}..${TO} has ${yearly} points`, shown.attr === yearly && shown.series === yearly,
    `data-points ${shown.attr}, uPlot series ${shown.series}`);
  check("event markers are drawn", shown.events > 0, `markers ${shown.events}`);

  // 2. An appended event changes the chart without a reload.
  const valueOf2015 = () => page.evaluate(() => {
    const u = window.detente.chart;
    const x = Date.UTC(2015, 11, 31) / 1000; // the 2015 point: its last day
    const i = u.data[0].indexOf(x);
    return i < 0 ? null : u.data[1][i];
  });
  const before2015 = await valueOf2015();
  await page.evaluate(() => {
    window.__noReloadMarker = "still here";
  });
  const navigationsBefore = navigations;
  const rendersBefore = Number(await page.getAttribute("#chart", "data-renders"));
  await sleep(1600); // a couple of quiet polls: they must be 304s
  const quiet = statuses.filter((s) => s.inm);
  check("polling sends If-None-Match and gets 304 while nothing changes",
    quiet.length > 0 && quiet.every((s) => s.status === 304), JSON.stringify(quiet.slice(-3)));
  check("a 304 does not redraw the chart",
    Number(await page.getAttribute("#chart", "data-renders")) === rendersBefore);
  const seriesAsked = statuses.filter((s) => s.url.includes("/temperature?"));
  check("the series is asked for as columns",
    seriesAsked.length > 0 && seriesAsked.every((s) => new URL(s.url).searchParams.get("layout") === "columns"),
    JSON.stringify(seriesAsked.slice(-1)));

  const eventFile = path.join(work, "new-event.jsonl");
  fs.writeFileSync(eventFile, JSON.stringify({
    eventId: "0a3c6a1e-5b7d-4e1f-9c2a-7d3e5f1a2b3c",
    occurredOn: "2015-06-15",
    source: "KOR",
    target: "JPN",
    eventCode: "172",
    title: "Test: South Korea imposes administrative sanctions on Japan",
    sourceName: "dashboard test",
    sourceUrl: "https://example.org/detente/dashboard-test",
  }) + "\n");
  const out = await cli("ingest", eventFile);
  must("the new event is appended", /appended 1\b/.test(out), out.trim());
  await waitFor("the chart to show the new event", async () =>
    Number(await page.getAttribute("#chart", "data-events")) === shown.events + 1, 15000);
  const after2015 = await valueOf2015();
  check("the 2015 value changed", before2015 != null && after2015 != null && after2015 < before2015,
    `${before2015} -> ${after2015}`);
  const noReload = await page.evaluate(() => ({
    marker: window.__noReloadMarker,
    navEntries: performance.getEntriesByType("navigation").length,
  }));
  check("no reload happened", noReload.marker === "still here" && noReload.navEntries === 1 &&
    navigations === navigationsBefore, JSON.stringify({ ...noReload, navigations, navigationsBefore }));

  // 3. Hovering the new event's marker shows its details.
  const spot = await page.evaluate(() => {
    const u = window.detente.chart;
    const x = Date.UTC(2015, 5, 15) / 1000;
    const r = u.over.getBoundingClientRect();
    return { x: r.left + u.valToPos(x, "x"), y: r.top + u.valToPos(-5, "t") };
  });
  await page.mouse.move(spot.x, spot.y);
  const tip = await waitFor("the tooltip", () =>
    page.evaluate(() => {
      const t = document.querySelector("#tooltip");
      return !t.hidden && t.textContent.includes("administrative sanctions") ? t.innerText : null;
    }), 5000).catch((e) => String(e.message));
  check("hovering a marker shows date, title, CAMEO code, score and source link",
    /2015-06-15/.test(tip) && /CAMEO 172/.test(tip) && /\u22125\.0/.test(tip) &&
      (await page.locator('#tooltip a[href="https://example.org/detente/dashboard-test"]').count()) === 1, tip);
  await page.mouse.move(5, 5);

  // 4. The resolution control: one point per month.
  const monthly = periodsBetween(FROM, TO, "month");
  await page.selectOption("#resolution", "month");
  const monthlyShown = await waitFor(`${monthly} monthly points`, async () => {
    const n = Number(await page.getAttribute("#chart", "data-points"));
    return n === monthly ? n : null;
  }, 10000).catch(() => page.getAttribute("#chart", "data-points"));
  check(`KOR-JPN monthly ${FROM}..${TO} has ${monthly} points`, Number(monthlyShown) === monthly, `${monthlyShown}`);

  // 5. A movers row opens its pair.
  await waitFor("the movers table", () => page.locator("#cooled tr[data-stream]").count());
  const row = page.locator("#cooled tr[data-stream]").first();
  const stream = await row.getAttribute("data-stream");
  await row.click();
  const [ma, mb] = stream.split("-");
  const switched = await waitFor(`the chart of ${stream}`, async () => {
    const s = await page.getAttribute("#chart", "data-subject");
    return s === `${ma}-${mb}` ? s : null;
  }, 10000).catch(() => page.getAttribute("#chart", "data-subject"));
  const title = await page.textContent("#chart-title");
  check(`clicking mover ${stream} switches the chart`, switched === `${ma}-${mb}` && title.includes(ma) && title.includes(mb),
    `subject ${switched}, title ${title}`);
  const params = new URL(page.url()).searchParams;
  check("the URL follows the pair", (params.get("a") ?? "KOR") === ma && (params.get("b") ?? "JPN") === mb, page.url());
  check("it is still the same page", await page.evaluate(() => window.__noReloadMarker === "still here"));

  // Back to KOR-JPN for the picture, with the new event's tooltip pinned.
  await page.selectOption("#actor-a", "KOR");
  await page.selectOption("#actor-b", "JPN");
  await waitFor("KOR-JPN again", async () => (await page.getAttribute("#chart", "data-subject")) === "KOR-JPN");
  await sleep(300);
  const spot2 = await page.evaluate(() => {
    const u = window.detente.chart;
    const r = u.over.getBoundingClientRect();
    return { x: r.left + u.valToPos(Date.UTC(2015, 5, 15) / 1000, "x"), y: r.top + u.valToPos(-5, "t") };
  });
  await page.mouse.move(spot2.x, spot2.y);
  await sleep(300);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  check("screenshot saved", fs.statSync(SCREENSHOT).size > 10000, SCREENSHOT);
  console.log(`screenshot: ${SCREENSHOT}`);

  check("no script errors on the page", pageErrors.length === 0, pageErrors.join("; "));
  check("nothing requested outside the query service", offsite.length === 0, offsite.join(", "));
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  if (!(e instanceof Fatal)) {
    failed += 1;
    console.log(`FAIL ${e.stack ?? e}`);
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopAll();
  if (failed > 0) {
    for (const c of children) {
      console.log(`---- ${path.basename(c.logFile)} (last lines)`);
      console.log(fs.readFileSync(c.logFile, "utf8").split("\n").slice(-15).join("\n"));
    }
    exitCode = 1;
  }
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`dashboard: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
