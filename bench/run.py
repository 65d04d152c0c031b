#!/usr/bin/env python3
"""Spore's build benchmark: Spore against Hugo, Zola, mdBook and Quartz.

Usage (from the repository root):

    python3 bench/run.py                       # 1,000, 10,000 and 50,000 notes
    python3 bench/run.py --sizes 1000 --runs 3 # quick check
    python3 bench/run.py --no-write            # print the table only

For every size it generates a synthetic Obsidian vault (../shared/bench/gen_vault.py
when present, else the test suite's Rust generator via `cargo run --example
gen_vault`), prepares the same notes for each peer (a Hugo site with a content/
tree, an mdBook with a SUMMARY.md listing every note), then times the tools
alternating A B A B, each run rebuilding over the previous output as a user
would. It reports median wall time, CPU time (user + sys) and peak memory (max
RSS) per tool, Spore's ratio to each peer, the floor (reading every file of the
vault; copying the vault), Spore's per-stage times (`--timings`) and one
rebuild after a one-note edit through the library API.

A peer that is not installed is skipped with the reason. A peer whose run takes
longer than --slow seconds is run once at that size and skipped at larger
sizes (mdBook is quadratic: its table of contents is in every page).

The Markdown tables go to stdout and, unless --no-write, into
content/Benchmarks.md and README.md between the `<!-- bench:table -->` and
`<!-- bench:end -->` markers.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_GENERATOR = REPO.parent / "shared" / "bench" / "gen_vault.py"
DOCS = [REPO / "content" / "Benchmarks.md", REPO / "README.md"]
BEGIN, END = "<!-- bench:table -->", "<!-- bench:end -->"


# ── measuring ────────────────────────────────────────────────────────────────

class Sample:
    def __init__(self, wall, cpu, rss_kb):
        self.wall, self.cpu, self.rss_kb = wall, cpu, rss_kb


def run_measured(cmd, cwd=None, timeout=None, quiet=True):
    """Runs cmd, returns a Sample (wall s, user+sys s, max RSS KB) or raises."""
    start = time.perf_counter()
    out = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise TimeoutError(f"{cmd[0]} took more than {timeout:.0f} s")
        time.sleep(0.002)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {code}: {err.strip()[-800:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def median_sample(samples):
    return Sample(statistics.median(s.wall for s in samples),
                  statistics.median(s.cpu for s in samples),
                  statistics.median(s.rss_kb for s in samples))


# ── vaults and peer adapters ─────────────────────────────────────────────────

def generate_vault(n, work, seed):
    vault = work / f"vault-{n}"
    stamp = vault / ".bench-stamp"
    want = f"notes={n} seed={seed} gen={'py' if SHARED_GENERATOR.is_file() else 'rs'}"
    if stamp.is_file() and stamp.read_text() == want:
        return vault
    shutil.rmtree(vault, ignore_errors=True)
    if SHARED_GENERATOR.is_file():
        subprocess.run([sys.executable, str(SHARED_GENERATOR), "--notes", str(n),
                        "--out", str(vault), "--seed", str(seed)], check=True)
    else:
        subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "gen_vault",
                        "--", str(n), str(vault), str(seed)], cwd=REPO, check=True)
    stamp.write_text(want)
    return vault


FRONTMATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def notes_of(vault):
    for path in sorted(vault.rglob("*.md")):
        yield path.relative_to(vault), path.read_text(encoding="utf-8")


def split_frontmatter(text):
    m = FRONTMATTER.match(text)
    return (m.group(1), text[m.end():]) if m else ("", text)


def is_draft(yaml):
    return re.search(r"^(draft:\s*true|publish:\s*false)\s*$", yaml, re.M) is not None


def hugo_frontmatter(yaml):
    """Keeps title, date, tags; drops Obsidian `aliases` (Hugo reads them as URLs)."""
    kept, skipping = [], False
    for line in yaml.split("\n"):
        if re.match(r"^[A-Za-z_]+:", line):
            skipping = line.startswith("aliases:") or line.startswith("cssclasses:")
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "bench"
languageCode = "en"
[markup.goldmark.renderer]
unsafe = false
"""
HUGO_SINGLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav><a href="{{ "/" | relURL }}">Home</a></nav>
<main><h1>{{ .Title }}</h1>
<ul>{{ range .Params.tags }}<li><a href="{{ (printf "tags/%s/" (. | urlize)) | relURL }}">#{{ . }}</a></li>{{ end }}</ul>
{{ .Content }}</main></body></html>
"""
HUGO_LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></main></body></html>
"""


