#!/usr/bin/python3
"""Independent verifier of a caseledger audit bundle (DESIGN §10.1).

Written from the specifications only (RFC 8785 canonical JSON as restricted by
docs/formats/event.md, RFC 9162 §2.1 Merkle hashing, C2SP tlog-checkpoint,
signed-note and tlog-cosignature), sharing no code with caseledger, so that a
bundle it accepts is checkable by anyone. Needs Python 3 and the
`cryptography` package (Debian: python3-cryptography).

Usage: verify_bundle.py BUNDLE_DIR [--key VERIFIER_KEY] [--witness VKEY]... [--quorum K]
  --witness VKEY  a witness's cosigner key (C2SP vkey of type 0x04), or @FILE
                  with one per line; repeatable
  --quorum K      how many distinct given witnesses must have validly cosigned
                  the checkpoint (cosignature/v1); default: all given
Exit codes: 0 verified, 1 tampered, 2 incomplete, 3 unknown key,
4 no witness quorum, 64 usage.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VERIFIED, TAMPERED, INCOMPLETE, UNKNOWN_KEY, NO_QUORUM, USAGE = 0, 1, 2, 3, 4, 64
NAMES = {VERIFIED: "verified", TAMPERED: "tampered", INCOMPLETE: "incomplete",
         UNKNOWN_KEY: "unknown key", NO_QUORUM: "no witness quorum"}
EVENT_PREFIX = b"caseledger/event/v1\n"
COSIGNATURE_V1 = 0x04  # c2sp.org/tlog-cosignature: signature type of cosigner keys
MAX_COSIGNATURE_TIME = 2**63 - 1


class Verdict(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Usage(Exception):
    """A bad command line: exit 64."""


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


def split_note(note):
    """A C2SP signed note: (text, [(signer name, decoded key id || signature)])."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise Verdict(TAMPERED, "checkpoint.txt is not a signed note")
    text, sigs = note[: split + 1], note[split + 2 :]
    lines = []
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise Verdict(TAMPERED, "checkpoint.txt has a malformed signature line")
        signer, _, b64 = line[2:].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError:
            raise Verdict(TAMPERED, "checkpoint.txt has a malformed signature line")
        lines.append((signer, blob))
    return text, lines


def open_checkpoint(note, name, key_id, key):
    """Verifies the C2SP signed note by (name, key id); returns (origin, size, root)."""
    text, sigs = split_note(note)
    found = False
    for signer, blob in sigs:
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


def parse_witness(vkey):
    """A cosigner's vkey <name>+<hex key id>+<base64(0x04 || 32-byte Ed25519 key)>
    (c2sp.org/signed-note, c2sp.org/tlog-cosignature): (name, key id, key bytes)."""
    try:
        name, key_id_hex, key_b64 = vkey.split("+", 2)
        if len(key_id_hex) != 8:
            raise ValueError("the key id is not 8 hex digits")
        key_id = bytes.fromhex(key_id_hex)
        raw = base64.b64decode(key_b64, validate=True)
    except ValueError as e:
        raise Usage(f'witness key "{vkey}": malformed: {e}')
    if not name or any(c.isspace() for c in name):
        raise Usage(f'witness key "{vkey}": bad name')
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise Usage(f'witness key "{vkey}": not a cosignature/v1 (type 0x04) Ed25519 key')
    if sha256(name.encode() + b"\n" + raw)[:4] != key_id:
        raise Usage(f'witness key "{vkey}": key id does not match name and key')
    return name, key_id, raw[1:]


def resolve_witnesses(args, quorum):
    """--witness values (a vkey, or @FILE: one per line, blank and # lines
    skipped) and --quorum: ([(name, key id, key bytes)] distinct, quorum)."""
    vkeys = []
    for arg in args:
        if not arg.startswith("@"):
            vkeys.append(arg)
            continue
        try:
            with open(arg[1:], encoding="utf-8") as f:
                vkeys += [x.strip() for x in f if x.strip() and not x.strip().startswith("#")]
        except (OSError, UnicodeDecodeError) as e:
            raise Usage(f"--witness {arg}: cannot read the file: {e}")
    witnesses = []
    for vkey in vkeys:
        w = parse_witness(vkey)
        same_name = [x for x in witnesses if x[0] == w[0]]
        if not same_name:
            witnesses.append(w)
        elif same_name[0] != w:
            raise Usage(f"two different witness keys are named {w[0]}")
    if quorum is None:
        quorum = len(witnesses)
    if quorum > len(witnesses):
        raise Usage(f"--quorum {quorum} exceeds the {len(witnesses)} distinct --witness keys given")
    return witnesses, quorum


