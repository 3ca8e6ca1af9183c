# SPDX-License-Identifier: GPL-2.0
"""Host tests: `cargo test` in tools/testing/kdump_host, one row per Rust test."""

import re
import subprocess
import time

from .common import BUILD, HOST_CRATE, progress, tool_env
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
