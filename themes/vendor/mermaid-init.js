// Draws ```mermaid blocks; loaded only on pages that have one. The source
// stays readable in <pre class="mermaid"> when scripts are off.
(function () {
  if (!window.mermaid) return;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  window.mermaid.initialize({ startOnLoad: false, theme: dark ? "dark" : "default", securityLevel: "strict" });
  window.mermaid.run({ querySelector: "pre.mermaid" });
})();
