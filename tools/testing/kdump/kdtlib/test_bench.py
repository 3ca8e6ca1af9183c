# SPDX-License-Identifier: GPL-2.0
"""Unit tests of `make bench`'s kexec_file_load figures: the test loader's lines parsed
(kexec-errno/kexec-file-time.c), the kexec.json rows made of several boots, and the table."""

import re
import unittest

from . import bench
from .common import GUEST, KdtError
from .scenarios import MIDLOAD_LOADERS

# One boot's serial lines, as the host sees them (with the console's prefix).
BOOT = """[   2.011] KDT: role=first scenario=fload uptime=2.011298
[   3.100] KDT-FLOAD-INFO kernel=16044032 initrd=67108864 init_size=16027648
[   4.000] KDT-FLOAD l 1.500000 OK
[   5.000] KDT-FLOAD p 1.200000 OK
[   6.000] KDT-FLOAD l 1.300000 OK
[   7.000] KDT-FLOAD p 1.100000 OK
[   9.000] KDT-FLOCK l 2.000000 OK hold=1.990000 busy=0.9950 samples=200000 sample_us=9.50 \
retries=0 other=0
[  11.000] KDT-FLOCK p 2.200000 OK hold=2.190000 busy=1.0000 samples=210000 sample_us=9.80 \
retries=1 other=0
[  11.100] KDT: fload_rc=0""".splitlines()


def _boot(load_l, load_p, hold_l, hold_p, busy=0.5):
    return {"info": {"kernel": 16044032, "initrd": 67108864, "init_size": 16027648},
            "loads": {"normal": load_l, "crash": load_p},
            "probes": {"normal": [{"seconds": 2.0, "hold": hold_l, "busy": busy, "samples": 10,
                                   "sample_us": 9.0, "retries": 0, "other": 0}],
                       "crash": [{"seconds": 2.5, "hold": hold_p, "busy": busy, "samples": 10,
                                  "sample_us": 8.0, "retries": 2, "other": 0}]}}


class ParseFileLoads(unittest.TestCase):
    def test_loads_and_probes_by_kind(self):
        got = bench.parse_file_loads(BOOT)
        self.assertEqual(got["info"], {"kernel": 16044032, "initrd": 67108864,
                                       "init_size": 16027648})
        self.assertEqual(got["loads"], {"normal": [1.5, 1.3], "crash": [1.2, 1.1]})
        self.assertEqual(got["probes"]["normal"], [{"seconds": 2.0, "hold": 1.99, "busy": 0.995,
                                                    "samples": 200000, "sample_us": 9.5,
                                                    "retries": 0, "other": 0}])
        self.assertEqual(got["probes"]["crash"][0]["retries"], 1)
        self.assertIsInstance(got["probes"]["crash"][0]["samples"], int)

    def test_a_failed_load_is_named(self):
        lines = BOOT[:3] + ["[   4.000] KDT-FLOAD p 0.000100 ENOMEM"]
        with self.assertRaisesRegex(KdtError, "crash image gave ENOMEM"):
            bench.parse_file_loads(lines)

    def test_other_lines_are_ignored(self):
        got = bench.parse_file_loads(["KDT: fload_rc=0", "KDT-LOAD 0.1 OK"])
        self.assertEqual(got["loads"], {"normal": [], "crash": []})
        self.assertEqual(got["info"], {})


