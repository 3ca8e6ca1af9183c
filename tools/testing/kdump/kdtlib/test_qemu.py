# SPDX-License-Identifier: GPL-2.0
"""Serial-line parsing: facts the guest printed must survive kernel messages cutting them."""

import tempfile
import unittest
from pathlib import Path

from . import qemu

BOOT = "[    0.000000] Linux version 6.12.0 (kdt) #1 SMP"


def facts(*lines):
    with tempfile.TemporaryDirectory() as d:
        res = qemu.Run(Path(d) / "serial.log")
        with open(res.log, "w") as logf:
            for i, line in enumerate((BOOT, *lines)):
                qemu.console_line(res, float(i), line.encode(), logf)
    return res.boots[-1].every


class Mending(unittest.TestCase):
    def test_whole_lines(self):
        got = facts("KDT: iomem=00100000-3fffffff:System_RAM", "KDT: load_rc=0")
        self.assertEqual(got["iomem"], ["00100000-3fffffff:System_RAM"])
        self.assertEqual(got["load_rc"], ["0"])

    def test_cut_by_one_kernel_message(self):
        # What CI once saw: the value read as '00001[' and the rest was lost.
        got = facts("KDT: iomem=00001[   12.345678] random: crng init done",
                    "000-3fffffff:System_RAM", "KDT: next=1")
        self.assertEqual(got["iomem"], ["00001000-3fffffff:System_RAM"])
        self.assertEqual(got["next"], ["1"])

    def test_cut_by_several_messages(self):
        got = facts("KDT: a=1 b=2[    3.000001] one",
                    "[    3.000002] two", "[    3.000003] three", "2 c=3")
        self.assertEqual(got, {"a": ["1"], "b": ["22"], "c": ["3"]})

    def test_cut_twice(self):
        got = facts("KDT: a=1[    1.000000] x", " b=[    1.000001] y", "2")
        self.assertEqual(got, {"a": ["1"], "b": ["2"]})

    def test_cut_before_the_tag(self):
        got = facts("KD[    1.000000] x", "T: a=1")
        self.assertEqual(got, {"a": ["1"]})

    def test_kernel_lines_stay_as_they_came(self):
        with tempfile.TemporaryDirectory() as d:
            res = qemu.Run(Path(d) / "serial.log")
            with open(res.log, "w") as logf:
                for i, line in enumerate((BOOT, "KDT: a[    2.000000] Kernel panic - x", "=1")):
                    qemu.console_line(res, float(i), line.encode(), logf)
        self.assertIsNotNone(res.find("Kernel panic"))
        self.assertEqual(res.boots[-1].every, {"a": ["1"]})

    def test_a_new_kernel_drops_a_cut_never_continued(self):
        got = facts("KDT: a=[    9.000000] sysrq: Trigger a crash", BOOT, "KDT: b=2")
        self.assertEqual(got, {"b": ["2"]})


if __name__ == "__main__":
    unittest.main()
