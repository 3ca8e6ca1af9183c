# SPDX-License-Identifier: GPL-2.0
"""Host tests: `cargo test` in tools/testing/kdump_host, one row per Rust test."""

import re
import subprocess
import time

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
