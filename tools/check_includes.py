#!/usr/bin/env python3
"""The include rules of docs/architecture.md ("Modules"), checked on every
source file of the repository:

  * <lmdb.h> only under ledger/lmdb/ (LMDB is wrapped once);
  * <sodium.h> only in crypto/*.cc, never in a header (libsodium is owned by
    crypto/ alone);
  * <nlohmann/json.hpp> only in base/json.h (the one JSON facade: Json);
  * Boost.Beast and Boost.Asio only in the HTTP transport: http/server.cc
    (the listener), http/session.cc (the connections) and their private
    header http/transport.h, which only those two include, and the outgoing
    client http/client.cc; Asio's and
    Beast's SSL (<boost/asio/ssl...>, <boost/beast/ssl...>) with them;
  * OpenSSL (<openssl/...>) only in the same HTTP transport (TLS), besides
    the HTTP tests' TLS clients and test certificates (tests/http/), and
    <openssl/evp.h> in crypto/sha256.cc (SHA-256 on the CPU's SHA
    extensions, docs/decisions.md #50);
  * the LMDB wrapper (ledger/lmdb/, namespace lmdb::) only inside ledger/
    and the witness (witness/, which keeps its own environment):
    the modules above read and write through ledger/tables.h (Tables,
    Snapshot, TableWrites), never an Env, Dbi, txn or cursor;
  * a module includes only itself and the modules it may depend on
    (DEPENDS below): base < crypto < ledger < projections < app, the
    witness (on ledger, below app), then
    demo (beside app, on projections), http (on app), cluster (the etcd
    client and leader election, on http's outgoing client), web (on http and
    app) and cli (on all).

tests/, bench/ and fuzz/ sit above every module. Named exceptions: the
benchmark's raw baselines (bench/raw_baselines.cc) measure raw LMDB and
libsodium, and the crypto module's tests (tests/crypto/) compare against
libsodium's own constants.

Usage: check_includes.py ROOT          exit 1 and one line per violation
       check_includes.py --self-test ROOT
                                       copies ROOT, adds one violation of each
                                       rule, and checks that each is reported
"""
import os
import re
import shutil
import sys
import tempfile

