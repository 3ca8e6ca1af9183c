# SPDX-License-Identifier: GPL-2.0
"""Unit tests of `make bench`'s pictures: the shaping of the JSON rows on the system python,
the drawing in the venv's python when it has matplotlib."""

import json
import subprocess
import tempfile
import unittest
from pathlib import Path

from . import plots
from .common import HARNESS, VENV


def _row(flavour, mib, test, runs, nbytes=800_000_000):
    secs = sorted(runs)[len(runs) // 2]
    return {"flavour": flavour, "guest_mib": mib, "test": test, "bytes": nbytes,
            "seconds": secs, "runs": runs, "mb_per_s": round(nbytes / 1e6 / secs, 1)}


VMCORE = [
    _row("rust", 2048, "vmcore_1m", [0.8, 1.0, 0.9], 1_600_000_000),
    _row("rust", 1024, "vmcore_1m", [0.4, 0.5, 0.45]),
    _row("c", 1024, "vmcore_1m", [1.6, 1.5, 1.4]),
    _row("c", 1024, "copy_1m", [0.3, 0.3, 0.3]),
    _row("rust", 1024, "copy_1m", [0.2, 0.2, 0.2]),
    _row("twin-rust", 1024, "makedumpfile_mmap", [0.25]),
    _row("c", 1024, "ceiling_1m", [0.2, 0.2, 0.2]),
]

CRASH = [
    {"flavour": "rust", "test": "panic_to_capture", "seconds": 1.2, "runs": [1.1, 1.2, 1.4],
     "to_userspace": 2.1, "userspace_runs": [2.0, 2.1, 2.3], "to_dump_written": 6.0,
     "dump_written_runs": [5.5, 6.0, 6.4], "to_reboot": 6.1, "reboot_runs": [5.6, 6.1, 6.5]},
    {"flavour": "c", "test": "panic_to_capture", "seconds": 1.3, "runs": [1.3, 1.3],
     "to_userspace": 2.2, "userspace_runs": [2.2, 2.2]},
    {"flavour": "c", "test": "midload", "loader": "kexec -l", "attempts": 20, "captured": 20},
]


class Throughput(unittest.TestCase):
    def test_series_by_reader_and_flavour(self):
        s = plots.throughput_series(VMCORE)
        self.assertEqual(list(s), ["vmcore_1m", "makedumpfile_mmap"])
        self.assertEqual(list(s["vmcore_1m"]), ["c", "rust"])
        # Points by guest RAM; median, then slowest and fastest run, in MB/s.
        self.assertEqual(s["vmcore_1m"]["rust"], [(1024, 1777.8, 1600.0, 2000.0),
                                                  (2048, 1777.8, 1600.0, 2000.0)])
        self.assertEqual(s["vmcore_1m"]["c"], [(1024, 533.3, 500.0, 571.4)])
        self.assertEqual(s["makedumpfile_mmap"], {"twin-rust": [(1024, 3200.0, 3200.0, 3200.0)]})

    def test_ceiling_is_the_flavours_median(self):
        self.assertEqual(plots.ceiling_series(VMCORE), {"vmcore_1m": [(1024, 3333.3)]})

    def test_guest_sizes(self):
        self.assertEqual(plots.guest_sizes(VMCORE), [1024, 2048])
        self.assertEqual(plots.guest_sizes(VMCORE[1:]), [1024])

    def test_rows_without_a_time_are_left_out(self):
        self.assertEqual(plots.throughput_series([dict(VMCORE[2], mb_per_s=None)]), {})


class Timeline(unittest.TestCase):
    def test_phases_follow_each_other(self):
        (f, n, phases), = [t for t in plots.timeline(CRASH) if t[0] == "rust"]
        self.assertEqual(n, 3)
        self.assertEqual([(p[1], p[2]) for p in phases],
                         [(0.0, 1.2), (1.2, 2.1), (2.1, 6.0), (6.0, 6.1)])
        self.assertEqual([(p[3], p[4]) for p in phases],
                         [(1.1, 1.4), (2.0, 2.3), (5.5, 6.4), (5.6, 6.5)])

    def test_c_first_and_unrecorded_phases_left_out(self):
        lines = plots.timeline(CRASH)
        self.assertEqual([f for f, _, _ in lines], ["c", "rust"])
        self.assertEqual(len(lines[0][2]), 2)

    def test_no_phase_starts_before_the_last_ends(self):
        row = dict(CRASH[0], to_userspace=1.0)
        phases = plots.timeline([row])[0][2]
        self.assertEqual((phases[1][1], phases[1][2]), (1.2, 1.2))


def _venv_matplotlib():
    py = VENV / "bin" / "python3"
    return py.exists() and subprocess.run([str(py), "-c", "import matplotlib"],
                                          stderr=subprocess.DEVNULL).returncode == 0


@unittest.skipUnless(_venv_matplotlib(), f"no matplotlib in {VENV} (make deps)")
class Draw(unittest.TestCase):
    def draw(self, files):
        with tempfile.TemporaryDirectory() as d:
            for name, rows in files.items():
                Path(d, name).write_text(json.dumps(rows))
            res = subprocess.run([str(VENV / "bin" / "python3"), "-m", "kdtlib.plots", d],
                                 cwd=HARNESS, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            pngs = {Path(p).name: Path(p).read_bytes()[:8] for p in res.stdout.split()}
        return res, pngs

    def test_both_pictures_are_pngs(self):
        for rows in (VMCORE, VMCORE[1:]):   # several guest RAM sizes, and one
            res, pngs = self.draw({"vmcore.json": rows, "crash.json": CRASH})
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(sorted(pngs), ["kdump-timeline.png", "vmcore-throughput.png"])
            self.assertTrue(all(head == b"\x89PNG\r\n\x1a\n" for head in pngs.values()))

    def test_failure_is_one_line(self):
        res, _ = self.draw({"crash.json": []})
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stderr.strip(), "ValueError: crash.json has no panic_to_capture rows")


if __name__ == "__main__":
    unittest.main()
