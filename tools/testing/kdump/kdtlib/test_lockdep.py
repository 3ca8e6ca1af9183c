# SPDX-License-Identifier: GPL-2.0
"""The lockdep flavour's log check: it must see what lockdep prints, and not the crash a
kdump scenario causes on purpose."""

import tempfile
import unittest
from pathlib import Path

from . import scenarios

CRASH = """\
[    2.101000] sysrq: Trigger a crash
[    2.102000] Kernel panic - not syncing: sysrq triggered crash
[    2.103000] CPU: 1 UID: 0 PID: 61 Comm: sh Not tainted 6.12.57 #3
[    2.104000] Call Trace:
[    2.105000]  <TASK>
[    2.106000]  panic+0x32b/0x370
"""

RCU_SPLAT = """\
[    4.201000] =============================
[    4.202000] WARNING: suspicious RCU usage
[    4.203000] 6.12.57 #3 Not tainted
[    4.204000] -----------------------------
[    4.205000] kdump/vmcore/glue.c:62 vmcore_cb_any() outside the vmcore_cb read section!
"""

SLEEP_SPLAT = """\
[    5.301000] BUG: sleeping function called from invalid context at mm/page_alloc.c:4490
[    5.302000] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 70, name: kexec
"""


def reports(text, dump_log=None):
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "serial.log"
        log.write_text(text)
        if dump_log is not None:
            (Path(d) / "dmesg.txt").write_text(dump_log)
        return scenarios.lockdep_reports(log)


class LockdepReports(unittest.TestCase):
    def test_a_deliberate_crash_is_not_a_report(self):
        self.assertEqual(reports(CRASH), [])

    def test_suspicious_rcu_usage_is_seen(self):
        got = reports(CRASH + RCU_SPLAT)
        self.assertEqual(len(got), 1)
        self.assertIn("suspicious RCU usage", got[0])

    def test_a_sleep_in_atomic_context_is_seen(self):
        self.assertIn("sleeping function", reports(SLEEP_SPLAT)[0])

    def test_a_report_only_the_dump_holds_is_seen(self):
        # Printed in NMI context, it never reached the console before the jump.
        got = reports(CRASH, dump_log=CRASH + SLEEP_SPLAT)
        self.assertEqual(len(got), 1)
        self.assertIn("sleeping function", got[0])

    def test_no_log_no_reports(self):
        self.assertEqual(scenarios.lockdep_reports("/nonexistent/serial.log"), [])
