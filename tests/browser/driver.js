// The one browser driver of Spore's tests: playwright-core running the
// system Chromium (never a downloaded browser). Rust starts it through
// tests/it/support/browser.rs.
//
//   node driver.js check SITE_DIR EXPECT_JSON   -> exit 0 when all pass
//       opens a built site from file:// and checks search, explorer, table
//       of contents, graphs and hover previews the way a reader uses them
//   node driver.js bench SITE_DIR QUERIES_JSON  -> prints latency JSON
//   node driver.js session                      -> a page per request for
//       a Rust test: one JSON request a line on stdin, one JSON reply a
//       line on stdout (see `session` below)
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const CHROMIUM = process.env.SPORE_CHROMIUM || "/usr/bin/chromium";
// Quiet, offline, no GPU: the same Chromium for every browser test.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

function fileUrl(site, rel) {
  return pathToFileURL(path.join(site, rel)).href;
}

function assert(cond, message) {
  if (!cond) throw new Error("assertion failed: " + message);
}

async function waitSearch(page, previous) {
  await page.waitForFunction(
    (prev) => document.documentElement.getAttribute("data-search-done") !== prev,
    previous,
    { timeout: 10000 }
  );
}

async function search(page, query) {
  const before = await page.evaluate(() => document.documentElement.getAttribute("data-search-done"));
  await page.fill("#spore-search-input", "");
  await page.keyboard.type(query);
  await waitSearch(page, before);
  // The last keystroke's search is the one shown.
  await page.waitForFunction((q) => window.__sporeSearchTiming && window.__sporeSearchTiming.query === q, query);
  return page.$$eval("#spore-search-results li a", (as) =>
    as.map((a) => ({ href: a.getAttribute("href"), html: a.innerHTML, text: a.textContent }))
  );
}

async function check(site, expect) {
  const browser = await launch();
  const errors = [];
  const results = {};
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
    page.on("request", (r) => { if (!r.url().startsWith("file:")) errors.push("network request: " + r.url()); });

    await page.goto(fileUrl(site, "index.html"));
    // Search opens with "/", then with Ctrl-K after Escape.
    await page.keyboard.press("/");
    await page.waitForSelector("#spore-search-input", { state: "visible" });
    assert(await page.evaluate(() => document.activeElement.id === "spore-search-input"), "'/' focuses the search box");
    await page.keyboard.press("Escape");
    assert(await page.isHidden(".search-overlay"), "Escape closes search");
    await page.keyboard.press("Control+K");
    await page.waitForSelector("#spore-search-input", { state: "visible" });

    for (const s of expect.searches) {
      const hits = await search(page, s.query);
      results[s.query] = hits.map((h) => h.href);
      assert(hits.length > 0, `"${s.query}" finds something`);
      assert(hits[0].href.endsWith(s.expect), `"${s.query}" ranks ${s.expect} first, got ${hits.map((h) => h.href)}`);
      assert(/<mark>/.test(hits[0].html), `"${s.query}" highlights the match: ${hits[0].html}`);
      for (const bad of expect.never || []) {
        assert(!hits.some((h) => h.text.includes(bad)), `"${s.query}" never shows ${bad}`);
      }
    }
    for (const q of expect.nothing || []) {
      const hits = await search(page, q);
      assert(hits.length === 0, `"${q}" finds nothing, got ${hits.map((h) => h.href)}`);
    }

    // Keyboard only: type, arrow down to the second result, back up, Enter.
    const follow = expect.follow;
    await search(page, follow.query);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowUp");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    assert(decodeURIComponent(page.url()).endsWith(follow.expect), `Enter opens ${follow.expect}, got ${page.url()}`);
    results.followed = decodeURIComponent(page.url());

    // Explorer: the current note is highlighted.
    await page.click(".explorer-toggle");
    await page.waitForSelector("#spore-explorer a[aria-current='page']");
    const current = await page.$eval("#spore-explorer a[aria-current='page']", (a) => decodeURIComponent(a.getAttribute("href")));
    assert(current.endsWith(follow.expect.split("/").pop()), `explorer highlights the note, got ${current}`);
    const explorerLinks = await page.$$eval("#spore-explorer a", (as) => as.length);
    results.explorerLinks = explorerLinks;
    await page.keyboard.press("Escape");

    // Table of contents: links to headings on the page.
    const toc = await page.$$eval(".toc a", (as) => as.map((a) => a.getAttribute("href")));
    assert(toc.length >= expect.tocAtLeast, `TOC has ${expect.tocAtLeast}+ entries, got ${toc}`);
    for (const href of toc) {
      const id = decodeURIComponent(href.slice(1));
      assert(await page.evaluate((i) => !!document.getElementById(i), id), `TOC target #${id} exists`);
    }
    results.toc = toc;

    // Hover preview of a linked note.
    await page.hover(".content a.internal");
    await page.waitForSelector(".preview:not([hidden]) .preview-title", { timeout: 5000 });
    results.preview = await page.$eval(".preview .preview-title", (p) => p.textContent);

    // Local graph: follow a neighbour.
    const nodes = await page.$$eval(".local-graph svg a.node", (as) => as.map((a) => a.getAttribute("href")));
    assert(nodes.length > 0, "local graph shows neighbours");
    await Promise.all([page.waitForNavigation(), page.click(".local-graph svg a.node")]);
    results.graphFollowed = decodeURIComponent(page.url());
    assert(page.url().endsWith(nodes[0].split("/").pop()), "graph node opens its note");

    // Site graph becomes interactive.
    await page.goto(fileUrl(site, "graph.html"));
    await page.waitForSelector(".site-graph.interactive svg a.node");
    results.siteGraphNodes = await page.$$eval(".site-graph svg a.node", (as) => as.length);

    // Without JavaScript: no search box, a note instead; breadcrumbs lead home.
    const nojs = await browser.newContext({ javaScriptEnabled: false });
    const plain = await nojs.newPage();
    await plain.goto(fileUrl(site, expect.follow.expect));
    assert(await plain.isHidden(".search-button"), "search button hidden without JS");
    assert((await plain.textContent("noscript")).includes("needs JavaScript"), "noscript explains search");
    assert((await plain.$$(".breadcrumbs a")).length >= 1, "breadcrumbs present without JS");
    assert((await plain.$$(".local-graph svg a.node")).length > 0, "local graph drawn without JS");
    await nojs.close();
  } finally {
    await browser.close();
  }
  assert(errors.length === 0, "no errors in the browser: " + errors.join("; "));
  console.log(JSON.stringify(results));
}

