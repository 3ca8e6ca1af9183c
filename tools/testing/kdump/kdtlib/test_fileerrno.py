# SPDX-License-Identifier: GPL-2.0
"""The kexec_file_load errno table: it names every case the test loader makes, and the check
holds a run to it, to the C flavour's table and, where a flavour must keep its images, to the
kept column."""

import tempfile
import unittest
from pathlib import Path
from unittest import mock

from . import fileerrno
from .common import HARNESS
from .dumpcheck import Check

LOADER = HARNESS / "kexec-errno" / "kexec-file-errno.c"


def _good():
    """A run that gave every fixed errno, C's kept column: a crash load refused after the
    kexec lock leaves no crash image."""
    return {k: (e, "10" if k.startswith("crash-") and e != "OK" else "11")
            for k, e in fileerrno.FILE_ERRNO_TABLE.items()}


class Table(unittest.TestCase):
    def test_every_paired_case_has_its_crash_row(self):
        for case in fileerrno.PAIRED:
            self.assertIn(case, fileerrno.FILE_ERRNO_TABLE)
            self.assertIn(f"crash-{case}", fileerrno.FILE_ERRNO_TABLE)

    def test_every_flag_combination_is_a_row(self):
        for f in range(16):
            self.assertEqual(fileerrno.FILE_ERRNO_TABLE[f"flags-0x{f:x}"], "OK")
        self.assertEqual(fileerrno.FILE_ERRNO_TABLE["flags-0x10"], "EINVAL")

    def test_the_loader_makes_every_named_case(self):
        # Generated names (flags-0x<n>, crash-<case>) are made by a loop and by both().
        source = LOADER.read_text()
        for case in fileerrno.FILE_ERRNO_TABLE:
            if case.startswith("crash-") or (case.startswith("flags-0x") and
                                             int(case[8:], 16) < 16):
                continue
            self.assertIn(f'"{case}"', source, case)


class Judge(unittest.TestCase):
    def test_c_passes_with_its_kept_column_recorded(self):
        details = fileerrno.judge(_good(), "c")
        dropped = sum(1 for k, e in fileerrno.FILE_ERRNO_TABLE.items()
                      if k.startswith("crash-") and e != "OK")
        self.assertEqual(details["refusals that dropped an image"], dropped)

    def test_a_missing_or_unknown_case_fails(self):
        res = _good()
        del res["kernel-short"]
        res["kernel-new"] = ("OK", "11")
        with self.assertRaisesRegex(Check, "missing: kernel-short; .* not in the table: "
                                    "kernel-new"):
            fileerrno.judge(res, "c")

    def test_a_wrong_errno_fails(self):
        res = _good()
        res["cmdline-max"] = ("EINVAL", "11")
        with self.assertRaisesRegex(Check, "cmdline-max: EINVAL, expected OK"):
            fileerrno.judge(res, "c")

    def test_another_flavour_is_compared_with_c_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            ref = Path(tmp) / "errno.txt"
            ref.write_text("".join(f"{k} {e} {kept}\n" for k, (e, kept) in _good().items()))
            with mock.patch("kdtlib.scenarios.errno_table_path", return_value=ref):
                self.assertEqual(fileerrno.judge(_good(), "rust")["same_as_c"],
                                 len(fileerrno.FILE_ERRNO_TABLE))
                res = _good()
                res["ok-normal"] = ("E999", "11")
                with self.assertRaisesRegex(Check, "1 of .* differ from C: ok-normal: C OK"):
                    fileerrno.judge(res, "rust")

    def test_a_keeping_flavour_must_keep_after_every_refusal(self):
        with self.assertRaisesRegex(Check, "dropped a loaded image: crash-kernel-short kept=10"):
            fileerrno.judge(_good(), "c", keeping=True)
        kept = {k: (e, "11" if e != "OK" else kept) for k, (e, kept) in _good().items()}
        self.assertEqual(fileerrno.judge(kept, "c", keeping=True)
                         ["refusals that dropped an image"], 0)


if __name__ == "__main__":
    unittest.main()
