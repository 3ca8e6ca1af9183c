# SPDX-License-Identifier: GPL-2.0
"""Host tests: `cargo test` in tools/testing/kdump_host, one row per Rust test."""

import os
import re
import subprocess
import time
from pathlib import Path

from .common import BUILD, HOST_CRATE, ROOT, SRC, progress, tool_env
from .report import Row

TEST_LINE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)")


def run_host_tests():
    progress("host: cargo test in tools/testing/kdump_host")
    log = BUILD / "logs" / "host-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    res = subprocess.run(["cargo", "test", "--locked", "--", "--test-threads=2"], cwd=HOST_CRATE,
                         env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    secs = time.monotonic() - t0
    log.write_text(res.stdout)
    rows = []
    for line in res.stdout.splitlines():
        m = TEST_LINE.match(line)
        if m and m.group(2) != "ignored":
            rows.append(Row("host", m.group(1), m.group(2) == "ok", "" if m.group(2) == "ok"
                            else f"see {log}"))
    if res.returncode != 0 and all(r.ok for r in rows):
        rows.append(Row("host", "cargo test", False, f"exit {res.returncode}; see {log}", secs))
    progress(f"host: {sum(r.ok for r in rows)}/{len(rows)} passed in {secs:.0f} s")
    return rows


HARNESS_LINE = re.compile(r"^(test_\w+) \(.*\) \.\.\. (ok|FAIL|ERROR)$")


def run_harness_tests():
    """The harness's own unit tests (kdtlib/test_*.py), one row per test."""
    log = BUILD / "logs" / "harness-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["python3", "-m", "unittest", "discover", "-v", "-s", "kdtlib",
                          "-t", "."], cwd=ROOT / "tools" / "testing" / "kdump",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write_text(res.stdout)
    rows = [Row("harness", m.group(1), m.group(2) == "ok", "" if m.group(2) == "ok"
                else f"see {log}")
            for m in map(HARNESS_LINE.match, res.stdout.splitlines()) if m]
    if res.returncode != 0 and all(r.ok for r in rows):
        rows.append(Row("harness", "unittest", False, f"exit {res.returncode}; see {log}"))
    return rows


def _rust_files():
    """The project's Rust files that the kernel compiles."""
    return sorted(str(p) for top in ("rust", "samples", "kexec", "crash", "vmcore")
                  for p in (ROOT / top).rglob("*.rs"))