# Each module and the modules it may include (besides itself).
DEPENDS = {
    "base": [],
    "crypto": ["base"],
    "ledger": ["base", "crypto"],
    "projections": ["base", "crypto", "ledger"],
    "witness": ["base", "crypto", "ledger"],
    "app": ["base", "crypto", "ledger", "projections", "witness"],
    "demo": ["base", "crypto", "ledger", "projections"],
    "http": ["base", "crypto", "ledger", "projections", "witness", "app"],
    "cluster": ["base", "crypto", "ledger", "projections", "witness", "app", "http"],
    "web": ["base", "crypto", "ledger", "projections", "witness", "app", "http"],
    "cli": ["base", "crypto", "ledger", "projections", "witness", "app", "demo", "http",
            "cluster", "web"],
}
MODULES = list(DEPENDS)
SOURCE_DIRS = MODULES + ["tests", "bench", "fuzz"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
TRANSPORT = {"http/server.cc", "http/session.cc", "http/transport.h"}
# Beast and Asio also in the outgoing client (witness requests, mirrors).
BEAST_USERS = TRANSPORT | {"http/client.cc"}
LMDB_NAME = re.compile(r'\blmdb::')
LINE_COMMENT = re.compile(r'//[^\n]*')


def module_of(rel):
    top = rel.split("/", 1)[0]
    return top if top in MODULES else None


def violations(root):
    out = []
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for kind, target in INCLUDE.findall(text):
                    out.extend(check(rel, kind, target))
                out.extend(check_names(rel, text))
    return out


def check(rel, kind, target):
    found = []
    if kind == "<" and target == "lmdb.h":
        if not (rel.startswith("ledger/lmdb/") or rel == "bench/raw_baselines.cc"):
            found.append(f"{rel}: includes <lmdb.h> (only ledger/lmdb/ may)")
    if kind == "<" and target == "sodium.h":
        ok = (rel.startswith("crypto/") and rel.endswith(".cc")) or \
            rel.startswith("tests/crypto/") or rel == "bench/raw_baselines.cc"
        if not ok:
            found.append(f"{rel}: includes <sodium.h> (only crypto/*.cc may)")
    if kind == "<" and target == "nlohmann/json.hpp" and rel != "base/json.h":
        found.append(f"{rel}: includes <nlohmann/json.hpp> (only base/json.h may; use Json)")
    if kind == "<" and (target.startswith("boost/beast") or target.startswith("boost/asio")):
        if rel not in BEAST_USERS:
            found.append(f"{rel}: includes <{target}> (only the HTTP transport may: "
                         "http/server.cc, http/session.cc, http/transport.h, http/client.cc)")
    if kind == "<" and target.startswith("openssl/"):
        sha256 = rel == "crypto/sha256.cc" and target == "openssl/evp.h"
        if rel not in TRANSPORT and not rel.startswith("tests/http/") and not sha256:
            found.append(f"{rel}: includes <{target}> (only the HTTP transport may: "
                         "http/server.cc, http/session.cc, http/transport.h; tests/http/; "
                         "and <openssl/evp.h> in crypto/sha256.cc)")
    if kind == '"' and target == "http/transport.h" and rel not in TRANSPORT:
        found.append(f'{rel}: includes "http/transport.h" (private to http/server.cc '
                     "and http/session.cc)")
    if kind == '"' and target.startswith("ledger/lmdb/") and above_ledger(rel):
        found.append(f'{rel}: includes "{target}" (only ledger/ may; use ledger/tables.h)')
    if kind == '"':
        mine = module_of(rel)
        theirs = target.split("/", 1)[0]
        if mine is not None and theirs in MODULES and theirs != mine and \
                theirs not in DEPENDS[mine]:
            found.append(f'{rel}: includes "{target}" ({mine}/ may not include {theirs}/)')
    return found


def above_ledger(rel):
    # The witness (witness/) keeps its own LMDB environment, fsync'd, beside
    # the ledger's and through the same wrapper (docs/architecture.md).
    mine = module_of(rel)
    return mine is not None and mine not in ("base", "crypto", "ledger", "witness")


def check_names(rel, text):
    if above_ledger(rel) and LMDB_NAME.search(LINE_COMMENT.sub("", text)):
        return [f"{rel}: names an lmdb:: type (only ledger/ may; use ledger/tables.h)"]
    return []


def self_test(root):
    planted = {
        "ledger/planted_lmdb.cc": "#include <lmdb.h>\n",
        "ledger/planted_sodium.cc": "#include <sodium.h>\n",
        "crypto/planted_sodium.h": "#include <sodium.h>\n",
        "projections/planted_beast.cc": "#include <boost/beast/http.hpp>\n",
        "http/planted_asio.h": "#include <boost/asio/io_context.hpp>\n",
        "http/planted_asio_ssl.cc": "#include <boost/asio/ssl/context.hpp>\n",
        "tests/planted_beast_ssl.cc": "#include <boost/beast/ssl.hpp>\n",
        "http/planted_openssl.h": "#include <openssl/ssl.h>\n",
        "crypto/planted_openssl.cc": "#include <openssl/evp.h>\n",
        "crypto/planted_sha256_ssl.h": "#include <openssl/evp.h>\n",
        "tests/e2e/planted_openssl.cc": "#include <openssl/x509.h>\n",
        "http/planted_transport.cc": '#include "http/transport.h"\n',
        "app/planted_http.cc": '#include "http/service.h"\n',
        "demo/planted_cli.cc": '#include "cli/commands.h"\n',
        "http/planted_web.cc": '#include "web/session.h"\n',
        "app/planted_cluster.cc": '#include "cluster/election.h"\n',
        "cluster/planted_beast.cc": "#include <boost/beast/http.hpp>\n",
        "ledger/planted_up.cc": '#include "projections/projector.h"\n',
        "base/planted_up.h": '#include "crypto/sha256.h"\n',
        "app/planted_lmdb_header.cc": '#include "ledger/lmdb/env.h"\n',
        "tests/planted_json.cc": "#include <nlohmann/json.hpp>\n",
        "projections/planted_lmdb_type.cc": "unsigned f(ledger::lmdb::Dbi d) { return d; }\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "src")
        for top in SOURCE_DIRS:
            if os.path.isdir(os.path.join(root, top)):
                shutil.copytree(os.path.join(root, top), os.path.join(copy, top))
        if violations(copy):
            print("self-test: the tree fails before anything is planted")
            return 1
        failed = 0
        for rel, text in planted.items():
            path = os.path.join(copy, rel)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            found = violations(copy)
            os.remove(path)
            if len(found) != 1 or not found[0].startswith(rel + ":"):
                print(f"self-test: planting {rel} gave {found}")
                failed = 1
            else:
                print(f"self-test: {found[0]}")
        return failed


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return self_test(argv[2])
    if len(argv) != 2:
        print(__doc__)
        return 64
    found = violations(argv[1])
    for line in found:
        print(line)
    if not found:
        print("include rules hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