def start_copy(dest, vault):
    """None when dest was prepared from this vault by this script already;
    else empties dest and returns the stamp to write once it is ready."""
    stamp = dest / ".bench-stamp"
    want = (vault / ".bench-stamp").read_text() + " adapter=2"
    if stamp.is_file() and stamp.read_text() == want:
        return None
    shutil.rmtree(dest, ignore_errors=True)
    return want


def prepare_hugo(vault, work, n):
    site = work / f"hugo-{n}"
    want = start_copy(site, vault)
    if want is None:
        return site
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    for rel, text in notes_of(vault):
        yaml, body = split_frontmatter(text)
        dest = site / "content" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(f"---\n{hugo_frontmatter(yaml)}\n---\n{body}", encoding="utf-8")
    if (vault / "attachments").is_dir():
        shutil.copytree(vault / "attachments", site / "static" / "attachments")
    (site / ".bench-stamp").write_text(want)
    return site


ZOLA_CONFIG = """base_url = "https://example.org"
title = "bench"
compile_sass = false
build_search_index = false
taxonomies = [{ name = "tags" }]

[markdown]
render_emoji = false
"""
ZOLA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ page.title }}</title></head>
<body><nav><a href="{{ get_url(path='/') }}">Home</a></nav>
<main><h1>{{ page.title }}</h1>
<ul>{% if page.taxonomies.tags %}{% for t in page.taxonomies.tags %}<li><a href="{{ get_taxonomy_url(kind='tags', name=t) }}">#{{ t }}</a></li>{% endfor %}{% endif %}</ul>
{{ page.content | safe }}</main></body></html>
"""
ZOLA_SECTION = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ section.title }}</title></head>
<body><main><h1>{{ section.title }}</h1>{{ section.content | safe }}
<ul>{% for p in section.pages %}<li><a href="{{ p.permalink }}">{{ p.title }}</a></li>{% endfor %}
{% for s in section.subsections %}<li><a href="{{ get_url(path=s) }}">{{ s }}</a></li>{% endfor %}</ul></main></body></html>
"""
ZOLA_TAXONOMY_LIST = """<!DOCTYPE html><html><body><ul>{% for t in terms %}<li><a href="{{ t.permalink }}">{{ t.name }}</a></li>{% endfor %}</ul></body></html>
"""
ZOLA_TAXONOMY_SINGLE = """<!DOCTYPE html><html><body><h1>{{ term.name }}</h1><ul>{% for p in term.pages %}<li><a href="{{ p.permalink }}">{{ p.title }}</a></li>{% endfor %}</ul></body></html>
"""


def zola_frontmatter(yaml, fallback_title):
    """The title, date and tags of a note as Zola's TOML front matter."""
    title, date, tags, in_tags = fallback_title, None, [], False
    for line in yaml.split("\n"):
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if m:
            key, value = m.group(1), m.group(2).strip()
            in_tags = key == "tags" and value == ""
            if key == "title" and value:
                title = value.strip('"').strip("'")
            elif key == "date" and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
                date = value
            elif key == "tags" and value.startswith("["):
                tags = [t.strip().strip('"\'') for t in value.strip("[]").split(",") if t.strip()]
        elif in_tags and line.strip().startswith("- "):
            tags.append(line.strip()[2:].strip().strip('"\''))
    out = [f"title = {json.dumps(title, ensure_ascii=False)}"]
    if date:
        out.append(f"date = {date}")
    if tags:
        out.append("[taxonomies]")
        out.append("tags = " + json.dumps(tags, ensure_ascii=False))
    return "\n".join(out)


