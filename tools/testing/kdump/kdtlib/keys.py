# SPDX-License-Identifier: GPL-2.0
"""The test keys of the kexec signature scenario, made under build/keys/ on first use (never
committed): one whose certificate every tiny flavour builds into its trusted keyring, and
another that no kernel trusts. sbsign signs a guest's kernel with either, as a distribution
signs its own for Secure Boot.

The certificate reaches the kernel through CONFIG_SYSTEM_TRUSTED_KEYS, a path: certs/Makefile
makes it a prerequisite, resolved against the build directory (O=), so a fragment in git
cannot name a file under each clone's build/. kdt writes that one-line fragment here, with
the absolute path, and merges it after base.config (kbuild.fragments()).
"""

from .common import BUILD, KdtError, progress, run

KEYS = BUILD / "keys"
# name -> the certificate's subject
KEY_NAMES = {"trusted": "kdump test kexec key (trusted)",
             "other": "kdump test kexec key (not trusted)"}
FRAGMENT = KEYS / "trusted-keys.config"
LOG = BUILD / "logs" / "keys.log"
# What the kernel's own module signing key gets (certs/default_x509.genkey): a signing key
# that is not a CA.
EXTENSIONS = ("basicConstraints=critical,CA:FALSE", "keyUsage=digitalSignature",
              "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid")


def key(name):
    """(private key, certificate) paths of test key `name` (KEY_NAMES)."""
    return KEYS / f"{name}.key", KEYS / f"{name}.pem"


def _make(name):
    priv, cert = key(name)
    if priv.exists() and cert.exists():
        return
    progress(f"keys: openssl makes the {name} test key ({cert})")
    KEYS.mkdir(parents=True, exist_ok=True)
    ext = [a for e in EXTENSIONS for a in ("-addext", e)]
    run(["openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-days", "36500", "-batch", "-subj", f"/CN={KEY_NAMES[name]}", *ext,
         "-keyout", str(priv), "-out", str(cert)], log=LOG)


def fragment():
    """The config fragment that builds the trusted certificate in; makes the keys first."""
    for name in KEY_NAMES:
        _make(name)
    text = f'CONFIG_SYSTEM_TRUSTED_KEYS="{key("trusted")[1]}"\n'
    if '"' in str(KEYS) or " " in str(KEYS):
        raise KdtError(f"{KEYS}: a path with a space or quote cannot be a kernel config string")
    if not FRAGMENT.exists() or FRAGMENT.read_text() != text:
        FRAGMENT.write_text(text)
    return FRAGMENT


def sign(image, name, out):
    """`image` signed with test key `name` into `out` (sbsign, as Debian signs its kernels),
    and the signature checked against the key's certificate (sbverify): a kernel that refuses
    the image then refuses the key, not a broken signature."""
    priv, cert = key(name)
    fragment()
    run(["sbsign", "--key", str(priv), "--cert", str(cert), "--output", str(out), str(image)],
        log=LOG)
    run(["sbverify", "--cert", str(cert), str(out)], log=LOG)
    return out
