# SPDX-License-Identifier: GPL-2.0
"""No kdtlib module reaches into another's private names (`_name`): what a module offers the
others is its public names; a helper another module needs is made public where it lives, or
moved. Every module is parsed with `ast`; a synthetic source shows the check catches both
ways in (an import of the name, an attribute of an imported module)."""

import ast
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = {p.stem for p in HERE.glob("*.py")}


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _kdtlib_module(node):
    """The kdtlib module an ImportFrom names (`from .m import`, `from kdtlib.m import`), or ""
    for the package itself (`from . import m`), or None for anything else."""
    if node.level == 1:
        return node.module or ""
    if node.level == 0 and node.module and node.module.split(".")[0] == "kdtlib":
        return ".".join(node.module.split(".")[1:])
    return None


def private_uses(source, own):
    """[(line, "module._name")] for each private name of another kdtlib module that `source`
    (the text of module `own`) imports or reads as an attribute of an imported module."""
    tree = ast.parse(source)
    found = []
    aliases = {}  # local name -> kdtlib module bound to it
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = _kdtlib_module(node)
            if mod is None:
                continue
            for a in node.names:
                if mod == "":
                    if a.name in MODULES or _private(a.name):
                        aliases[a.asname or a.name] = a.name
                    if _private(a.name):
                        found.append((node.lineno, a.name))
                elif mod != own and _private(a.name):
                    found.append((node.lineno, f"{mod}.{a.name}"))
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "kdtlib" and len(parts) == 2 and a.asname:
                    aliases[a.asname] = parts[1]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and aliases[node.value.id] != own
                and _private(node.attr)):
            found.append((node.lineno, f"{aliases[node.value.id]}.{node.attr}"))
    return sorted(found)


SYNTHETIC = """\
from . import qemu, scenarios as sc
from .scenarios import Check, _boot
from kdtlib.common import _T0

def f(run):
    qemu._line(run, 0.0, b"", None)
    return sc.run_dir, sc._fact, run._private_of_a_local
"""


class PrivateNames(unittest.TestCase):
    def test_no_module_uses_another_modules_private_names(self):
        bad = [f"{p.name}:{line}: {name}" for p in sorted(HERE.glob("*.py"))
               for line, name in private_uses(p.read_text(), p.stem)]
        self.assertEqual(bad, [], "private names used across kdtlib modules; make them public "
                         "where they live, or move them")

    def test_the_check_catches_imports_and_attributes(self):
        self.assertEqual(private_uses(SYNTHETIC, "bench"),
                         [(2, "scenarios._boot"), (3, "common._T0"), (6, "qemu._line"),
                          (7, "scenarios._fact")])

    def test_a_modules_own_names_and_dunders_pass(self):
        self.assertEqual(private_uses("from .scenarios import _boot, __doc__\n", "scenarios"), [])
        self.assertEqual(private_uses("from . import qemu\nqemu.__file__\n", "bench"), [])


if __name__ == "__main__":
    unittest.main()
