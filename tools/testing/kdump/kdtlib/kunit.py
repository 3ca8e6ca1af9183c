# SPDX-License-Identifier: GPL-2.0
"""KUnit through the kernel's own tools/testing/kunit/kunit.py, with the project's .kunitconfig.

`make kunit` runs `kunit.py run --arch=x86_64 --make_options LLVM=1` on the Rust flavour's
own build directory: that kernel has KUnit built in (off unless `kunit.enable=1`, which
kunit.py passes), so the suites test the product kernel and no third kernel is built.
kunit.py keeps a .config that already holds everything the .kunitconfig asks for, once it finds
its record of the .kunitconfig it last used (build/rust/last_used_kunitconfig) unchanged; this
module writes that record, checks the subset first, and checks afterwards that kunit.py left the configuration
alone. The deliberately failing case needs another option, so it builds in build/kunit-failing
with kunit.py's own configuration.

kunit.py's --json results become one row per test case.
"""

import hashlib
import json
import time

from . import kbuild
from .common import BUILD, CONFIGS, SRC, KdtError, progress, run
from .report import Row

KUNITCONFIG = CONFIGS / ".kunitconfig"
FAILING_OPTION = "CONFIG_SAMPLE_RUST_KDUMP_KUNIT_FAILING=y"
# What kunit.py's x86_64 QEMU config adds to every .kunitconfig
# (tools/testing/kunit/qemu_configs/x86_64.py).
ARCH_OPTIONS = {"CONFIG_SERIAL_8250": "y", "CONFIG_SERIAL_8250_CONSOLE": "y"}


def _cases(node, prefix=""):
    name = node.get("name", "")
    path = f"{prefix}.{name}" if prefix and name else (name or prefix)
    for case in node.get("test_cases", []):
        yield f"{path}.{case['name']}" if path else case["name"], case.get("status", "")
    for sub in node.get("sub_groups", []):
        yield from _cases(sub, "" if name in ("", "KUnit Test Group") else path)


def _adopt(build_dir):
    """Make kunit.py keep build_dir's .config: check it holds the .kunitconfig, then write
    kunit.py's record of the .kunitconfig it was made from."""
    want = dict(ARCH_OPTIONS)
    want.update(kbuild.read_options(KUNITCONFIG))
    have = kbuild.read_options(build_dir / ".config")
    missing = [f"{k}={v}" for k, v in want.items() if have.get(k, "n") != v]
    if missing:
        raise KdtError(f"{build_dir}/.config lacks what {KUNITCONFIG.name} asks: "
                       + ", ".join(missing) + " (see tools/testing/kdump/configs/rust.config)")
    (build_dir / "last_used_kunitconfig").write_text(
        "".join(f"{k}={v}\n" for k, v in want.items()))


def run_kunit(failing=False):
    """Run the suites; returns (rows, kunit.py exit code, log path)."""
    if failing:
        build_dir = BUILD / "kunit-failing"
        build_dir.mkdir(parents=True, exist_ok=True)
    else:
        kbuild.build("rust")
        build_dir = kbuild.flavour_dir("rust")
        _adopt(build_dir)
    config_before = hashlib.sha256((build_dir / ".config").read_bytes()).hexdigest() \
        if (build_dir / ".config").exists() else None
    log = build_dir / "kunit.log"
    log.unlink(missing_ok=True)
    result = build_dir / "kunit-results.json"
    result.unlink(missing_ok=True)
    cmd = ["python3", str(SRC / "tools/testing/kunit/kunit.py"), "run", "--arch=x86_64",
           "--make_options", "LLVM=1", f"--kunitconfig={KUNITCONFIG}",
           f"--build_dir={build_dir}", "--jobs=2", "--timeout=300", f"--json={result}"]
    if failing:
        cmd += ["--kconfig_add", FAILING_OPTION]
    progress(f"kunit: kunit.py run --arch=x86_64 --make_options LLVM=1 on {build_dir} "
             f"(log: {log})")
    t0 = time.monotonic()
    rc = run(cmd, cwd=SRC, log=log, check=False)
    secs = time.monotonic() - t0
    progress(f"kunit: kunit.py exited {rc} after {secs:.0f} s")
    rows = []
    if not failing:
        after = hashlib.sha256((build_dir / ".config").read_bytes()).hexdigest()
        if after != config_before:
            # Make the next build regenerate the flavour's configuration from its fragments.
            (build_dir / ".kdump-config").unlink(missing_ok=True)
            rows.append(Row("kunit", "flavour-config-kept", False,
                            f"kunit.py rewrote {build_dir}/.config; see {log}"))
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return rows + [Row("kunit", "kunit.py", False, f"no results (exit {rc}); see {log}",
                           secs)], rc, log
    for name, status in _cases(data):
        rows.append(Row("kunit", name, status == "PASS", status, 0.0))
    if not any(r.name != "flavour-config-kept" for r in rows):
        rows.append(Row("kunit", "kunit.py", False, f"ran no test case (exit {rc}); see {log}",
                        secs))
    return rows, rc, log