def prepare_zola(vault, work, n):
    """A Zola site with the same notes: TOML front matter (title, date,
    tags as a taxonomy), a section per folder, minimal templates. Wikilinks
    stay plain text, as for the other peers."""
    site = work / f"zola-{n}"
    want = start_copy(site, vault)
    if want is None:
        return site
    (site / "templates" / "tags").mkdir(parents=True)
    (site / "config.toml").write_text(ZOLA_CONFIG)
    for name, text in (("page.html", ZOLA_PAGE), ("section.html", ZOLA_SECTION),
                       ("index.html", ZOLA_SECTION), ("tags/list.html", ZOLA_TAXONOMY_LIST),
                       ("tags/single.html", ZOLA_TAXONOMY_SINGLE)):
        (site / "templates" / name).write_text(text)
    content = site / "content"
    content.mkdir()
    (content / "_index.md").write_text('+++\ntitle = "bench"\n+++\n')
    for rel, text in notes_of(vault):
        yaml, body = split_frontmatter(text)
        if is_draft(yaml):
            continue
        dest = content / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        for folder in [dest.parent, *dest.parent.parents]:
            if folder == content or content not in folder.parents:
                break
            index = folder / "_index.md"
            if not index.exists():
                index.write_text(f'+++\ntitle = {json.dumps(folder.name)}\n+++\n')
        # Zola's shortcodes and internal-link syntax do not occur in the notes;
        # `{{` would start one, so it is escaped the Zola way.
        body = body.replace("{{", "{{/*").replace("}}", "*/}}") if "{{" in body else body
        dest.write_text(f"+++\n{zola_frontmatter(yaml, rel.stem)}\n+++\n{body}", encoding="utf-8")
    if (vault / "attachments").is_dir():
        shutil.copytree(vault / "attachments", site / "static" / "attachments")
    (site / ".bench-stamp").write_text(want)
    return site