def _quiet(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, env=tool_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return res.returncode, res.stdout


def run_style_checks():
    """rustfmt (the kernel's .rustfmt.toml) over every Rust file, clippy over the host crate."""
    rows = []
    t0 = time.monotonic()
    rc, out = _quiet(["rustfmt", "--check", "--edition", "2021", "--config-path",
                      str(SRC / ".rustfmt.toml"), *_rust_files()], ROOT)
    rc2, out2 = _quiet(["cargo", "fmt", "--check"], HOST_CRATE)
    bad = sorted({line.split()[2].split(":")[0] for line in (out + out2).splitlines()
                  if line.startswith("Diff in ")})
    rows.append(Row("style", "rustfmt", rc == 0 and rc2 == 0,
                    "" if rc == 0 and rc2 == 0 else "not rustfmt-clean: " + " ".join(bad),
                    time.monotonic() - t0))
    t0 = time.monotonic()
    rc, out = _quiet(["cargo", "clippy", "--locked", "--all-targets", "--", "-D", "warnings"],
                     HOST_CRATE)
    first = next((line for line in out.splitlines() if line.startswith(("error", "warning"))), "")
    rows.append(Row("style", "clippy (host crate)", rc == 0, first, time.monotonic() - t0))
    return rows


# The shape upstream review expects of each part: files of one concept, small; every C entry
# point in the part's exports.rs.
PARTS_DIRS = ("kexec", "vmcore", "crash")
MAX_LINES = 600


# A `// SAFETY:` comment must say why its `unsafe` holds: the `# Safety` clause or invariant it
# relies on, or, for a call that asks nothing, what the call does and where it may be made.
# These phrases point at a reason without giving it.
_SAFETY_START = re.compile(r"(?<!/)//\s*SAFETY:")
_COMMENT_LINE = re.compile(r"^\s*//(?![/!])(.*)$")
_TAGGED = re.compile(r"^\s*[A-Z][A-Z_]*:")
VAGUE_SAFETY = re.compile(r"\bfunction['\u2019]s\s+contract\b|\bby\s+the\s+contract\b"
                          r"|\bno\s+preconditions?\b", re.IGNORECASE)


def safety_comments(text):
    """[(line number, text)] of each `// SAFETY:` comment of a Rust source, its text joined with
    the plain `//` lines that continue it (up to code, a blank line, a doc comment or another
    tagged comment such as `// INVARIANT:`)."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        m = _SAFETY_START.search(lines[i])
        if not m:
            i += 1
            continue
        parts = [lines[i][m.end():]]
        i += 1
        while i < len(lines) and (c := _COMMENT_LINE.match(lines[i])) \
                and not _TAGGED.match(c.group(1)):
            parts.append(c.group(1))
            i += 1
        found.append((i - len(parts) + 1, " ".join(p.strip() for p in parts)))
    return found


def vague_safety(text):
    """Line numbers of the `// SAFETY:` comments of `text` that name no reason: those that
    say "by the function's contract", "by the contract" or "no preconditions" (any case, the
    phrase possibly broken across comment lines)."""
    return [n for n, body in safety_comments(text) if VAGUE_SAFETY.search(body)]


def part_files(part):
    """A part's Rust files, those of its submodules (an arch directory) included."""
    return sorted((ROOT / part).rglob("*.rs"))


def _rel(part, f):
    return str(f.relative_to(ROOT / part))


def vague_safety_in(part):
    """`file:line` of every vague `// SAFETY:` comment of a part's Rust files."""
    return [f"{_rel(part, f)}:{n}" for f in part_files(part)
            for n in vague_safety(f.read_text())]


# A module's use of another module of its crate: `crate::a::b`, `super::a` or `self::a`, in a
# `use` or a path; `use crate::{a, b::c}` names each path in the braces. Line comments (doc
# comments too) are left out first.
_CRATE_PATH = re.compile(r"\b(crate|super|self)::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)")
_USE_GROUP = re.compile(r"\buse\s+(crate|super|self)::\{([^}]*)\}", re.DOTALL)
_LINE_COMMENT = re.compile(r"//.*$", re.MULTILINE)


def module_of(rel):
    """The module path of a crate file from its path under the part: `x86_64/exports.rs` ->
    ("x86_64", "exports"); `x86_64.rs` and `x86_64/mod.rs` -> ("x86_64",)."""
    parts = list(Path(rel).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return tuple(parts)


def module_uses(text, me, modules):
    """The modules of `modules` (tuples) that the source `text` of module `me` names through
    `crate::`, `super::` or `self::`, each resolved to the longest module path that exists."""
    text = _LINE_COMMENT.sub("", text)
    paths = [(m.group(1), m.group(2)) for m in _CRATE_PATH.finditer(text)]
    for m in _USE_GROUP.finditer(text):
        for item in m.group(2).split(","):
            name = item.split(" as ")[0].strip()
            if name and name != "self":
                paths.append((m.group(1), name))
    found = set()
    for root, rest in paths:
        base = {"crate": (), "super": me[:-1], "self": me}[root]
        names = tuple(rest.split("::"))
        for n in range(len(names), 0, -1):
            if base + names[:n] in modules:
                found.add(base + names[:n])
                break
    found.discard(me)
    return found


def import_graph(files):
    """{module: modules it uses} for a crate given as {path under the part: source text}. A
    module's use of its own submodules is its nesting, not a dependency, and is left out."""
    mods = {module_of(rel): text for rel, text in files.items()}
    return {me: {u for u in module_uses(text, me, set(mods)) if u[:len(me)] != me}
            for me, text in mods.items()}


def import_cycles(graph):
    """The strongly connected components of more than one module (Tarjan's), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while not comp or comp[-1] != v:
                comp.append(stack.pop())
                on.discard(comp[-1])
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def cycles_in(part):
    """The import cycles among a part's modules, each as its modules' names."""
    files = {_rel(part, f): f.read_text() for f in part_files(part)}
    return [", ".join("::".join(m) for m in comp) for comp in import_cycles(import_graph(files))]


# The seam between Rust and the tree's own C is declared once, in headers bindgen reads
# (rust/bindings/bindings_helper.h includes each part's glue.h and the kernel-internal headers
# the parts use), so that the C compiler checks each declaration against its definition. A
# hand-written `extern "C" {` block (or `extern {`, `unsafe extern "C" {`) declares C that
# nothing checks; `extern "C" fn` definitions, the exports, are not blocks.
SEAM_FILES = PARTS_DIRS + ("rust/kernel/kexec.rs",)
_EXTERN_BLOCK = re.compile(r'^\s*(?:unsafe\s+)?extern\s*(?:"C"\s*)?\{')


def extern_blocks(text):
    """Line numbers of the `extern "C" {` blocks of a Rust source."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _EXTERN_BLOCK.match(line)]


def extern_blocks_in(path):
    """`file:line` of every `extern "C" {` block of a part (a directory, searched to any depth,
    names relative to it) or of one Rust file."""
    top = ROOT / path
    files = sorted(top.rglob("*.rs")) if top.is_dir() else [top]
    return [f"{f.relative_to(top) if top.is_dir() else f.name}:{n}" for f in files
            for n in extern_blocks(f.read_text())]


def seam_rows():
    """One row a part (and the kernel crate's kexec module): no hand-written `extern "C"` block
    for the tree's own C."""
    rows = []
    for path in SEAM_FILES:
        blocks = extern_blocks_in(path)
        rows.append(Row("structure", f"{path}: no hand-written extern \"C\" block for the "
                        "tree's own C", not blocks,
                        "declare it in a header bindings_helper.h includes: " + ", ".join(blocks)
                        if blocks else ""))
    return rows


def run_structure_checks():
    rows = []
    for part in PARTS_DIRS:
        files = part_files(part)
        long = [f"{_rel(part, f)} ({n} lines)" for f in files
                if (n := len(f.read_text().splitlines())) > MAX_LINES]
        rows.append(Row("structure", f"{part}: files under {MAX_LINES} lines", not long,
                        ", ".join(long) if long else f"{len(files)} files"))
        stray = [_rel(part, f) for f in files
                 if f.name != "exports.rs" and "#[no_mangle]" in f.read_text()]
        rows.append(Row("structure", f"{part}: #[no_mangle] only in exports.rs", not stray,
                        "also in " + ", ".join(stray) if stray else ""))
        vague = vague_safety_in(part)
        rows.append(Row("structure", f"{part}: SAFETY comments name their reason", not vague,
                        "no reason named (\"by the function's contract\", \"no "
                        "preconditions\"): " + ", ".join(vague) if vague else ""))
        cycles = cycles_in(part)
        rows.append(Row("structure", f"{part}: no import cycle among its modules", not cycles,
                        "cycles: " + "; ".join(f"{{{c}}}" for c in cycles) if cycles else ""))
    rows += seam_rows()
    return rows


FUZZ_CRATE = HOST_CRATE / "fuzz"
FUZZ_SECS = int(os.environ.get("KDT_FUZZ_SECS", "60"))


# Inputs a target gets from a built tree, where there is one: the kernel's own purgatory
# object, behind the 4-byte load address the purgatory target reads first.
BUILT_SEEDS = {"kexec_purgatory": BUILD / "rust" / "arch" / "x86" / "purgatory" / "purgatory.ro"}


def _built_seed(target, corpus):
    src = BUILT_SEEDS.get(target)
    if src and src.is_file():
        (corpus / "kernel").write_bytes(b"\x00\x01\x00\x00" + src.read_bytes())


def run_fuzz(secs=FUZZ_SECS):
    """A bounded `cargo fuzz run` of every target, seeded from fuzz/seeds/<target>; the corpus it
    grows is kept in build/fuzz/ so later runs start further in. The machine's stable toolchain
    is used: RUSTC_BOOTSTRAP=1 lets it take the sanitizer flags cargo-fuzz passes."""
    rows = []
    for target in sorted(p.stem for p in (FUZZ_CRATE / "fuzz_targets").glob("*.rs")):
        progress(f"fuzz: {target} for {secs} s (cargo fuzz, address sanitizer)")
        corpus = BUILD / "fuzz" / "corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        _built_seed(target, corpus)
        artifacts = BUILD / "fuzz" / "artifacts" / target
        artifacts.mkdir(parents=True, exist_ok=True)
        log = BUILD / "logs" / f"fuzz-{target}.log"
        env = dict(tool_env(), RUSTC_BOOTSTRAP="1")
        t0 = time.monotonic()
        with open(log, "w") as f:
            res = subprocess.run(
                ["cargo", "fuzz", "run", "--target-dir", str(BUILD / "fuzz" / "target"), target,
                 str(corpus), str(FUZZ_CRATE / "seeds" / target), "--",
                 f"-max_total_time={secs}", f"-artifact_prefix={artifacts}/", "-print_final_stats=1"],
                cwd=HOST_CRATE, env=env, stdout=f, stderr=subprocess.STDOUT)
        text = log.read_text(errors="replace")
        runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
        cov = re.findall(r"cov: (\d+)", text)
        note = (f"{int(runs.group(1)):,} inputs, {cov[-1] if cov else '?'} edges"
                if res.returncode == 0 and runs else
                f"exit {res.returncode}; crash input in {artifacts}, log {log}")
        rows.append(Row("fuzz", target, res.returncode == 0, note, time.monotonic() - t0))
    return rows
