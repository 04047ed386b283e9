#!/usr/bin/python3
"""Independent verifier of a caseledger evidence file (docs/formats/evidence.md).

One event, its RFC 9162 inclusion proof (§2.1.3.2) to a C2SP signed
checkpoint, and the note verifier key; or several such documents, one per
line (the steps of one disclosure), all against the same checkpoint. Checked
from the specifications only,
with the signed-note and canonical-JSON helpers of verify_bundle.py (which
shares no code with caseledger). Needs Python 3 and python3-cryptography.

Usage: verify_evidence.py FILE [--key VERIFIER_KEY] [--witness VKEY]... [--quorum K]
  --witness VKEY  a witness's cosigner key (C2SP vkey of type 0x04), or @FILE
                  with one per line; repeatable
  --quorum K      how many distinct given witnesses must have validly cosigned
                  the checkpoint (cosignature/v1); default: all given
Exit codes: 0 verified, 1 tampered, 2 incomplete, 3 unknown key,
4 no witness quorum, 64 usage.
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cryptography.exceptions import InvalidSignature  # noqa: E402
from verify_bundle import (EVENT_PREFIX, INCOMPLETE, NAMES, TAMPERED, USAGE,  # noqa: E402
                           UNKNOWN_KEY, VERIFIED, Usage, Verdict, canonical, check_quorum,
                           no_duplicates, open_checkpoint, parse_args, parse_verifier,
                           reject_float, resolve_witnesses, sha256)


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 §2.1.3.2: the root that `path` leads to from leaf `index`."""
    if index >= size:
        raise Verdict(TAMPERED, "leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Verdict(TAMPERED, "inclusion proof too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if not fn & 1:
                while (fn & 1) == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Verdict(TAMPERED, "inclusion proof too short")
    return r


def b64hash(text, what):
    try:
        h = base64.b64decode(text, validate=True)
    except (TypeError, ValueError):
        raise Verdict(TAMPERED, f"{what} is not base64")
    if len(h) != 32:
        raise Verdict(TAMPERED, f"{what} is not a 32-byte hash")
    return h


def verify(text, trusted_key):
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates, parse_float=reject_float)
        vtext, note, line, inc = doc["verifier"], doc["checkpoint"], doc["event"], doc["inclusion"]
        index, size, proof = inc["leaf_index"], inc["tree_size"], inc["proof"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise Verdict(INCOMPLETE, f"not an evidence file: {e}")
    if doc.get("v") != 1:
        raise Verdict(INCOMPLETE, "unknown evidence version")
    if trusted_key is not None and trusted_key != vtext:
        raise Verdict(UNKNOWN_KEY, "the evidence's verifier key is not the trusted key")
    name, key_id, key = parse_verifier(vtext)
    _, cp_size, cp_root = open_checkpoint(note, name, key_id, key)
    if size != cp_size or b64hash(inc.get("root"), "root") != cp_root:
        raise Verdict(TAMPERED, "the proof is not to the checkpoint's tree")
    raw = line.encode()
    try:
        obj = json.loads(raw, object_pairs_hook=no_duplicates, parse_float=reject_float)
    except ValueError as e:
        raise Verdict(TAMPERED, f"event: not valid JSON ({e})")
    if not isinstance(obj, dict) or canonical(obj) != raw:
        raise Verdict(TAMPERED, "event: not canonical JSON")
    if obj.get("seq") != index + 1:
        raise Verdict(TAMPERED, "the event's seq is not the proof's leaf")
    try:
        sig = base64.b64decode(obj.pop("sig"), validate=True)
    except (KeyError, ValueError):
        raise Verdict(TAMPERED, "event: no valid sig")
    c = canonical(obj)
    try:
        key.verify(sig, EVENT_PREFIX + c)
    except InvalidSignature:
        raise Verdict(TAMPERED, "event: signature does not verify")
    leaf = sha256(b"\x00" + c)
    if b64hash(inc.get("leaf_hash"), "leaf_hash") != leaf:
        raise Verdict(TAMPERED, "the proof's leaf hash is not the event's")
    path_hashes = [b64hash(p, "proof hash") for p in proof]
    if root_from_inclusion(index, size, leaf, path_hashes) != cp_root:
        raise Verdict(TAMPERED, "inclusion proof does not lead to the checkpoint's root")
    return note, f"verified event {index + 1} ({obj.get('type')}) in the log of {size} events"


def verify_file(path, trusted_key, witnesses=(), quorum=0):
    """Every document of the file (one per line), in order; the first failure
    decides. Prints one line per document; then, if all verified and witnesses
    are given, the cosignatures of their one checkpoint."""
    try:
        lines = [x for x in open(path, encoding="utf-8").read().split("\n") if x.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise Verdict(INCOMPLETE, f"cannot read the evidence file: {e}")
    if not lines:
        raise Verdict(INCOMPLETE, "no evidence document")
    first = None
    code = VERIFIED
    for text in lines:
        try:
            note, message = verify(text, trusted_key)
            if first is None:
                first = note
            elif note != first:
                raise Verdict(TAMPERED, "a document is proved against another checkpoint than the first")
            print(message)
        except Verdict as v:
            print(NAMES[v.code] + ": " + str(v))
            if code == VERIFIED:
                code = v.code
    if code != VERIFIED or not witnesses:
        return code
    code, verdict, summary = check_quorum(first, witnesses, quorum)
    if verdict:
        print(verdict)
    print(summary)
    return code


def main(argv):
    try:
        path, key, witness_args, quorum = parse_args(argv)
        witnesses, quorum = resolve_witnesses(witness_args, quorum)
    except Usage as e:
        print(f"verify_evidence.py: {e}\n" + __doc__[__doc__.index("Usage:"):].rstrip(), file=sys.stderr)
        return USAGE
    try:
        return verify_file(path, key, witnesses, quorum)
    except Verdict as v:
        print(NAMES[v.code] + ": " + str(v))
        return v.code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