def prepare_mdbook(vault, work, n):
    book = work / f"mdbook-{n}"
    want = start_copy(book, vault)
    if want is None:
        return book
    (book / "src").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "bench"\nsrc = "src"\n\n[output.html]\n')
    summary = ["# Summary", ""]
    for rel, text in notes_of(vault):
        yaml, body = split_frontmatter(text)
        if is_draft(yaml):
            continue
        dest = book / "src" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(body, encoding="utf-8")
        title = rel.stem.replace("[", "(").replace("]", ")")
        summary.append(f"- [{title}](<{rel.as_posix()}>)")
    (book / "src" / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    if (vault / "attachments").is_dir():
        shutil.copytree(vault / "attachments", book / "src" / "attachments")
    (book / ".bench-stamp").write_text(want)
    return book


# ── tools ────────────────────────────────────────────────────────────────────

class Tool:
    """One thing to time: a name, how to prepare its input, how to run it."""

    def __init__(self, name, prepare, command, before=None):
        self.name, self.prepare, self.command, self.before = name, prepare, command, before
        self.skipped = {}   # size -> reason
        self.too_slow = None


def version_of(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def build_spore():
    print("building spore (release)…", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "spore",
                    "--example", "bench_incremental"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    return target / "release" / "spore", target / "release" / "examples" / "bench_incremental"


def make_tools(spore, work, wanted, zola=None):
    tools, missing = [], {}

    def spore_cmd(vault, n):
        return [str(spore), "build", str(vault), "--out", str(work / f"out-spore-{n}"), "--quiet"]

    tools.append(Tool("spore", lambda v, n: v, spore_cmd))

    def spore_fresh_cmd(vault, n):
        return [str(spore), "build", str(vault), "--out", str(work / f"out-spore-fresh-{n}"), "--quiet"]

    def clear_fresh(n):
        shutil.rmtree(work / f"out-spore-fresh-{n}", ignore_errors=True)

    tools.append(Tool("spore (fresh folder)", lambda v, n: v, spore_fresh_cmd, before=clear_fresh))

    if "hugo" in wanted:
        if shutil.which("hugo"):
            tools.append(Tool("hugo", lambda v, n: prepare_hugo(v, work, n),
                              lambda site, n: ["hugo", "--quiet", "--source", str(site),
                                               "--destination", str(work / f"out-hugo-{n}")]))
        else:
            missing["hugo"] = "not installed (apt-get install hugo)"
    if "mdbook" in wanted:
        if shutil.which("mdbook"):
            tools.append(Tool("mdbook", lambda v, n: prepare_mdbook(v, work, n),
                              lambda book, n: ["mdbook", "build", str(book), "--dest-dir",
                                               str(work / f"out-mdbook-{n}")]))
        else:
            missing["mdbook"] = "not installed (cargo install mdbook --locked)"
    if "zola" in wanted:
        if zola:
            def zola_cmd(site, n):
                # Zola writes only into a folder that does not exist (or with
                # --force): a new folder each run, as `spore (fresh folder)`.
                return [zola, "--root", str(site), "build", "--output-dir",
                        str(work / f"out-zola-{n}"), "--force"]

            def clear_zola(n):
                shutil.rmtree(work / f"out-zola-{n}", ignore_errors=True)

            tools.append(Tool("zola", lambda v, n: prepare_zola(v, work, n), zola_cmd,
                              before=clear_zola))
        else:
            missing["zola"] = ("not installed (not in Debian's packages nor on crates.io: "
                               "build it from its source and pass --zola PATH)")
    if "quartz" in wanted:
        missing["quartz"] = "not measured: Quartz is not published on npm (it installs from a git clone)"
    return tools, missing


# ── floor, stages, incremental ───────────────────────────────────────────────

def floor(vault, work, runs):
    read, copy = [], []
    dest = work / "floor-copy"
    for _ in range(runs):
        # `find -exec cat {} +` batches the names: 50,000 do not fit one command line.
        read.append(run_measured(["sh", "-c", 'find "$1" -type f -exec cat {} + > /dev/null',
                                  "sh", str(vault)]))
        shutil.rmtree(dest, ignore_errors=True)
        copy.append(run_measured(["cp", "-r", str(vault), str(dest)]))
    shutil.rmtree(dest, ignore_errors=True)
    return median_sample(read), median_sample(copy)


def stage_times(spore, vault, work, n):
    out = subprocess.run([str(spore), "build", str(vault), "--out", str(work / f"out-spore-{n}"),
                          "--timings"], capture_output=True, text=True, check=True)
    stages = {}
    for line in (out.stdout + out.stderr).splitlines():
        m = re.match(r"^\s+([a-z]+)\s+([\d.]+) ms$", line)
        if m:
            stages[m.group(1)] = float(m.group(2))
    return stages


def incremental(bench_bin, vault):
    try:
        out = subprocess.run([str(bench_bin), str(vault), "3"], capture_output=True,
                             text=True, check=True, timeout=1800)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, OSError, ValueError, IndexError) as e:
        return {"error": str(e)}


# ── report ───────────────────────────────────────────────────────────────────

def fmt_s(x):
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def fmt_mb(kb):
    return f"{kb / 1024:.0f} MB"


def table(results, floors, stages, incr, missing, runs, env):
    lines = []
    lines.append(f"Machine: {env['cpus']} cores, {env['machine']}; median of {runs} runs, "
                 f"alternating tools; each run rebuilds over the previous output "
                 f"(\"fresh folder\": the output folder is removed before each run).")
    lines.append("Versions: " + "; ".join(f"{k} {v}" for k, v in env["versions"].items()) + ".")
    lines.append("")
    lines.append("| notes | tool | wall | CPU (user+sys) | peak memory | Spore wall ÷ tool | Spore memory ÷ tool |")
    lines.append("|---:|---|---:|---:|---:|---:|---:|")
    for n in sorted(results):
        spore = results[n].get("spore")
        rows = sorted(results[n].items(),
                      key=lambda kv: (not kv[0].startswith("spore"), kv[1][0] is None))
        for name, (sample, note) in rows:
            if sample is None:
                lines.append(f"| {n:,} | {name} | — | — | — | — | — ({note}) |")
                continue
            label = name + (f" ({note})" if note else "")
            ratio_t = ratio_m = ""
            if spore and spore[0] and not name.startswith("spore"):
                ratio_t = f"{spore[0].wall / sample.wall:.2f}×"
                ratio_m = f"{spore[0].rss_kb / sample.rss_kb:.2f}×"
            lines.append(f"| {n:,} | {label} | {fmt_s(sample.wall)} | {fmt_s(sample.cpu)} | "
                         f"{fmt_mb(sample.rss_kb)} | {ratio_t} | {ratio_m} |")
        if n not in floors:
            continue
        read, copy = floors[n]
        lines.append(f"| {n:,} | floor: read every file (`cat`) | {fmt_s(read.wall)} | {fmt_s(read.cpu)} | "
                     f"{fmt_mb(read.rss_kb)} | | |")
        lines.append(f"| {n:,} | floor: copy the vault (`cp -r`) | {fmt_s(copy.wall)} | {fmt_s(copy.cpu)} | "
                     f"{fmt_mb(copy.rss_kb)} | | |")
    for name, reason in missing.items():
        lines.append(f"| | {name} | — | — | — | | {reason} |")
    lines.append("")
    lines.append("Where Spore's time goes (`spore build --timings`, one run, milliseconds):")
    lines.append("")
    names = []
    for n in sorted(stages):
        for s in stages[n]:
            if s not in names:
                names.append(s)
    lines.append("| notes | " + " | ".join(names) + " |")
    lines.append("|---:|" + "---:|" * len(names))
    for n in sorted(stages):
        lines.append(f"| {n:,} | " + " | ".join(f"{stages[n].get(s, 0):.0f}" for s in names) + " |")
    lines.append("")
    lines.append("Rebuild after editing one note's body, through the library API "
                 "(median of 3; no disk write):")
    lines.append("")
    lines.append("| notes | API | first build | rebuild after one edit |")
    lines.append("|---:|---|---:|---:|")
    for n in sorted(incr):
        r = incr[n]
        if "error" in r:
            lines.append(f"| {n:,} | — | — | failed: {r['error'][:80]} |")
        else:
            lines.append(f"| {n:,} | `{r['api']}` | {r['first_ms']:.0f} ms | {r['rebuild_ms']:.0f} ms |")
    return "\n".join(lines) + "\n"


def write_doc(text):
    for doc_path in DOCS:
        if not doc_path.is_file():
            print(f"{doc_path} not found; table not written there", file=sys.stderr)
            continue
        doc = doc_path.read_text(encoding="utf-8")
        if BEGIN not in doc or END not in doc:
            print(f"{doc_path} has no {BEGIN} … {END} markers; table not written there",
                  file=sys.stderr)
            continue
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc_path.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"wrote the table into {doc_path.relative_to(REPO)}")


# ── main ─────────────────────────────────────────────────────────────────────

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,50000",
                    help="comma-separated vault sizes in notes (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool and size (default: 3)")
    ap.add_argument("--peers", default="hugo,mdbook,zola,quartz",
                    help="peers to time (default: %(default)s)")
    ap.add_argument("--work", default=str(REPO / "target" / "bench"),
                    help="folder for vaults and outputs (default: target/bench)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slow", type=float, default=60.0,
                    help="a peer run slower than this many seconds runs once, "
                         "and not at larger sizes (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=900.0,
                    help="kill a single run after this many seconds (default: %(default)s)")
    ap.add_argument("--zola", default=os.environ.get("ZOLA") or shutil.which("zola"),
                    help="the zola binary (default: $ZOLA, else zola on PATH)")
    ap.add_argument("--no-write", action="store_true", help="do not update content/Benchmarks.md and README.md")
    a = ap.parse_args()
    sizes = [int(s.replace("_", "").replace(",", "")) for s in a.sizes.split(",") if s.strip()]
    wanted = {p.strip() for p in a.peers.split(",") if p.strip()}
    work = Path(a.work).resolve()
    work.mkdir(parents=True, exist_ok=True)

    spore, bench_bin = build_spore()
    tools, missing = make_tools(spore, work, wanted, a.zola)
    for name, reason in missing.items():
        print(f"skipping {name}: {reason}")
    env = {"cpus": os.cpu_count(), "machine": platform.machine(), "versions": {
        "spore": version_of([str(spore), "--version"]) or "?"}}
    for t, cmd in (("hugo", ["hugo", "version"]), ("mdbook", ["mdbook", "--version"]),
                   ("zola", [a.zola or "zola", "--version"])):
        if any(x.name == t for x in tools):
            env["versions"][t] = version_of(cmd) or "?"

    results, floors, stages, incr = {}, {}, {}, {}
    for n in sizes:
        print(f"\n== {n:,} notes ==", flush=True)
        vault = generate_vault(n, work, a.seed)
        inputs, active = {}, []
        for tool in tools:
            if tool.too_slow:
                results.setdefault(n, {})[tool.name] = (None, tool.too_slow)
                continue
            inputs[tool.name] = tool.prepare(vault, n)
            active.append(tool)
        samples = {t.name: [] for t in active}
        # Warm-up: fills the page cache and leaves an output to rebuild over.
        for tool in list(active):
            if tool.before:
                tool.before(n)
            try:
                s = run_measured(tool.command(inputs[tool.name], n), timeout=a.timeout)
            except (RuntimeError, TimeoutError) as e:
                print(f"  {tool.name}: {e}")
                results.setdefault(n, {})[tool.name] = (None, str(e)[:120])
                tool.too_slow = f"skipped: failed at {n:,} notes"
                active.remove(tool)
                continue
            print(f"  warm-up {tool.name}: {s.wall:.2f} s", flush=True)
            if s.wall > a.slow:
                samples[tool.name].append(s)  # too slow to repeat: this run counts
                active.remove(tool)
                tool.too_slow = f"skipped: {s.wall:.0f} s at {n:,} notes"
        for run in range(a.runs):
            for tool in active:
                if tool.before:
                    tool.before(n)
                s = run_measured(tool.command(inputs[tool.name], n), timeout=a.timeout)
                samples[tool.name].append(s)
                print(f"  run {run + 1} {tool.name}: {s.wall:.2f} s, cpu {s.cpu:.2f} s, "
                      f"{s.rss_kb / 1024:.0f} MB", flush=True)
        for tool in tools:
            if samples.get(tool.name):
                note = "1 run" if len(samples[tool.name]) == 1 else ""
                results.setdefault(n, {})[tool.name] = (median_sample(samples[tool.name]), note)
        try:
            floors[n] = floor(vault, work, a.runs)
        except (RuntimeError, OSError) as e:
            print(f"  floor failed: {e}")
        try:
            stages[n] = stage_times(spore, vault, work, n)
        except (subprocess.SubprocessError, OSError) as e:
            print(f"  --timings run failed: {e}")
            stages[n] = {}
        incr[n] = incremental(bench_bin, vault)
        print(f"  stages: {stages[n]}\n  incremental: {incr[n]}", flush=True)
        # The tables so far, in case a later size fails.
        print(table(results, floors, stages, incr, missing, a.runs, env), flush=True)

    text = table(results, floors, stages, incr, missing, a.runs, env)
    print()
    print(text)
    if not a.no_write:
        write_doc(text)


if __name__ == "__main__":
    main()
