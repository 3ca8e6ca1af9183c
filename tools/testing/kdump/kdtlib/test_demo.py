# SPDX-License-Identifier: GPL-2.0
"""Unit tests of `make demo`'s summary (cli.demo_summary), on a kdump result of the shape
scenarios.kdump() returns: the summary states every part and fact, or says what it lacks."""

import unittest

from . import cli
from .report import Row
from .registry import Result

BACKTRACE = """\
thread 1 (sh)
#0  crash_dump::panic::crash_kexec_now at kdump/crash/panic.rs:88:5
#1  vpanic at kernel/panic.c:354:3
#2  panic at kernel/panic.c:481:2
#3  sysrq_handle_crash at drivers/tty/sysrq.c:154:2"""


def _result():
    res = Result("kdump", "rust")
    res.ok, res.secs = True, 7.5
    res.details = {
        "load": "0.31 s", "crash to capture userspace": "1.42 s",
        "vmcore read+write (dd bs=1M)": "0.40 s", "read/mmap": "mmap read-only ok",
        "makedumpfile -d 31": "9.1 MiB in 0.3 s",
        "panic": "Kernel panic - not syncing: sysrq triggered crash",
        "vmcore": "815 MiB", "ELF": "ELF64, PT_NOTE first", "backtrace": BACKTRACE,
    }
    return res


def _parts():
    return {part: Row(part, "rust", True, f"{part} from Rust") for part in cli.PROVIDERS}


class DemoSummary(unittest.TestCase):
    def test_every_part_and_fact_is_stated(self):
        text = "\n".join(cli.demo_summary(_result(), 300.0, _parts(), "kernel source: x"))
        for label in list(cli.DEMO_PARTS.values()) + [lb for lb, _ in cli.DEMO_FACTS]:
            self.assertIn(label + ":", text)
        self.assertIn("__crash_kexec (crash_core.o):", text)
        self.assertIn("crash from Rust", text)
        self.assertIn("kernel source: x", text)
        self.assertIn("  #0  crash_dump::panic::crash_kexec_now", text)

    def test_a_new_part_gets_a_line_of_its_own(self):
        self.assertEqual(set(cli.DEMO_PARTS), set(cli.PROVIDERS))

    def test_a_missing_fact_is_named(self):
        res = _result()
        del res.details["makedumpfile -d 31"]
        with self.assertRaisesRegex(cli.KdtError, "no 'makedumpfile -d 31'"):
            cli.demo_summary(res, 300.0, _parts(), "")

    def test_the_crash_time_may_be_missing(self):
        res = _result()
        del res.details["crash to capture userspace"]
        text = "\n".join(cli.demo_summary(res, 300.0, _parts(), ""))
        self.assertIn("crash to capture userspace: not measured", text.replace("  ", ""))

    def test_an_inlined_rust_frame_counts_by_its_source(self):
        res = _result()
        res.details["backtrace"] = BACKTRACE.replace("crash_dump::panic::crash_kexec_now",
                                                     "__crash_kexec")
        cli.demo_summary(res, 300.0, _parts(), "")

    def test_a_part_not_from_rust_is_named(self):
        parts = _parts()
        parts["crash"] = Row("crash", "rust", False, "rust_code=False (want True)")
        with self.assertRaisesRegex(cli.KdtError, "crash: rust_code=False"):
            cli.demo_summary(_result(), 300.0, parts, "")

    def test_a_backtrace_without_the_rust_crash_path_fails(self):
        res = _result()
        res.details["backtrace"] = BACKTRACE.replace("crash_dump::panic::", "").replace(
            "kdump/crash/panic.rs", "kernel/crash_core.c")
        with self.assertRaisesRegex(cli.KdtError, "no frame of the Rust crash path"):
            cli.demo_summary(res, 300.0, _parts(), "")


if __name__ == "__main__":
    unittest.main()
