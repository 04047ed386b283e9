// The one table from Status codes to CLI exit codes (sysexits.h values), and
// the verification outcomes' own codes. See docs/cli.md.
#pragma once

#include "base/status.h"

namespace caseledger::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerifyFailed =
    1;                                 // `verify`: the log does not verify
// verify-bundle, verify-evidence, audit, history with --witness/--quorum:
// everything else verifies, but fewer than the quorum of the given witnesses
// validly cosigned the checkpoint. Not a sysexits value; the same in
// tools/verify_bundle.py and tools/verify_evidence.py.
inline constexpr int kExitNoWitnessQuorum = 4;
inline constexpr int kExitUsage = 64;  // EX_USAGE: bad command line
// `serve`: the writer failed for good after a storage failure (it could not
// rebuild its state from the disk); a restart reopens the data directory.
inline constexpr int kExitStorageFailed = 74;  // EX_IOERR

// Maps a failed Status to an exit code: invalid input 65 (EX_DATAERR), not
// found 66 (EX_NOINPUT), unavailable/locked 75 (EX_TEMPFAIL), permission 77
// (EX_NOPERM), I/O 74 (EX_IOERR), corruption 76 (EX_PROTOCOL), policy refusal
// 67, anything else 70 (EX_SOFTWARE).
int ExitCodeFor(const Status& s);

// Prints "caseledger: <status>" to stderr and returns ExitCodeFor(s): how
// every subcommand reports a failure.
int Fail(const Status& s);

}  // namespace caseledger::cli