class FileLoadRows(unittest.TestCase):
    BOOTS = {"c": [_boot([1.0, 1.2, 1.1], [2.0], 1.0, 2.0, busy=0.99),
                   _boot([1.4], [2.2], 1.3, 2.1, busy=0.98),
                   _boot([1.2], [2.4], 1.2, 2.2, busy=0.97)],
             "rust": [_boot([1.0], [2.0], 0.00001, 0.5, busy=0.0),
                      _boot([0.9], [1.8], 0.00002, 0.4, busy=0.01)]}

    def rows(self):
        return {(r["flavour"], r["test"]): r for r in bench.file_load_rows(self.BOOTS)}

    def test_load_is_the_median_of_boot_medians(self):
        r = self.rows()[("c", "kexec_file_load_normal")]
        self.assertEqual(r["boot_medians"], [1.1, 1.4, 1.2])
        self.assertEqual(r["seconds"], 1.2)
        self.assertEqual(r["spread"], 0.25)
        self.assertEqual((r["kernel_bytes"], r["initrd_bytes"]), (16044032, 67108864))
        self.assertEqual(self.rows()[("rust", "kexec_file_load_crash")]["seconds"], 1.9)

    def test_lock_rows_carry_the_probe(self):
        r = self.rows()[("c", "kexec_file_lock_crash")]
        self.assertEqual(r["seconds"], 2.1)
        self.assertEqual(r["busy"], 0.98)
        self.assertEqual(r["load_seconds"], 2.5)
        self.assertEqual(r["sample_us"], 8.0)
        self.assertEqual(r["retries"], 6)
        self.assertEqual(self.rows()[("rust", "kexec_file_lock_normal")]["seconds"], 1.5e-05)

    def test_every_flavour_has_four_rows(self):
        self.assertEqual(sorted(t for f, t in self.rows() if f == "rust"),
                         ["kexec_file_load_crash", "kexec_file_load_normal",
                          "kexec_file_lock_crash", "kexec_file_lock_normal"])


class FileTable(unittest.TestCase):
    def test_ratios_and_shares(self):
        lines = bench.file_table_lines(bench.file_load_rows(FileLoadRows.BOOTS), ["c", "rust"])
        text = "\n".join(lines)
        self.assertIn("kexec_file_load, 15.3 MiB kernel + 64 MiB initrd (ms)", text)
        row = next(line for line in lines if line.startswith("kexec -s -l: load"))
        # C 1.2 s, Rust the median of 1.0 and 0.9; C's boot medians spread the most.
        self.assertEqual(row.split()[-4:], ["1200.0", "950.0", "0.79x", "25%"])
        held = next(line for line in lines if line.startswith("kexec -s -l: kexec lock held"))
        # A tiny ratio keeps three digits rather than rounding to 0.00x.
        self.assertEqual(held.split()[-4:], ["1200.0", "0.015", "0.000x", "67%"])
        share = next(line for line in lines if line.startswith("kexec -s -p: share"))
        self.assertEqual(share.split()[-2:], ["98.0%", "0.5%"])
        self.assertTrue(all(len(line) <= 100 for line in lines))

    def test_a_hold_never_seen_is_under_a_sample(self):
        boots = {"c": FileLoadRows.BOOTS["c"],
                 "rust": [_boot([1.0], [2.0], 0.0, 0.5, busy=0.0)]}
        lines = bench.file_table_lines(bench.file_load_rows(boots), ["c", "rust"])
        held = next(line for line in lines if line.startswith("kexec -s -l: kexec lock held"))
        # The probe's mean sample is 9 us: the hold, if any, was shorter.
        self.assertEqual(held.split()[-4:], ["1200.0", "<0.009", "0.000x", "25%"])

    def test_no_rows_no_table(self):
        self.assertEqual(bench.file_table_lines([], ["c", "rust"]), [])

    def test_one_flavour_has_no_ratio(self):
        rows = bench.file_load_rows({"c": FileLoadRows.BOOTS["c"]})
        lines = bench.file_table_lines(rows, ["c"])
        self.assertNotIn("rust/c", "\n".join(lines))


class MidloadLoaders(unittest.TestCase):
    def test_every_loader_is_a_case_of_the_guest_script(self):
        # loader_cmd() of guest/scenarios/midload: "	s-p) kexec -s -p ..." a loader.
        text = (GUEST / "scenarios" / "midload").read_text()
        cases = set(re.findall(r"^\t([a-z-]+)\) kexec ", text, re.M))
        self.assertEqual(cases, set(MIDLOAD_LOADERS))
        self.assertEqual(MIDLOAD_LOADERS["s-p"], "kexec -s -p (reload)")


if __name__ == "__main__":
    unittest.main()


class KernelLinesInGuestLines(unittest.TestCase):
    def test_a_kernel_line_printed_into_a_guest_line_is_cut_off(self):
        line = "[   2.068] KDT-LOAD 0.096847 OK[    1.221772] input: ImExPS/2 Generic Explorer"
        self.assertEqual(bench.own_words(line, line.find("KDT-LOAD")),
                         ["KDT-LOAD", "0.096847", "OK"])
