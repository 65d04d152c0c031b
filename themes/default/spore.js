/* Spore default theme: optional progressive enhancement only.
 * Everything works with JavaScript disabled. No network access. */
(function () {
  "use strict";

  /* Copy buttons on code blocks -------------------------------------- */
  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok;
  }

  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(true); },
        function () { done(fallbackCopy(text)); }
      );
    } else {
      done(fallbackCopy(text));
    }
  }

  function addCopyButtons() {
    var blocks = document.querySelectorAll(".content pre.code");
    Array.prototype.forEach.call(blocks, function (pre) {
      if (pre.parentNode.classList.contains("code-block")) return;
      var wrap = document.createElement("div");
      wrap.className = "code-block";
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre);
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "copy-code";
      btn.textContent = "Copy";
      btn.setAttribute("aria-label", "Copy code to clipboard");
      btn.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        copy(code.textContent, function (ok) {
          btn.textContent = ok ? "Copied" : "Press Ctrl+C";
          btn.classList.toggle("copied", ok);
          window.setTimeout(function () {
            btn.textContent = "Copy";
            btn.classList.remove("copied");
          }, 1600);
        });
      });
      wrap.appendChild(btn);
    });
  }

  /* Highlight the current section in the table of contents ------------ */
  function tocSpy() {
    var links = document.querySelectorAll(".toc a[href^='#']");
    if (!links.length || !("IntersectionObserver" in window)) return;
    var byId = {};
    var headings = [];
    Array.prototype.forEach.call(links, function (a) {
      var id = decodeURIComponent(a.getAttribute("href").slice(1));
      var h = document.getElementById(id);
      if (h) { byId[id] = a; headings.push(h); }
    });
    if (!headings.length) return;
    var current = null;
    function activate(id) {
      if (current === id) return;
      if (current && byId[current]) byId[current].classList.remove("active");
      current = id;
      if (byId[id]) byId[id].classList.add("active");
    }
    function update() {
      var best = headings[0];
      for (var i = 0; i < headings.length; i++) {
        if (headings[i].getBoundingClientRect().top <= 96) best = headings[i];
        else break;
      }
      activate(best.id);
    }
    var obs = new IntersectionObserver(update, { rootMargin: "0px 0px -60% 0px" });
    headings.forEach(function (h) { obs.observe(h); });
    update();
  }

  /* Data scripts (search index, tree, graph) -------------------------- */
  /* Classic <script> tags, not fetch(): they load from file:// too. Each
   * data file calls __spore(kind, number, data). */
  var ROOT = (document.body && document.body.getAttribute("data-root")) || "";
  var PAGE = (document.body && document.body.getAttribute("data-path")) || "";
  var store = {};
  var waiting = {};
  window.__spore = function (kind, n, data) {
    var key = kind + "-" + n;
    store[key] = data;
    var cbs = waiting[key] || [];
    delete waiting[key];
    cbs.forEach(function (cb) { cb[0](data); });
  };
  function loadData(file, key) {
    return new Promise(function (resolve, reject) {
      if (key in store) { resolve(store[key]); return; }
      if (waiting[key]) { waiting[key].push([resolve, reject]); return; }
      waiting[key] = [[resolve, reject]];
      var s = document.createElement("script");
      s.src = ROOT + file;
      s.async = true;
      s.onerror = function () {
        var cbs = waiting[key] || [];
        delete waiting[key];
        cbs.forEach(function (cb) { cb[1](new Error("cannot load " + file)); });
      };
      document.head.appendChild(s);
    });
  }
  function pageUrl(path) {
    return ROOT + path.split("/").map(encodeURIComponent).join("/");
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* Search ------------------------------------------------------------- */
  /* Folding and word splitting mirror src/emit/search/tokenize.rs. */
  function fold(s) {
    // Final sigma folds to σ, as in the index (toLowerCase gives ς at a
    // word's end, Rust's per-letter lowering gives σ).
    return s.normalize("NFKD").replace(/\p{M}/gu, "").normalize("NFC").toLowerCase().replace(/ς/g, "σ");
  }
  function isCjk(ch) {
    var x = ch.codePointAt(0);
    return (x >= 0x3040 && x <= 0x30ff) || (x >= 0x3400 && x <= 0x4dbf) ||
      (x >= 0x4e00 && x <= 0x9fff) || (x >= 0xac00 && x <= 0xd7af) ||
      (x >= 0xf900 && x <= 0xfaff) || (x >= 0x20000 && x <= 0x2fa1f);
  }
  /* Light stemming: drop one common Russian or English ending, so a
   * query word matches its other forms by prefix. */
  var ENDINGS = ["иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "ия", "ие", "ий", "ый", "ой", "ая", "яя", "ое", "ее", "ые", "ом", "ем", "ам", "ям", "ах", "ях", "ов", "ев", "ью", "ей", "а", "я", "ы", "и", "е", "у", "ю", "о",
    "ations", "ation", "ings", "ing", "ies", "es", "ed", "ly", "s"];
  function stem(t) {
    if (t.length < 5) return t;
    for (var i = 0; i < ENDINGS.length; i++) {
      var e = ENDINGS[i];
      if (t.length - e.length >= 4 && t.slice(-e.length) === e) return t.slice(0, -e.length);
    }
    return t;
  }
  function queryTokens(q) {
    var out = [];
    (q.match(/[\p{L}\p{N}\p{M}]+/gu) || []).forEach(function (word) {
      var chars = Array.from(word), plain = "", run = [];
      function flushPlain() { if (plain) { var f = fold(plain); if (f) out.push({ t: f, cjk: false }); plain = ""; } }
      function flushRun() {
        if (run.length === 1) out.push({ t: fold(run[0]), cjk: true, single: true });
        for (var i = 0; i + 1 < run.length; i++) out.push({ t: fold(run[i] + run[i + 1]), cjk: true });
        run = [];
      }
      chars.forEach(function (c) {
        if (isCjk(c)) { flushPlain(); run.push(c); } else { flushRun(); plain += c; }
      });
      flushPlain();
      flushRun();
    });
    return out;
  }
  var LAST = "0123456789abcdefghijklmnopqrstuv", MORE = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
  var DIGIT = {};
  for (var di = 0; di < 32; di++) { DIGIT[LAST[di]] = di; DIGIT[MORE[di]] = 32 + di; }
  var decoded = {};
  function decodePostings(term, s) {
    if (decoded[term]) return decoded[term];
    var out = [], acc = 0, prev = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGIT[s[i]];
      if (d >= 32) acc = acc * 32 + (d - 32);
      else { acc = acc * 32 + d; prev = out.length ? prev + acc : acc; out.push(prev); acc = 0; }
    }
    decoded[term] = out;
    return out;
  }
  function lastAtMost(list, value) {
    var lo = 0, hi = list.length - 1, best = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] <= value) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
  function termShards(meta, prefix) {
    var first = lastAtMost(meta.terms, prefix), out = [first];
    for (var j = first + 1; j < meta.terms.length && meta.terms[j].indexOf(prefix) === 0; j++) out.push(j);
    return out;
  }
  /* Terms starting with `prefix` (or equal to it when `exact`). */
  function matchTerms(shard, prefix, exact, limit) {
    var lo = 0, hi = shard.length / 2;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (shard[mid * 2] < prefix) lo = mid + 1; else hi = mid; }
    var out = [];
    for (var i = lo; i < shard.length / 2 && out.length < limit; i++) {
      var t = shard[i * 2];
      if (exact ? t !== prefix : t.indexOf(prefix) !== 0) break;
      out.push([t, shard[i * 2 + 1]]);
    }
    return out;
  }
  function loadMeta() { return loadData("search/meta.js", "meta-0"); }
  function docShardOf(meta, n) { return lastAtMost(meta.docs, n); }
  function loadDoc(meta, n) {
    var s = docShardOf(meta, n);
    return loadData("search/docs-" + s + ".js", "docs-" + s).then(function (list) { return list[n - meta.docs[s]]; });
  }
  /* Every (term pattern, weight) a query token looks for. */
  function patterns(tok, isLast) {
    if (tok.cjk) return [{ p: tok.t, exact: !tok.single, w: 1 }];
    var list = [{ p: tok.t, exact: true, w: 1 }];
    if (isLast || tok.t.length >= 3) list.push({ p: tok.t, exact: false, w: 0.75 });
    var st = stem(tok.t);
    if (st !== tok.t) list.push({ p: st, exact: false, w: 0.6 });
    return list;
  }
  function runSearch(meta, query) {
    var toks = queryTokens(query);
    if (!toks.length) return Promise.resolve({ toks: toks, hits: [] });
    var need = {};
    toks.forEach(function (tok, i) {
      patterns(tok, i === toks.length - 1).forEach(function (pat) {
        termShards(meta, pat.p).forEach(function (s) { need[s] = true; });
      });
    });
    return Promise.all(Object.keys(need).map(function (s) {
      return loadData("search/terms-" + s + ".js", "terms-" + s);
    })).then(function () {
      var perToken = toks.map(function (tok, i) {
        var scores = new Map();
        patterns(tok, i === toks.length - 1).forEach(function (pat) {
          termShards(meta, pat.p).forEach(function (s) {
            // A one- or two-letter prefix matches thousands of words: the
            // most useful few are enough while the query is still short.
            var limit = pat.p.length < 2 ? 40 : pat.p.length < 3 ? 150 : 400;
            matchTerms(store["terms-" + s], pat.p, pat.exact, limit).forEach(function (tp) {
              var post = decodePostings(tp[0], tp[1]);
              var idf = Math.log(1 + meta.notes / post.length);
              var w = pat.w * idf * (pat.exact ? 1 : 1 / (1 + 0.1 * (tp[0].length - pat.p.length)));
              for (var k = 0; k < post.length; k++) {
                // Low two bits: 2 title, 1 alias, 0 body text.
                var field = post[k] & 3, doc = post[k] >> 2, sc = w * (field === 2 ? 4 : field === 1 ? 3 : 1);
                var old = scores.get(doc);
                if (old === undefined || sc > old) scores.set(doc, sc);
              }
            });
          });
        });
        return scores;
      });
      var total = new Map(), count = new Map();
      perToken.forEach(function (scores) {
        scores.forEach(function (sc, doc) {
          total.set(doc, (total.get(doc) || 0) + sc);
          count.set(doc, (count.get(doc) || 0) + 1);
        });
      });
      var hits = [];
      total.forEach(function (sc, doc) {
        // Notes with every word first; others only when none has all.
        hits.push({ doc: doc, all: count.get(doc) === toks.length, score: sc });
      });
      var anyAll = hits.some(function (h) { return h.all; });
      if (anyAll) hits = hits.filter(function (h) { return h.all; });
      hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
      return { toks: toks, hits: hits };
    });
  }
  /* Text with the query's words wrapped in <mark>, matching folded. */
  function highlight(text, toks) {
    var chars = Array.from(text), folded = "", owner = [];
    chars.forEach(function (c, i) {
      var f = fold(c);
      for (var k = 0; k < f.length; k++) owner.push(i);
      folded += f;
    });
    var marked = new Array(chars.length);
    var needles = [];
    toks.forEach(function (t) { needles.push(t); var st = t.cjk ? t.t : stem(t.t); if (st !== t.t) needles.push({ t: st, cjk: false }); });
    needles.forEach(function (tok) {
      if (!tok.t) return;
      var from = 0, at;
      while ((at = folded.indexOf(tok.t, from)) !== -1) {
        from = at + tok.t.length;
        if (!tok.cjk && at > 0 && /[\p{L}\p{N}]/u.test(folded[at - 1])) continue;
        // Extend to the end of the word, so `caf` marks all of `café`.
        var end = at + tok.t.length;
        if (!tok.cjk) while (end < folded.length && /[\p{L}\p{N}]/u.test(folded[end])) end++;
        for (var k = at; k < end; k++) marked[owner[k]] = true;
      }
    });
    var html = "", open = false;
    chars.forEach(function (c, i) {
      if (marked[i] && !open) { html += "<mark>"; open = true; }
      if (!marked[i] && open) { html += "</mark>"; open = false; }
      html += escapeHtml(c);
    });
    if (open) html += "</mark>";
    return html;
  }
  function snippet(text, toks) {
    var f = fold(text), first = -1;
    toks.forEach(function (t) { var at = f.indexOf(t.cjk ? t.t : stem(t.t)); if (at !== -1 && (first === -1 || at < first)) first = at; });
    var chars = Array.from(text);
    var start = first > 90 ? Math.max(0, first - 40) : 0;
    var part = chars.slice(start, start + 170).join("");
    return (start > 0 ? "…" : "") + highlight(part, toks) + (start + 170 < chars.length ? "…" : "");
  }

  var MAX_RESULTS = 10;
  var search = null;
  function buildSearch() {
    var overlay = el("div", "search-overlay");
    overlay.hidden = true;
    var dialog = el("div", "search-dialog");
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Search");
    var field = el("div", "search-field");
    field.innerHTML = '<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="11" cy="11" r="6.5"/><path d="m16 16 4.5 4.5"/></svg>';
    var input = el("input");
    input.type = "search";
    input.id = "spore-search-input";
    input.placeholder = "Search notes…";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-label", "Search notes");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "spore-search-results");
    input.setAttribute("aria-autocomplete", "list");
    field.appendChild(input);
    field.appendChild(el("kbd", null, "Esc"));
    var list = el("ul", "search-results");
    list.id = "spore-search-results";
    list.setAttribute("role", "listbox");
    var status = el("p", "search-status");
    status.setAttribute("aria-live", "polite");
    dialog.appendChild(field);
    dialog.appendChild(list);
    dialog.appendChild(status);
    overlay.appendChild(dialog);
    document.body.appendChild(overlay);
    var state = { overlay: overlay, input: input, list: list, status: status, active: -1, seq: 0, returnFocus: null };
    overlay.addEventListener("mousedown", function (e) { if (e.target === overlay) closeSearch(); });
    input.addEventListener("input", function () { onQuery(state); });
    input.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!items.length) return;
        var next = state.active + (e.key === "ArrowDown" ? 1 : -1);
        setActive(state, (next + items.length) % items.length);
      } else if (e.key === "Enter") {
        var pick = items[state.active >= 0 ? state.active : 0];
        if (pick) { e.preventDefault(); window.location.href = pick.querySelector("a").href; }
      } else if (e.key === "Escape") {
        e.preventDefault();
        closeSearch();
      }
    });
    return state;
  }
  function setActive(state, i) {
    var items = state.list.querySelectorAll("li");
    Array.prototype.forEach.call(items, function (li, k) { li.setAttribute("aria-selected", k === i ? "true" : "false"); });
    state.active = i;
    if (items[i]) {
      state.input.setAttribute("aria-activedescendant", items[i].id);
      items[i].scrollIntoView({ block: "nearest" });
    }
  }
  function onQuery(state) {
    var started = performance.now();
    var query = state.input.value;
    var seq = ++state.seq;
    if (!query.trim()) {
      state.list.innerHTML = "";
      state.status.textContent = "";
      state.input.setAttribute("aria-expanded", "false");
      return;
    }
    var meta;
    loadMeta().then(function (m) { meta = m; return runSearch(meta, query); }).then(function (res) {
      if (seq !== state.seq) return null;
      var top = res.hits.slice(0, MAX_RESULTS);
      return Promise.all(top.map(function (h) { return loadDoc(meta, h.doc); })).then(function (docs) {
        if (seq !== state.seq) return;
        state.list.innerHTML = "";
        docs.forEach(function (d, i) {
          if (!d) return;
          var li = el("li");
          li.id = "spore-search-result-" + i;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          var a = el("a");
          a.href = pageUrl(d[1]);
          a.tabIndex = -1;
          a.innerHTML = '<span class="search-result-title">' + highlight(d[0], res.toks) + "</span>" +
            '<span class="search-result-path">' + escapeHtml(d[1].replace(/\.html$/, "")) + "</span>" +
            (d[3] ? '<span class="search-result-aliases">Also known as ' + highlight(d[3], res.toks) + "</span>" : "") +
            (d[2] ? '<span class="search-result-snippet">' + snippet(d[2], res.toks) + "</span>" : "");
          li.appendChild(a);
          state.list.appendChild(li);
        });
        state.input.setAttribute("aria-expanded", docs.length ? "true" : "false");
        state.active = -1;
        if (docs.length) setActive(state, 0);
        state.status.textContent = res.hits.length === 0 ? "No notes match." :
          res.hits.length > top.length ? "Top " + top.length + " of " + res.hits.length + " notes · ↑↓ to choose, Enter to open" :
          res.hits.length + (res.hits.length === 1 ? " note" : " notes") + " · ↑↓ to choose, Enter to open";
        // Timings for the test suite's latency measurement (tests/browser).
        var done = performance.now();
        window.__sporeSearchTiming = { query: query, ms: done - started, results: res.hits.length };
        (window.__sporeSearchLog = window.__sporeSearchLog || []).push({ query: query, started: started, done: done });
        document.documentElement.setAttribute("data-search-done", String(seq));
      });
    }).catch(function () {
      if (seq === state.seq) state.status.textContent = "The search index could not be loaded.";
    });
  }
  function openSearch() {
    if (!search) search = buildSearch();
    search.returnFocus = document.activeElement;
    search.overlay.hidden = false;
    search.input.focus();
    search.input.select();
    loadMeta().catch(function () {});
  }
  function closeSearch() {
    if (!search || search.overlay.hidden) return;
    search.overlay.hidden = true;
    if (search.returnFocus && search.returnFocus.focus) search.returnFocus.focus();
  }
  function isTyping(t) {
    return t && (t.isContentEditable || /^(input|textarea|select)$/i.test(t.tagName));
  }
  function initSearch() {
    var button = document.querySelector(".search-button");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", openSearch);
    }
    document.addEventListener("keydown", function (e) {
      if ((e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        openSearch();
      } else if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
        e.preventDefault();
        openSearch();
      }
    });
  }

  /* Explorer ------------------------------------------------------------ */
  function folderContains(folder, path) {
    if (folder.p === path) return true;
    for (var i = 0; i < folder.d.length; i++) if (folder.d[i][1] === path) return true;
    for (var j = 0; j < folder.f.length; j++) if (folderContains(folder.f[j], path)) return true;
    return false;
  }
  function link(title, path) {
    var a = el("a", null, title);
    a.href = pageUrl(path);
    a.title = title;
    if (path === PAGE) a.setAttribute("aria-current", "page");
    return a;
  }
  /* Children render when a folder first opens: 10,000 notes stay cheap. */
  function fillFolder(ul, folder) {
    folder.f.forEach(function (sub) {
      var li = el("li");
      var details = el("details");
      var summary = el("summary");
      summary.appendChild(link(sub.n, sub.p));
      details.appendChild(summary);
      var inner = el("ul");
      details.appendChild(inner);
      var filled = false;
      function fill() { if (!filled) { filled = true; fillFolder(inner, sub); } }
      details.addEventListener("toggle", function () { if (details.open) fill(); });
      if (folderContains(sub, PAGE)) { details.open = true; fill(); }
      li.appendChild(details);
      ul.appendChild(li);
    });
    folder.d.forEach(function (note) {
      var li = el("li");
      li.appendChild(link(note[0], note[1]));
      ul.appendChild(li);
    });
  }
  function initExplorer() {
    var nav = document.getElementById("spore-explorer");
    var toggle = document.querySelector(".explorer-toggle");
    if (!nav || !toggle) return;
    toggle.hidden = false;
    var built = false;
    function show(open) {
      nav.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open || built) return;
      built = true;
      loadData("_spore/tree.js", "tree-0").then(function (tree) {
        nav.appendChild(el("p", "explorer-heading", "Explorer"));
        var ul = el("ul");
        var home = el("li");
        home.appendChild(link(document.querySelector(".site-title").textContent, tree.p));
        ul.appendChild(home);
        fillFolder(ul, tree);
        nav.appendChild(ul);
        var current = nav.querySelector("[aria-current='page']");
        if (current) current.scrollIntoView({ block: "center" });
      }).catch(function () { nav.appendChild(el("p", "explorer-heading", "The folder tree could not be loaded.")); });
    }
    toggle.addEventListener("click", function () { show(nav.hidden); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !nav.hidden && !document.body.classList.contains("explorer-pinned")) { show(false); toggle.focus(); }
    });
    if (window.matchMedia && window.matchMedia("(min-width: 100rem)").matches) {
      document.body.classList.add("explorer-pinned");
      show(true);
    }
  }

  /* Hover previews -------------------------------------------------------- */
  function fnv(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return h >>> 0;
  }
  function sitePath(href) {
    try {
      var base = new URL(ROOT || "./", window.location.href);
      var u = new URL(href, window.location.href);
      if (u.origin !== base.origin || u.pathname.indexOf(base.pathname) !== 0) return null;
      return decodeURIComponent(u.pathname.slice(base.pathname.length));
    } catch (e) { return null; }
  }
  function initPreviews() {
    var box = null, timer = null, current = null;
    function hide() { window.clearTimeout(timer); current = null; if (box) box.hidden = true; }
    function show(a) {
      var path = sitePath(a.getAttribute("href"));
      if (!path || !/\.html$/.test(path)) return;
      current = a;
      timer = window.setTimeout(function () {
        loadMeta().then(function (meta) {
          var s = fnv(path) % meta.docs.length;
          return loadData("search/docs-" + s + ".js", "docs-" + s);
        }).then(function (list) {
          if (current !== a) return;
          var doc = null;
          for (var i = 0; i < list.length; i++) if (list[i][1] === path) doc = list[i];
          if (!doc) return;
          if (!box) { box = el("div", "preview"); box.setAttribute("role", "tooltip"); document.body.appendChild(box); }
          box.innerHTML = "";
          box.appendChild(el("p", "preview-title", doc[0]));
          if (doc[2]) box.appendChild(el("p", "preview-text", doc[2]));
          var r = a.getBoundingClientRect();
          box.style.left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8)) + "px";
          box.style.top = (r.bottom + window.scrollY + 6) + "px";
          box.hidden = false;
        }).catch(function () {});
      }, 250);
    }
    var selector = ".content a.internal, .backlinks a, .outlinks a, .item-list a.item-link";
    document.addEventListener("mouseover", function (e) {
      var a = e.target.closest && e.target.closest(selector);
      if (a && a !== current) { hide(); show(a); }
    });
    document.addEventListener("mouseout", function (e) {
      var a = e.target.closest && e.target.closest(selector);
      if (a && !a.contains(e.relatedTarget)) hide();
    });
    document.addEventListener("focusin", function (e) {
      var a = e.target.closest && e.target.closest(selector);
      if (a) { hide(); show(a); }
    });
    document.addEventListener("focusout", hide);
  }

  /* Interactive site graph -------------------------------------------------- */
  var SVGNS = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function initSiteGraph() {
    var box = document.getElementById("spore-site-graph");
    if (!box) return;
    loadData("_spore/graph.js", "graph-0").then(function (data) {
      var help = document.querySelector(".graph-help-js");
      if (help) help.hidden = false;
      var controls = el("div", "graph-controls");
      var sizeLabel = el("label", null, "Notes shown ");
      var size = el("select");
      [100, 300, 600].concat([data.nodes.length]).filter(function (n, i, a) { return n <= data.nodes.length && a.indexOf(n) === i; })
        .forEach(function (n) { var o = el("option", null, String(n)); o.value = n; size.appendChild(o); });
      size.value = String(Math.min(300, data.nodes.length));
      sizeLabel.appendChild(size);
      var filterLabel = el("label", null, "Highlight ");
      var filter = el("input");
      filter.type = "search";
      filter.placeholder = "title…";
      filterLabel.appendChild(filter);
      controls.appendChild(sizeLabel);
      controls.appendChild(filterLabel);
      controls.appendChild(el("span", null, data.total > data.nodes.length ? "(most connected of " + data.total + " notes)" : ""));
      box.parentNode.insertBefore(controls, box);
      function draw() { render(box, data, parseInt(size.value, 10), filter); }
      size.addEventListener("change", draw);
      draw();
    }).catch(function () {});
  }
  function render(box, data, count, filter) {
    var n = Math.min(count, data.nodes.length);
    var W = 1000, H = 700;
    var nodes = data.nodes.slice(0, n).map(function (d, i) {
      var a = i * 2.399963, r = Math.sqrt((i + 0.5) / n) * 300;
      return { title: d[0], path: d[1], deg: d[2], x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a), vx: 0, vy: 0, nb: [] };
    });
    var edges = [];
    for (var e = 0; e + 1 < data.edges.length; e += 2) {
      var a = data.edges[e], b = data.edges[e + 1];
      if (a < n && b < n) { edges.push([a, b]); nodes[a].nb.push(b); nodes[b].nb.push(a); }
    }
    var svg = svgEl("svg", { "class": "graph-svg site-graph-svg", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Interactive graph of " + n + " notes" });
    var view = svgEl("g", {});
    var edgeLayer = svgEl("g", { "class": "edges" });
    var nodeLayer = svgEl("g", {});
    view.appendChild(edgeLayer);
    view.appendChild(nodeLayer);
    svg.appendChild(view);
    var lines = edges.map(function (ed) { var l = svgEl("line", {}); edgeLayer.appendChild(l); return l; });
    var groups = nodes.map(function (d, i) {
      var g = svgEl("a", { "class": "node", href: pageUrl(d.path) });
      var t = svgEl("title", {});
      t.textContent = d.title;
      g.appendChild(t);
      g.appendChild(svgEl("circle", { r: (3 + Math.min(9, Math.sqrt(d.deg))).toFixed(1) }));
      var label = svgEl("text", { dy: "-9" });
      label.textContent = d.title.length > 24 ? d.title.slice(0, 23) + "…" : d.title;
      if (i >= 30) label.setAttribute("class", "minor");
      g.appendChild(label);
      g.addEventListener("mouseenter", function () { focusNode(i); });
      g.addEventListener("mouseleave", function () { focusNode(-1); });
      g.addEventListener("focus", function () { focusNode(i); });
      g.addEventListener("blur", function () { focusNode(-1); });
      nodeLayer.appendChild(g);
      return g;
    });
    function focusNode(i) {
      groups.forEach(function (g, k) {
        var on = i < 0 || k === i || nodes[i].nb.indexOf(k) !== -1;
        g.classList.toggle("dim", !on);
        g.classList.toggle("hl", i >= 0 && on);
        g.querySelector("text").style.display = (i >= 0 && on) || k < 30 ? "" : "none";
      });
      lines.forEach(function (l, k) { l.classList.toggle("dim", i >= 0 && edges[k][0] !== i && edges[k][1] !== i); });
    }
    filter.oninput = function () {
      var q = fold(filter.value.trim());
      groups.forEach(function (g, k) {
        var hit = q && fold(nodes[k].title).indexOf(q) !== -1;
        g.classList.toggle("hl", !!hit);
        g.classList.toggle("dim", !!q && !hit);
      });
    };
    box.innerHTML = "";
    box.classList.add("interactive");
    box.appendChild(svg);
    focusNode(-1);
    // Zoom and pan move the points, not the drawing, so dots and labels
    // keep their size.
    var scale = 1, tx = 0, ty = 0, drag = null, userMoved = false;
    function apply() { userMoved = true; draw(); }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var pt = svg.getBoundingClientRect();
      var mx = (ev.clientX - pt.left) * W / pt.width, my = (ev.clientY - pt.top) * H / pt.height;
      var f = ev.deltaY < 0 ? 1.15 : 1 / 1.15;
      tx = mx - (mx - tx) * f; ty = my - (my - ty) * f; scale *= f;
      apply();
    }, { passive: false });
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.target.closest("a")) return;
      drag = [ev.clientX, ev.clientY, tx, ty];
      svg.setPointerCapture(ev.pointerId);
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var pt = svg.getBoundingClientRect();
      tx = drag[2] + (ev.clientX - drag[0]) * W / pt.width;
      ty = drag[3] + (ev.clientY - drag[1]) * H / pt.height;
      apply();
    });
    svg.addEventListener("pointerup", function () { drag = null; });
    // A short force simulation, then the layout stays put.
    var ticks = 0, k = Math.sqrt(W * H / Math.max(1, n)) * 0.55;
    function step() {
      var temp = 8 * (1 - ticks / 160);
      for (var i = 0; i < n; i++) {
        var p = nodes[i];
        for (var j = i + 1; j < n; j++) {
          var q = nodes[j], dx = p.x - q.x, dy = p.y - q.y, d2 = dx * dx + dy * dy + 0.01;
          if (d2 > 4 * k * k) continue;
          var f = k * k / d2;
          p.vx += dx * f; p.vy += dy * f; q.vx -= dx * f; q.vy -= dy * f;
        }
      }
      edges.forEach(function (ed) {
        var p = nodes[ed[0]], q = nodes[ed[1]], dx = p.x - q.x, dy = p.y - q.y, d = Math.sqrt(dx * dx + dy * dy) + 0.01;
        var f = d / k;
        p.vx -= dx * f; p.vy -= dy * f; q.vx += dx * f; q.vy += dy * f;
      });
      nodes.forEach(function (p) {
        p.vx += (W / 2 - p.x) * 0.02; p.vy += (H / 2 - p.y) * 0.02;
        var len = Math.sqrt(p.vx * p.vx + p.vy * p.vy) + 1e-9, s = Math.min(len, temp);
        p.x += p.vx / len * s; p.y += p.vy / len * s; p.vx = 0; p.vy = 0;
      });
      if (!userMoved) fit();
      draw();
      if (++ticks < 160) window.requestAnimationFrame(step);
    }
    /* Zoom so the settled layout fills the frame. */
    function fit() {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      nodes.forEach(function (p) { x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y); });
      if (!(x1 > x0) || !(y1 > y0)) return;
      scale = Math.min((W - 160) / (x1 - x0), (H - 80) / (y1 - y0));
      tx = W / 2 - scale * (x0 + x1) / 2;
      ty = H / 2 - scale * (y0 + y1) / 2;
    }
    function X(p) { return (p.x * scale + tx).toFixed(1); }
    function Y(p) { return (p.y * scale + ty).toFixed(1); }
    function draw() {
      edges.forEach(function (ed, i) {
        var a = nodes[ed[0]], b = nodes[ed[1]];
        lines[i].setAttribute("x1", X(a)); lines[i].setAttribute("y1", Y(a));
        lines[i].setAttribute("x2", X(b)); lines[i].setAttribute("y2", Y(b));
      });
      groups.forEach(function (g, i) {
        g.firstChild.nextSibling.setAttribute("cx", X(nodes[i]));
        g.firstChild.nextSibling.setAttribute("cy", Y(nodes[i]));
        var t = g.lastChild;
        t.setAttribute("x", X(nodes[i]));
        t.setAttribute("y", Y(nodes[i]));
      });
    }
    fit();
    draw();
    window.requestAnimationFrame(step);
  }

  function init() {
    addCopyButtons();
    tocSpy();
    initSearch();
    initExplorer();
    initPreviews();
    initSiteGraph();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