def check_quorum(note, witnesses, quorum):
    """Counts the given witnesses that validly cosigned (cosignature/v1) the
    signed note `note` (None: no checkpoint). Returns (code, verdict line or
    None, summary line): VERIFIED if at least `quorum` did, TAMPERED if a line
    of a given witness does not verify, else NO_QUORUM. Lines of other keys
    are ignored; a witness counts once however many lines it has."""
    text, sigs = split_note(note) if note is not None else ("", [])
    cosigned, not_cosigned, invalid = [], [], []
    for name, key_id, raw in witnesses:
        key = Ed25519PublicKey.from_public_bytes(raw)
        good = bad = False
        for signer, blob in sigs:
            if signer != name or blob[:4] != key_id:
                continue
            ts = int.from_bytes(blob[4:12], "big")
            try:
                if len(blob) != 4 + 8 + 64 or ts > MAX_COSIGNATURE_TIME:
                    raise InvalidSignature()
                key.verify(blob[12:], b"cosignature/v1\ntime %d\n" % ts + text.encode())
                good = True
            except InvalidSignature:
                bad = True
        (cosigned if good else not_cosigned).append(name)
        if bad:
            invalid.append(name)
    join = lambda names: ", ".join(names) if names else "none"  # noqa: E731
    summary = (f"witnesses (quorum {quorum} of {len(witnesses)}): cosigned: {join(cosigned)}; "
               f"not cosigned: {join(not_cosigned)}")
    if invalid:
        summary += f"; invalid cosignature: {join(invalid)}"
        if len(invalid) == 1:
            return TAMPERED, f"tampered: the cosignature of witness {invalid[0]} does not verify", summary
        return TAMPERED, f"tampered: the cosignatures of witnesses {join(invalid)} do not verify", summary
    counted = f"{len(cosigned)} of the {len(witnesses)} given witnesses cosigned the checkpoint; the quorum is {quorum}"
    if len(cosigned) >= quorum:
        return VERIFIED, None, summary
    return NO_QUORUM, f"no witness quorum: only {counted}", summary


def parse_args(argv):
    """BUNDLE_OR_FILE [--key VKEY] [--witness VKEY]... [--quorum K], options
    also as --opt=VALUE: (path, key, witness args, quorum or None)."""
    path, key, witness_args, quorum = None, None, [], None
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a.startswith("--") and "=" in a:
            a, value = a.split("=", 1)
            args.insert(0, value)
        if a in ("--key", "--witness", "--quorum"):
            if not args:
                raise Usage(f"{a} needs a value")
            value = args.pop(0)
            if a == "--key":
                key = value
            elif a == "--witness":
                witness_args.append(value)
            elif value.isascii() and value.isdigit():
                quorum = int(value)
            else:
                raise Usage(f"--quorum {value}: not a number")
        elif a.startswith("-") and a != "-":
            raise Usage(f"unknown option {a}")
        elif path is None:
            path = a
        else:
            raise Usage(f"unexpected argument {a}")
    if path is None:
        raise Usage("missing the path")
    return path, key, witness_args, quorum


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
    try:
        bundle, key, witness_args, quorum = parse_args(argv)
        witnesses, quorum = resolve_witnesses(witness_args, quorum)
    except Usage as e:
        print(f"verify_bundle.py: {e}\n" + __doc__[__doc__.index("Usage:"):].rstrip(), file=sys.stderr)
        return USAGE
    try:
        message, code = verify(bundle, key), VERIFIED
    except Verdict as v:
        message, code = str(v), v.code
    if code != VERIFIED or not witnesses:
        print(f"{NAMES[code]}: {message}")
        return code
    # The bundle verified: the cosignatures of the checkpoint it verified.
    with open(f"{bundle}/checkpoint.txt") as f:
        note = f.read()
    try:
        code, verdict, summary = check_quorum(note, witnesses, quorum)
    except Verdict as v:
        code, verdict, summary = v.code, f"{NAMES[v.code]}: {v}", None
    print(verdict if verdict else f"{NAMES[VERIFIED]}: {message}")
    if summary:
        print(summary)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