async function bench(site, queries) {
  const browser = await launch();
  const out = { cold: [], warm: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    for (const q of queries) {
      // Cold: a fresh page, search opened and the query typed key by key
      // at once. First results: from the first keystroke's input event to
      // the first list of results drawn, measured inside the page.
      const page = await context.newPage();
      await page.goto(fileUrl(site, "index.html"));
      await page.waitForLoadState("load");
      const t0 = Date.now();
      await page.keyboard.press("/");
      await page.keyboard.type(q);
      await page.waitForFunction((qq) => window.__sporeSearchTiming && window.__sporeSearchTiming.query === qq, q);
      const log = await page.evaluate(() => window.__sporeSearchLog);
      const firstKey = Math.min(...log.map((e) => e.started));
      const firstDrawn = Math.min(...log.map((e) => e.done));
      out.cold.push({
        query: q,
        first_results_ms: firstDrawn - firstKey,
        per_keystroke_ms: log.map((e) => Math.round(e.done - e.started)),
        until_full_query_drawn_wall_ms: Date.now() - t0,
      });
      // Warm: the index's meta loaded; time from the input event to the
      // results drawn (measured inside the page) for the full query.
      for (let rep = 0; rep < 3; rep++) {
        await page.fill("#spore-search-input", "");
        const before = await page.evaluate(() => document.documentElement.getAttribute("data-search-done"));
        const t1 = Date.now();
        await page.fill("#spore-search-input", q);
        await waitSearch(page, before);
        const timing = await page.evaluate(() => window.__sporeSearchTiming);
        out.warm.push({ query: q, in_page_ms: timing.ms, wall_ms: Date.now() - t1, results: timing.results });
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
}

// Requests, one JSON object a line; each gets one line back, `{"value": ...}`
// or `{"error": "..."}`:
//   {"open": URL}                      -> the new page's number; each page
//                                         has its own context (no shared cache)
//   {"eval": EXPR, "page": N}          -> EXPR's value in the page (undefined
//                                         comes back as null)
//   {"wait": EXPR, "page": N, "ms": T} -> true once EXPR is true, false after T
//                                         ms; polled, so it survives reloads
// The browser closes when stdin does.
async function session() {
  const browser = await launch();
  const pages = [];
  const readline = require("readline");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const evaluate = async (page, expr) => {
    const value = await page.evaluate(expr);
    return value === undefined ? null : value;
  };
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let reply;
      try {
        const req = JSON.parse(line);
        if ("open" in req) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          const page = await context.newPage();
          await page.goto(req.open);
          pages.push(page);
          reply = { value: pages.length - 1 };
        } else if ("eval" in req) {
          reply = { value: await evaluate(pages[req.page], req.eval) };
        } else if ("wait" in req) {
          const deadline = Date.now() + req.ms;
          let done = false;
          while (!done && Date.now() < deadline) {
            // A page that is reloading has no context to evaluate in: retry.
            done = await evaluate(pages[req.page], req.wait).then((v) => v === true, () => false);
            if (!done) await new Promise((r) => setTimeout(r, 50));
          }
          reply = { value: done };
        } else {
          throw new Error("unknown request: " + line);
        }
      } catch (e) {
        reply = { error: e && e.stack ? e.stack : String(e) };
      }
      process.stdout.write(JSON.stringify(reply) + "\n");
    }
  } finally {
    await browser.close();
  }
}

async function main() {
  const [mode, site, json] = process.argv.slice(2);
  if (mode === "session") return session();
  const arg = JSON.parse(fs.readFileSync(json, "utf8"));
  if (mode === "check") await check(site, arg);
  else if (mode === "bench") await bench(site, arg);
  else throw new Error("mode must be check, bench or session");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
