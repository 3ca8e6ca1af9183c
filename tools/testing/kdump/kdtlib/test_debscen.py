# SPDX-License-Identifier: GPL-2.0
"""The Debian scenarios' pure pieces: kdump-tools' directory names, what the console said."""

import unittest

from . import debscen, fleet, qemu


def _run(lines):
    run = qemu.Run("/dev/null")
    for i, text in enumerate(lines):
        qemu.console_line(run, float(i), text.encode(), open("/dev/null", "w"))
    return run


class StampTest(unittest.TestCase):
    def test_local_and_remote_names(self):
        m = debscen.STAMP.match("202612011017")
        self.assertEqual((m.group("host"), m.group("stamp")), (None, "202612011017"))
        m = debscen.STAMP.match("cache-1-202612011030")
        self.assertEqual((m.group("host"), m.group("stamp")), ("cache-1", "202612011030"))
        self.assertIsNone(debscen.STAMP.match("kexec_cmd"))
        self.assertIsNone(debscen.STAMP.match("web1-2026120110"))

    def test_cmdline_names_the_host_and_mode(self):
        line = debscen.cmdline("fleet", "db1")
        self.assertIn("systemd.hostname=db1", line)
        self.assertIn("kdt.debian=fleet", line)
        self.assertIn("crashkernel=384M-:128M", line)


class ConsoleTest(unittest.TestCase):
    LINES = [
        "[    0.000000] Linux version 6.12.117 (first)",
        "[   25.250337] kdump-tools[109]: Starting kdump-tools:",
        "KDT: debian_boot mode=local host=debian kernel=6.12.117",
        "KDT: kdump_status=ready-to-kdump",
        "KDT: crashing",
        "[  128.184000] Kernel panic - not syncing: sysrq triggered crash",
        "[    0.000000] Linux version 6.12.117 (capture)",
        "[   83.295926] kdump-tools[204]: Network not reachable; will try 15 more times.",
    ]

    def test_lines_of_each_boot(self):
        run = _run(self.LINES)
        self.assertEqual(len(run.boots), 2)
        self.assertEqual(debscen.kdump_tools_lines(run, 0),
                         ["[   25.250337] kdump-tools[109]: Starting kdump-tools:"])
        self.assertEqual(len(debscen.kdump_tools_lines(run, 1)), 1)
        self.assertEqual(debscen.kdump_tools_lines(run, 2), [])

    def test_ready_and_panic_time(self):
        run = _run(self.LINES)
        run.exit_code = 0
        self.assertEqual(debscen.first_boot_ready(run).get("kdump_status"), "ready-to-kdump")
        self.assertEqual(debscen.panic_time(run), 5.0)

    def test_not_ready_names_the_state(self):
        run = _run([self.LINES[0], "KDT: debian_boot mode=local",
                    "KDT: kdump_status=Not-ready-to-kdump"])
        run.exit_code = 0
        with self.assertRaises(debscen.Check) as e:
            debscen.first_boot_ready(run)
        self.assertIn("'Not ready to kdump'", str(e.exception))

    def test_retry_line_matches_kdump_config(self):
        # kdump-config's own words, which the unreachable guest's row counts
        self.assertIn(fleet.RETRY_LINE, self.LINES[-1])


if __name__ == "__main__":
    unittest.main()
