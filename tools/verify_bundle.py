#!/usr/bin/python3
"""Independent verifier of a caseledger audit bundle (DESIGN §10.1).

Written from the specifications only (RFC 8785 canonical JSON as restricted by
docs/formats/event.md, RFC 9162 §2.1 Merkle hashing, C2SP tlog-checkpoint and
signed-note), sharing no code with caseledger, so that a bundle it accepts is
checkable by anyone. Needs Python 3 and the `cryptography` package (Debian:
python3-cryptography).

Usage: verify_bundle.py BUNDLE_DIR [--key VERIFIER_KEY]
Exit codes: 0 verified, 1 tampered, 2 incomplete, 3 unknown key, 64 usage.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VERIFIED, TAMPERED, INCOMPLETE, UNKNOWN_KEY, USAGE = 0, 1, 2, 3, 64
EVENT_PREFIX = b"caseledger/event/v1\n"


class Verdict(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def sha256(data):
    return hashlib.sha256(data).digest()


def parse_verifier(text):
    """<name>+<hex key id>+<base64(0x01 || 32-byte Ed25519 key)> (C2SP signed-note)."""
    try:
        name, key_id_hex, key_b64 = text.strip().split("+", 2)
        raw = base64.b64decode(key_b64, validate=True)
        key_id = bytes.fromhex(key_id_hex)
    except ValueError as e:
        raise Verdict(INCOMPLETE, f"verifier.txt is malformed: {e}")
    if len(raw) != 33 or raw[0] != 0x01 or len(key_id) != 4:
        raise Verdict(INCOMPLETE, "verifier.txt is not an Ed25519 note verifier key")
    if sha256(name.encode() + b"\n" + raw)[:4] != key_id:
        raise Verdict(INCOMPLETE, "verifier.txt: key id does not match name and key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note, name, key_id, key):
    """Verifies the C2SP signed note by (name, key id); returns (origin, size, root)."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise Verdict(TAMPERED, "checkpoint.txt is not a signed note")
    text, sigs = note[: split + 1], note[split + 2 :]
    found = False
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise Verdict(TAMPERED, "checkpoint.txt has a malformed signature line")
        signer, _, b64 = line[2:].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError:
            raise Verdict(TAMPERED, "checkpoint.txt has a malformed signature line")
        if signer != name or blob[:4] != key_id:
            continue
        found = True
        try:
            key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise Verdict(TAMPERED, "checkpoint signature does not verify")
    if not found:
        raise Verdict(UNKNOWN_KEY, "checkpoint is not signed by the verifier key")
    lines = text.split("\n")
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (IndexError, ValueError):
        raise Verdict(TAMPERED, "checkpoint body is malformed")
    if len(root) != 32 or size < 0:
        raise Verdict(TAMPERED, "checkpoint body is malformed")
    if origin != name:
        raise Verdict(TAMPERED, "checkpoint origin differs from the key name")
    return origin, size, root


class Tree:
    """RFC 9162 Merkle tree of appended leaf hashes, as a compact range."""

    def __init__(self):
        self.size, self.stack = 0, []  # stack of (height, hash), largest first

    def append(self, leaf):
        h, height = leaf, 0
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            h, height = sha256(b"\x01" + left + h), height + 1
        self.stack.append((height, h))
        self.size += 1

    def root(self):
        if not self.stack:
            return sha256(b"")
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = sha256(b"\x01" + left + h)
        return h


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def reject_float(text):
    raise ValueError("floating-point number")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify(bundle, trusted_key):
    try:
        vtext = open(f"{bundle}/verifier.txt").read().strip()
        note = open(f"{bundle}/checkpoint.txt").read()
        events = open(f"{bundle}/events.jsonl", "rb")
    except OSError as e:
        raise Verdict(INCOMPLETE, f"missing file: {e.filename}")
    if trusted_key is not None and trusted_key != vtext:
        raise Verdict(UNKNOWN_KEY, "verifier.txt is not the trusted key")
    name, key_id, key = parse_verifier(vtext)
    _, cp_size, cp_root = open_checkpoint(note, name, key_id, key)
    tree, root_at_checkpoint = Tree(), (sha256(b"") if cp_size == 0 else None)
    for seq, raw in enumerate(events, start=1):
        if not raw.endswith(b"\n"):
            raise Verdict(INCOMPLETE, f"line {seq} is cut off")
        line = raw[:-1]
        try:
            obj = json.loads(line, object_pairs_hook=no_duplicates, parse_float=reject_float)
        except ValueError as e:
            raise Verdict(TAMPERED, f"seq {seq}: not valid JSON ({e})")
        if not isinstance(obj, dict) or canonical(obj) != line:
            raise Verdict(TAMPERED, f"seq {seq}: not canonical JSON")
        if obj.get("seq") != seq:
            raise Verdict(TAMPERED, f"seq {seq}: line says seq {obj.get('seq')}")
        try:
            sig = base64.b64decode(obj.pop("sig"), validate=True)
        except (KeyError, ValueError):
            raise Verdict(TAMPERED, f"seq {seq}: no valid sig")
        c = canonical(obj)
        try:
            key.verify(sig, EVENT_PREFIX + c)
        except InvalidSignature:
            raise Verdict(TAMPERED, f"seq {seq}: signature does not verify")
        if obj.get("prev") != tree.root().hex():
            raise Verdict(TAMPERED, f"seq {seq}: prev is not the root of events 1..{seq - 1}")
        tree.append(sha256(b"\x00" + c))
        if tree.size == cp_size:
            root_at_checkpoint = tree.root()
    if tree.size < cp_size:
        raise Verdict(INCOMPLETE, f"checkpoint covers {cp_size} events, bundle has {tree.size}")
    if root_at_checkpoint != cp_root:
        raise Verdict(TAMPERED, "checkpoint root differs from the events' root")
    return f"verified {tree.size} events; checkpoint of size {cp_size} matches"


def main(argv):
    args = argv[1:]
    key = None
    if "--key" in args:
        i = args.index("--key")
        if i + 1 >= len(args):
            print(__doc__, file=sys.stderr)
            return USAGE
        key = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return USAGE
    names = {VERIFIED: "verified", TAMPERED: "tampered", INCOMPLETE: "incomplete", UNKNOWN_KEY: "unknown key"}
    try:
        message, code = verify(args[0], key), VERIFIED
    except Verdict as v:
        message, code = str(v), v.code
    print(f"{names[code]}: {message}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
