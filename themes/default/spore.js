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

  function init() {
    addCopyButtons();
    tocSpy();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
