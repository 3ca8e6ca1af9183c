# SPDX-License-Identifier: GPL-2.0
"""KUnit through the kernel's own tools/testing/kunit/kunit.py, with the project's .kunitconfig.

kunit.py builds in build/kunit/ (O=), boots the x86_64 QEMU config and parses the TAP output;
its --json results become one row per test case.
"""

import json
import time

from .common import BUILD, CONFIGS, SRC, progress, run
from .report import Row

KUNITCONFIG = CONFIGS / ".kunitconfig"
FAILING_OPTION = "CONFIG_SAMPLE_RUST_KDUMP_KUNIT_FAILING=y"


def _cases(node, prefix=""):
    name = node.get("name", "")
    path = f"{prefix}.{name}" if prefix and name else (name or prefix)
    for case in node.get("test_cases", []):
        yield f"{path}.{case['name']}" if path else case["name"], case.get("status", "")
    for sub in node.get("sub_groups", []):
        yield from _cases(sub, "" if name in ("", "KUnit Test Group") else path)


def run_kunit(failing=False):
    """Run the suites; returns (rows, kunit.py exit code, log path)."""
    build_dir = BUILD / ("kunit-failing" if failing else "kunit")
    build_dir.mkdir(parents=True, exist_ok=True)
    log = build_dir / "kunit.log"
    log.unlink(missing_ok=True)
    result = build_dir / "results.json"
    result.unlink(missing_ok=True)
    cmd = ["python3", str(SRC / "tools/testing/kunit/kunit.py"), "run", "--arch=x86_64",
           "--make_options", "LLVM=1", f"--kunitconfig={KUNITCONFIG}",
           f"--build_dir={build_dir}", "--jobs=2", "--timeout=300", f"--json={result}"]
    if failing:
        cmd += ["--kconfig_add", FAILING_OPTION]
    progress(f"kunit: kunit.py run --arch=x86_64 --make_options LLVM=1 (builds a kernel, ~4-8 min; "
             f"log: {log})")
    t0 = time.monotonic()
    rc = run(cmd, cwd=SRC, log=log, check=False)
    secs = time.monotonic() - t0
    progress(f"kunit: kunit.py exited {rc} after {secs:.0f} s")
    rows = []
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return [Row("kunit", "kunit.py", False, f"no results (exit {rc}); see {log}", secs)], rc, log
    for name, status in _cases(data):
        rows.append(Row("kunit", name, status == "PASS", status, 0.0))
    if not rows:
        rows.append(Row("kunit", "kunit.py", False, f"ran no test case (exit {rc}); see {log}", secs))
    return rows, rc, log
