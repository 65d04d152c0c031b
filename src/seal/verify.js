/* Spore: checks this page against the site's manifest, in the browser.
 * The manifest is two-level: integrity/manifest.json is a small signed
 * root naming one shard per range of path hashes, and the shard
 * integrity/shards/<sha256>.json lists its files' sizes and SHA-256s. A
 * shard is named by the hash of its own bytes, so it never changes under
 * its name. Over http(s) a page view therefore costs the root and its
 * signature (revalidated: only they change from one version to the next),
 * the page's one shard (taken from the browser's cache when there) and the
 * page's bytes (from the cache too, when the browser kept the page it
 * shows). It hashes with WebCrypto (SHA-256), checks the minisign
 * signature where the browser has Ed25519, and shows a badge in the footer
 * panel. Opened from file:// (where fetch is blocked) it loads the root
 * and the page's one shard as scripts (manifest.js and the shard's .js
 * twin) and shows the expected hash and the commands to check the copy.
 * The verdict is also written to the panel's data-state attribute:
 * "verified", "altered" or "unknown". Classic script, no dependencies, no
 * network beyond the site's own files. */
(function () {
  "use strict";

  var FORMAT = "spore-manifest/2", SHARD_FORMAT = "spore-manifest-shard/2", MAX_SHARD_BITS = 16;

  var panel = document.getElementById("spore-integrity-panel");
  var block = document.getElementById("spore-integrity");
  if (!panel || !block) return;
  var badge = document.getElementById("spore-integrity-badge");
  var verdict = document.getElementById("spore-integrity-verdict");
  var data;
  try {
    data = JSON.parse(block.textContent);
  } catch (e) {
    return;
  }

  function show(state, label, lines) {
    panel.setAttribute("data-state", state);
    if (badge) {
      badge.className = "badge " + state;
      badge.textContent = label;
    }
    if (verdict) {
      verdict.textContent = "";
      lines.forEach(addLine);
    }
  }

  function addLine(line) {
    if (!verdict) return;
    if (verdict.firstChild) verdict.appendChild(document.createElement("br"));
    verdict.appendChild(document.createTextNode(line));
  }

  function addPre(text) {
    var pre = document.createElement("pre");
    pre.textContent = text;
    panel.appendChild(pre);
  }

  function message(e) {
    return e && e.message ? e.message : String(e);
  }

  /* A JSON object's own member: a path such as "constructor" must not
   * find Object.prototype's. */
  function own(object, key) {
    return object && typeof object === "object" && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
  }

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function sha256hex(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(hex);
  }

  /* The page's self hash is computed with its own 64 hex digits zeroed. */
  function zeroSelf(bytes, self) {
    var needle = [], i, j;
    for (i = 0; i < self.length; i++) needle.push(self.charCodeAt(i));
    var out = new Uint8Array(bytes);
    for (i = 0; i + needle.length <= out.length; i++) {
      for (j = 0; j < needle.length && out[i + j] === needle[j]; j++);
      if (j === needle.length) {
        for (j = 0; j < needle.length; j++) out[i + j] = 48;
        i += needle.length - 1;
      }
    }
    return out;
  }

  /* `cache` is a fetch cache mode: "no-cache" revalidates (the root and
   * its signature change with each version), "force-cache" takes the
   * browser's copy when it has one (a shard never changes under its name;
   * the page is the one the browser shows). */
  function fetchBytes(url, cache) {
    return fetch(url, { cache: cache, credentials: "same-origin", redirect: "error" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return new Uint8Array(b); });
  }

  /* ---- The shard of a path (as src/seal/shard.rs) ---- */

  /* The first four bytes of SHA-256 of the path's UTF-8, big-endian. */
  function pathKey(path) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(path)).then(function (h) {
      var b = new Uint8Array(h);
      return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    });
  }

  /* The root's reference to the shard of a path whose key is `key`;
   * throws on a root this script cannot read. */
  function shardRef(root, key) {
    if (!root || root.format !== FORMAT) throw new Error("the manifest's format is " + JSON.stringify(root && root.format) + ", not " + FORMAT);
    var bits = root.shard_bits;
    if (typeof bits !== "number" || bits % 1 !== 0 || bits < 0 || bits > MAX_SHARD_BITS ||
        !Array.isArray(root.shards) || root.shards.length !== Math.pow(2, bits)) {
      throw new Error("the manifest's shard list is malformed");
    }
    /* `>>> 32` would shift by nothing: no bits is shard 0. */
    var ref = root.shards[bits === 0 ? 0 : key >>> (32 - bits)];
    /* The hash becomes a file name: nothing but 64 hex digits. */
    if (!ref || !/^[0-9a-f]{64}$/.test(ref.sha256) || typeof ref.size !== "number") {
      throw new Error("the manifest's reference to this page's shard is malformed");
    }
    return ref;
  }

  /* ---- BLAKE2b-512 (RFC 7693), for minisign's prehashed signatures ---- */
  var B = typeof BigInt === "function" ? BigInt : null;
  function blake2b512(input) {
    var M64 = (B(1) << B(64)) - B(1);
    var IV = ["6a09e667f3bcc908", "bb67ae8584caa73b", "3c6ef372fe94f82b", "a54ff53a5f1d36f1",
      "510e527fade682d1", "9b05688c2b3e6c1f", "1f83d9abfb41bd6b", "5be0cd19137e2179"].map(function (h) { return B("0x" + h); });
    var SIGMA = [
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
      [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
      [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
      [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
      [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];
    var R32 = B(32), R24 = B(24), R16 = B(16), R63 = B(63);
    function rotr(x, n) { return ((x >> n) | (x << (B(64) - n))) & M64; }
    var h = IV.slice();
    h[0] ^= B(0x01010040);
    var v = new Array(16), m = new Array(16);
    function G(a, b, c, d, x, y) {
      v[a] = (v[a] + v[b] + x) & M64; v[d] = rotr(v[d] ^ v[a], R32);
      v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], R24);
      v[a] = (v[a] + v[b] + y) & M64; v[d] = rotr(v[d] ^ v[a], R16);
      v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], R63);
    }
    function compress(block, t, last) {
      var i, j;
      for (i = 0; i < 16; i++) {
        var w = B(0);
        for (j = 7; j >= 0; j--) w = (w << B(8)) | B(block[i * 8 + j]);
        m[i] = w;
      }
      for (i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = IV[i]; }
      v[12] ^= B(t);
      if (last) v[14] ^= M64;
      for (i = 0; i < 12; i++) {
        var s = SIGMA[i % 10];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]); G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]); G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]); G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]); G(3, 4, 9, 14, m[s[14]], m[s[15]]);
      }
      for (i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }
    var block = new Uint8Array(128), off = 0;
    while (input.length - off > 128) {
      compress(input.subarray(off, off + 128), off + 128, false);
      off += 128;
    }
    block.set(input.subarray(off));
    compress(block, input.length, true);
    var out = new Uint8Array(64);
    for (var i = 0; i < 8; i++) {
      for (var j = 0; j < 8; j++) out[i * 8 + j] = Number((h[i] >> B(8 * j)) & B(255));
    }
    return out;
  }

  function b64(text) {
    var bin = atob(text.trim()), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  var canVerifySignatures = !!(B && window.crypto && crypto.subtle && crypto.subtle.importKey);

  /* Resolves to "valid", "invalid: why", "unsupported" or "unsigned".
   * `sigFile` is the signature's bytes (null when missing), or undefined
   * when it was not fetched ahead. */
  function checkSignature(root, rootBytes, sigFile) {
    if (!root.public_key) return Promise.resolve("unsigned");
    if (!canVerifySignatures) return Promise.resolve("unsupported");
    if (sigFile === undefined) sigFile = fetchSignature();
    return Promise.resolve(sigFile).then(function (sigFile) {
      if (!sigFile) return "invalid: the signature file is missing";
      var lines = new TextDecoder().decode(sigFile).split("\n");
      if (lines.length < 4 || lines[2].indexOf("trusted comment: ") !== 0) return "invalid: not a minisign signature";
      var pk = b64(root.public_key), sig = b64(lines[1]), global = b64(lines[3]);
      if (pk.length !== 42 || sig.length !== 74 || global.length !== 64) return "invalid: malformed key or signature";
      if (sig[0] !== 69 || sig[1] !== 68) return "invalid: not a prehashed (ED) signature";
      if (!sameBytes(sig.subarray(2, 10), pk.subarray(2, 10))) return "invalid: signed by another key";
      var comment = new TextEncoder().encode(lines[2].slice("trusted comment: ".length));
      var signed = new Uint8Array(64 + comment.length);
      signed.set(sig.subarray(10));
      signed.set(comment, 64);
      return crypto.subtle.importKey("raw", pk.subarray(10), { name: "Ed25519" }, false, ["verify"]).then(function (key) {
        return Promise.all([
          crypto.subtle.verify({ name: "Ed25519" }, key, sig.subarray(10), blake2b512(rootBytes)),
          crypto.subtle.verify({ name: "Ed25519" }, key, global, signed)
        ]);
      }, function () { return null; }).then(function (ok) {
        if (ok === null) return "unsupported";
        return ok[0] && ok[1] ? "valid" : "invalid: the signature does not match the manifest";
      });
    }).catch(function () { return "invalid: malformed key or signature"; });
  }

  /* The signature's bytes, or null when it cannot be had. */
  function fetchSignature() {
    return fetchBytes(new URL(data.manifest + ".minisig", location.href).href, "no-cache").then(null, function () { return null; });
  }

  /* A key is shown by its fingerprint: SHA-256 of the 32 raw Ed25519 bytes,
   * first 16 bytes as 8 groups of 4 hex digits (as `spore` prints it). Not
   * the minisign key id: those 8 bytes are only declared, and anyone can
   * give their own key the author's id. */
  function fingerprint(publicKey) {
    return sha256hex(b64(publicKey).subarray(10)).then(function (h) {
      return h.slice(0, 32).match(/..../g).join("-");
    });
  }

  /* ---- From file:// ---- */

  function loadScript(src, done) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = function () { done(true); };
    script.onerror = function () { done(false); };
    document.head.appendChild(script);
  }

  /* Loads manifest.js (the root), then the .js twin of this page's shard,
   * and no other: a page costs one shard whatever the site's size. */
  function fileMode() {
    show("unknown", "not checked", ["Opened from a file: a browser cannot read this page's own bytes here."]);
    var manifestJs = new URL(data.manifest_js, location.href).href;
    function finish(line) {
      if (line) addLine(line);
      addPre("cd SITE-FOLDER\nsha256sum -c --strict integrity/SHA256SUMS\nsha256sum " + data.path +
        (data.public_key ? "\nminisign -Vm integrity/manifest.json -P " + data.public_key : "") +
        "\nspore verify SITE-FOLDER" + (data.mirrors.length ? " " + data.mirrors[0].slice(0, data.mirrors[0].length - data.path.length) : ""));
    }
    loadScript(manifestJs, function () {
      var root = window.SPORE_MANIFEST;
      if (!root) return finish("The site manifest (" + data.manifest_js + ") could not be loaded.");
      if (!window.crypto || !crypto.subtle || !window.TextEncoder) {
        return finish("This browser cannot hash here, so it cannot look up this file's entry in the manifest.");
      }
      pathKey(data.path).then(function (key) {
        var ref = shardRef(root, key);
        loadScript(new URL("shards/" + ref.sha256 + ".js", manifestJs).href, function () {
          var shard = own(window.SPORE_SHARDS, ref.sha256);
          var entry = shard && own(shard.files, data.path);
          if (entry) finish("Expected SHA-256 of this file (" + data.path + "), from the manifest: " + entry.sha256);
          else if (shard) finish("This file (" + data.path + ") is not listed in the manifest.");
          else finish("The manifest shard that lists this file (integrity/shards/" + ref.sha256 + ".js) could not be loaded.");
        });
      }).then(null, function (e) {
        finish("Could not look up this file in the manifest: " + message(e) + ".");
      });
    });
  }

  /* ---- Over http(s) ---- */

  /* This page's shard, checked against the root's reference: resolves to
   * its entries, or to null when its bytes are not the ones the root
   * names. A mismatch is fetched once more past the browser's cache, so a
   * bad copy kept there is not believed over the server. */
  function fetchShard(ref) {
    var url = new URL("shards/" + ref.sha256 + ".json", new URL(data.manifest, location.href)).href;
    function matches(bytes) {
      return sha256hex(bytes).then(function (h) { return h === ref.sha256 && bytes.length === ref.size; });
    }
    return fetchBytes(url, "force-cache").then(function (bytes) {
      return matches(bytes).then(function (ok) {
        return ok ? bytes : fetchBytes(url, "reload").then(function (again) {
          return matches(again).then(function (ok) { return ok ? again : null; });
        });
      });
    }).then(function (bytes) {
      if (!bytes) return null;
      var shard = JSON.parse(new TextDecoder().decode(bytes));
      if (!shard || shard.format !== SHARD_FORMAT || !shard.files || typeof shard.files !== "object") {
        throw new Error("the manifest shard " + url + " is not a " + SHARD_FORMAT + " shard");
      }
      return shard.files;
    });
  }

  /* What is wrong with the page's bytes against its entry (none: []). */
  function pageProblems(entry, page, hashes) {
    var problems = [];
    if (!entry) problems.push("This page is not listed in the site manifest.");
    else if (entry.sha256 !== hashes[0] || entry.size !== page.length) problems.push("This page's bytes differ from the manifest (expected SHA-256 " + entry.sha256 + ", got " + hashes[0] + ").");
    if (hashes[1] !== data.self) problems.push("The page's own hash does not match its content.");
    return problems;
  }

  function hashPage(page) {
    return Promise.all([sha256hex(page), sha256hex(zeroSelf(page, data.self))]);
  }

  /* The page as shown comes from the browser's cache when it kept it; if
   * that copy does not match, the server's current one is asked for: a
   * page kept from an earlier version is old, not altered. */
  function judgePage(entry, page, pageUrl) {
    return hashPage(page).then(function (hashes) {
      var problems = pageProblems(entry, page, hashes);
      if (!problems.length || !entry) return { problems: problems };
      /* The server's copy is judged by its entry alone: its self hash is
       * its own, not the one this page carries. */
      return fetchBytes(pageUrl, "no-cache").then(function (fresh) {
        if (sameBytes(fresh, page)) return { problems: problems };
        return sha256hex(fresh).then(function (h) {
          return h === entry.sha256 && fresh.length === entry.size ? { outdated: true } : { problems: problems };
        });
      }, function () { return { problems: problems }; });
    });
  }

  function check() {
    show("unknown", "checking…", ["Checking this page against the site manifest…"]);
    var pageUrl = location.href.split("#")[0];
    var rootUrl = new URL(data.manifest, location.href).href;
    /* Everything that does not need the root starts at once. */
    var signature = data.public_key && canVerifySignatures ? fetchSignature() : undefined;
    return Promise.all([fetchBytes(rootUrl, "no-cache"), fetchBytes(pageUrl, "force-cache"), pathKey(data.path)]).then(function (got) {
      var rootBytes = got[0], page = got[1];
      var root = JSON.parse(new TextDecoder().decode(rootBytes));
      var ref = shardRef(root, got[2]);
      return Promise.all([fetchShard(ref), checkSignature(root, rootBytes, signature)]).then(function (r) {
        var files = r[0], sig = r[1];
        var judged = files ? judgePage(own(files, data.path), page, pageUrl) : Promise.resolve({
          problems: ["The manifest shard that lists this page (integrity/shards/" + ref.sha256 + ".json) does not match the signed root."]
        });
        return judged.then(function (page) { verdictFor(root, sig, page); });
      });
    });
  }

  function verdictFor(root, sig, page) {
    var problems = page.problems || [];
    if ((root.public_key || null) !== (data.public_key || null)) problems.push("The page and the manifest name different keys.");
    if (sig.indexOf("invalid") === 0) problems.push("Manifest signature " + sig + ".");
    if (problems.length) return show("altered", "altered", problems);
    if (page.outdated) {
      return show("unknown", "outdated", ["This page was shown from the browser's cache and is older than the site's version " + root.version + " (" + root.built + "): reload the page to check it."]);
    }
    var lines = ["This page matches the site manifest, version " + root.version + " (" + root.built + ")."];
    if (sig !== "valid") {
      if (sig === "unsupported") lines.push("This browser cannot check Ed25519 signatures; use `spore verify` or minisign.");
      else lines.push("The manifest is not signed.");
      return show("verified", "verified", lines);
    }
    return fingerprint(root.public_key).then(function (fp) {
      lines.push("Manifest signature valid, key fingerprint " + fp + ". That proves only who holds this key: compare the fingerprint with the one the author publishes.");
      show("verified", "verified", lines);
    });
  }

  if (location.protocol !== "http:" && location.protocol !== "https:") return fileMode();
  if (!window.fetch || !window.crypto || !crypto.subtle || !window.TextDecoder || !window.TextEncoder) {
    return show("unknown", "not checked", ["This browser cannot hash files (no WebCrypto)."]);
  }
  check().then(null, function (e) {
    show("unknown", "not checked", ["Could not check this page: " + message(e)]);
  });
})();
