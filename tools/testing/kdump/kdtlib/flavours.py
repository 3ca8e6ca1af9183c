# SPDX-License-Identifier: GPL-2.0
"""The kernel flavours: one record each that says everything the harness knows about it (how
its configuration is made, which tree its first build is copied from, which replaced parts it
takes from C and which from Rust, and which scenarios `make check` or `make configs` runs on
it). Every command reads these records; adding a flavour is adding one here and its config
fragment (tools/testing/kdump/configs/<name>.config).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Each Rust part that replaces C: its option, the C object it replaces (None where the C file
# stays for other code), a symbol only the C code has, and a piece of a symbol name only the
# Rust code has (Rust names are mangled with the crate and module in them).
PARTS = {
    "vmcore": ("CONFIG_PROC_VMCORE_RUST", "fs/proc/vmcore.o", "parse_crash_elf64_headers",
               "vmcore_rust_init"),
    # The crate's name in its mangled symbols (the sysctl init is absent without SYSCTL).
    "kexec": ("CONFIG_KEXEC_CORE_RUST", "kernel/kexec_core.o", "kexec_limit_handler",
              "10kexec_core"),
    # The crash path replaces two objects: crash_core.o and vmcore_info.o. Its crate's name
    # (a module's functions may all be inlined: the distribution kernel keeps none of panic's).
    "crash": ("CONFIG_CRASH_DUMP_RUST", "kernel/crash_core.o", "crash_notes_memory_init",
              "10crash_dump"),
    "vmcore-info": ("CONFIG_CRASH_DUMP_RUST", "kernel/vmcore_info.o", "crash_save_vmcoreinfo_init",
                    "10crash_dump10vmcoreinfo"),
    # kexec_file_load: kernel/kexec_file.o (and x86's kexec-bzimage64.o) or the Rust loader,
    # named by the symbol its syscall entry calls.
    "kexec-file": ("CONFIG_KEXEC_FILE_RUST", "kernel/kexec_file.o",
                   "kexec_image_probe_default", "kexec_rust_file_load"),
    "kexec-file-x86": ("CONFIG_KEXEC_FILE_RUST", "arch/x86/kernel/kexec-bzimage64.o",
                       "kexec_bzImage64_ops", "kexec_rust_file_load"),
    # machine_kexec_64.o keeps the kexec_file_load relocation code.
    # (alloc_pgt_page, the earlier choice, is also a name in hibernate_64.c and madt_wakeup.c.)
    "kexec-x86": ("CONFIG_KEXEC_CORE_RUST", None, "kexec_mark_crashkres",
                  "13machine_kexec14alloc_pgt_page"),
}

# Parts only x86_64 has.
X86_PARTS = ("kexec-x86", "kexec-file-x86")

# Where a flavour takes a part from: C only, Rust only, both side by side (the twin's
# /proc/vmcore and /proc/vmcore-rust), or neither (a kernel built without it).
C, RUST, BOTH, NONE = "c", "rust", "both", "none"
ALL_C = {part: C for part in PARTS}
ALL_RUST = {part: RUST for part in PARTS}
# On a C flavour the provider row also requires the replaced object built for the crash path's
# two objects (crash_core.o, vmcore_info.o); for the others it checks the code in vmlinux.
C_OBJECT_REQUIRED = ("crash", "vmcore-info")

# The scenarios `make check` runs on each of the main flavours, in this order; the Rust
# flavour's also compare its VMCOREINFO with C's (after both kdump scenarios) and, where the
# Rust /proc/vmcore provider serves, refuse corrupt elfcorehdrs from the test loader. A unit
# test (test_flavours.py) holds these to every trigger-* and corrupt-* scenario.
CHECK_SCENARIOS = ("reboot", "reboot-s", "unload", "kdump", "kdump-s", "reload", "errno",
                   "file-errno", "sig", "cycles", "race", "no-kdump", "hotplug", "trigger-sysrq",
                   "trigger-exception", "trigger-bug", "trigger-warning", "trigger-stack",
                   "trigger-nmi", "trigger-cpu3", "trigger-two")
RUST_SCENARIOS = ("vmcoreinfo", "corrupt-magic", "corrupt-class", "corrupt-phnum",
                  "corrupt-note", "corrupt-note-beyond", "corrupt-overlap", "corrupt-beyond")


@dataclass(frozen=True)
class Flavour:
    """One kernel flavour, built in build/<name> from its config fragments.

    `main` flavours are what `kdt build` and `make scenarios` take by default; the others are
    built on demand. The configuration starts from `start_config` with `tree_fragments` (of the
    kernel tree) merged, then base.config, the `seed`'s fragment, `extra_fragments` and its own
    (a `start_config` other than tinyconfig takes its own fragment alone). Its first build
    starts from a copy of `seed`'s tree, or of `tree_seed`'s when only the tree is shared.
    `parts` says where it takes each replaced part (PARTS) from (None: no provider rows; a
    part it lacks is another architecture's); `suite` is the command that runs its `scenarios`
    ("check", "configs", or None). `arch` is the ARCH= it is built for and `image` what its
    build makes (a flavour of another architecture is a compile test: vmlinux, no scenario);
    `layout` whether the bindings' struct layouts are compared with its DWARF."""

    name: str
    what: str
    main: bool = False
    seed: str | None = None
    tree_seed: str | None = None
    start_config: str = "tinyconfig"
    tree_fragments: tuple = ()
    extra_fragments: tuple = ()
    parts: dict | None = field(default=None, hash=False)
    suite: str | None = None
    scenarios: tuple = ()
    arch: str = "x86_64"
    image: str = "bzImage"
    layout: bool = True


FLAVOURS = {f.name: f for f in (
    Flavour("c", "the C kexec/kdump code, the baseline", main=True,
            # the Rust flavour with Rust off: its own configuration, the Rust tree copied
            tree_seed="rust", parts=ALL_C, suite="check", scenarios=CHECK_SCENARIOS),
    Flavour("rust", "every Rust part in place of the C it replaces", main=True,
            parts=ALL_RUST, suite="check", scenarios=CHECK_SCENARIOS + RUST_SCENARIOS),
    Flavour("twin", "the C and the Rust /proc/vmcore side by side (and C's kexec_file_load)",
            seed="rust", parts=dict(ALL_RUST, vmcore=BOTH, **{"kexec-file": C,
                                                               "kexec-file-x86": C}),
            suite="check", scenarios=("twin", "twin-elf32")),
    Flavour("clippy", "the Rust flavour built again with CLIPPY=1 (its Rust objects only), so "
            "the kernel's own lint settings run over the project's Rust without touching "
            "build/rust", seed="rust"),
    Flavour("distro", "a distribution-like kernel (x86_64_defconfig based) with every Rust part "
            "on; built, booted and crashed by `make configs`",
            start_config="x86_64_defconfig", tree_fragments=("kernel/configs/kvm_guest.config",),
            parts=ALL_RUST, suite="configs",
            scenarios=("reboot", "kdump", "memhotplug", "debian-local", "debian-local-s")),
    Flavour("minimal", "a minimal kernel with every Rust part on (the Rust flavour with options "
            "taken away); built by `make configs`", extra_fragments=("rust.config",),
            parts=dict(ALL_RUST, **{"kexec-file": NONE, "kexec-file-x86": NONE}),
            suite="configs"),
    Flavour("arm64", "every Rust part built for arm64 (COMPILE_TEST): the architecture "
            "interface proven by a second compiler; built by `make configs`, not booted",
            # tinyconfig of arm64 and its own fragment (base.config is the x86 guests')
            arch="arm64", image="vmlinux", layout=False,
            # its kexec_file_load is C's: the Rust loader is x86_64's
            parts=dict({part: RUST for part in PARTS if part not in X86_PARTS},
                       **{"kexec-file": C}), suite="configs"),
    Flavour("lockdep", "the Rust flavour with lockdep and RCU-lockdep on, for the scenarios "
            "whose kernel paths take locks and read sections", extra_fragments=("rust.config",),
            parts=ALL_RUST, suite="check",
            scenarios=("kdump", "reboot", "race", "errno", "hotplug", "reload", "trigger-nmi",
                       "trigger-two")),
    Flavour("debian", "the Rust flavour with what Debian 12's userspace (systemd, kdump-tools) "
            "needs: Debian 12 with kdump-tools on a virtio disk", seed="rust", parts=ALL_RUST,
            suite="check", scenarios=("debian-local", "debian-local-s")),
    Flavour("debian-c", "the Debian flavour with C (its baseline)", seed="c",
            extra_fragments=("debian.config",), parts=ALL_C),
)}

MAIN = tuple(name for name, f in FLAVOURS.items() if f.main)
TEST = tuple(name for name, f in FLAVOURS.items() if not f.main)
CONFIGS = tuple(name for name, f in FLAVOURS.items() if f.suite == "configs")


def get(name):
    """The record of flavour `name`; a name without one (built by hand) is a plain flavour of
    base.config and its own fragment."""
    return FLAVOURS.get(name) or Flavour(name, "")


def wanted(part, source):
    """What a kernel that takes `part` from `source` (C, RUST or BOTH) must be made of: the
    part_facts() keys and values the provider row requires."""
    _, obj, _, _ = PARTS[part]
    if source == C:
        return {"option": "n", **({"c_object": True} if part in C_OBJECT_REQUIRED else {}),
                "c_code": True, "rust_code": False}
    if source == BOTH:
        return {"option": "n", "c_code": True, "rust_code": True}
    if source == NONE:
        return {"option": "n", "c_code": False, "rust_code": False}
    return {"option": "y", **({} if obj is None else {"c_object": False}),
            "c_code": False, "rust_code": True}


def providers():
    """{part: {flavour: wanted(...)}} for every flavour with provider rows, parts in PARTS
    order."""
    return {part: {name: wanted(part, f.parts[part]) for name, f in FLAVOURS.items()
                   if f.parts is not None and part in f.parts}
            for part in PARTS}
