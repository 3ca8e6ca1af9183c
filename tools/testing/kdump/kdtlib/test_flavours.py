# SPDX-License-Identifier: GPL-2.0
"""The flavour records: each names what exists (scenarios, seeds, fragments, parts), the main
flavours run every trigger and corrupt scenario, and the provider rows' wants follow from
where a flavour takes each part."""

import unittest

from . import flavours, registry, scenarios
from .common import CONFIGS


class FlavourRecords(unittest.TestCase):
    def test_every_scenario_a_flavour_runs_exists(self):
        for f in flavours.FLAVOURS.values():
            for name in f.scenarios:
                self.assertIn(name, registry.SCENARIOS, f"{f.name} runs {name}")
            if f.scenarios:
                self.assertIsNotNone(f.suite, f"{f.name} has scenarios no command runs")

    def test_check_runs_every_trigger_and_corrupt_scenario(self):
        for kind in scenarios.TRIGGERS:
            self.assertIn(f"trigger-{kind}", flavours.FLAVOURS["c"].scenarios)
            self.assertIn(f"trigger-{kind}", flavours.FLAVOURS["rust"].scenarios)
        for mode in scenarios.CORRUPT:
            self.assertIn(f"corrupt-{mode}", flavours.FLAVOURS["rust"].scenarios)

    def test_seeds_and_fragments_exist(self):
        for f in flavours.FLAVOURS.values():
            for seed in (f.seed, f.tree_seed):
                self.assertIn(seed, (None, *flavours.FLAVOURS), f.name)
            self.assertTrue((CONFIGS / f"{f.name}.config").exists(), f.name)
            for extra in f.extra_fragments:
                self.assertTrue((CONFIGS / extra).exists(), f"{f.name}: {extra}")
            self.assertIn(f.suite, (None, "check", "configs"))

    def test_every_part_is_placed(self):
        for f in flavours.FLAVOURS.values():
            if f.parts is not None:
                # Every part of its architecture: some are x86_64's alone.
                want = set(flavours.PARTS) - (set(flavours.X86_PARTS) if f.arch != "x86_64"
                                              else set())
                self.assertEqual(set(f.parts), want, f.name)
                self.assertLessEqual(set(f.parts.values()),
                                     {flavours.C, flavours.RUST, flavours.BOTH,
                                      flavours.NONE})

    def test_wants(self):
        self.assertEqual(flavours.wanted("vmcore", flavours.BOTH),
                         {"option": "n", "c_code": True, "rust_code": True})
        self.assertEqual(flavours.wanted("crash", flavours.C),
                         {"option": "n", "c_object": True, "c_code": True, "rust_code": False})
        # No C object is replaced there: nothing to say about one.
        self.assertNotIn("c_object", flavours.wanted("kexec-x86", flavours.RUST))
        self.assertEqual(flavours.providers()["vmcore"]["twin"]["rust_code"], True)
        self.assertNotIn("clippy", flavours.providers()["vmcore"])

    def test_views(self):
        self.assertEqual(flavours.MAIN, ("c", "rust"))
        self.assertEqual(flavours.CONFIGS, ("distro", "minimal", "arm64"))
        # A flavour of another architecture is built, not booted.
        arm64 = flavours.get("arm64")
        self.assertEqual((arm64.arch, arm64.image, arm64.scenarios), ("arm64", "vmlinux", ()))
        self.assertEqual(set(flavours.MAIN + flavours.TEST), set(flavours.FLAVOURS))
        self.assertEqual(flavours.get("mine").start_config, "tinyconfig")


if __name__ == "__main__":
    unittest.main()
