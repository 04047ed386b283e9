// `caseledger keys rotate`: makes erasures final on disk (DESIGN §7.2). Every
// live data key is re-wrapped under a new key-encryption key, the old one is
// destroyed, and the keystore file is compacted so that no freed page keeps a
// destroyed key or an old KEK (ledger/keystore.h, docs/privacy.md). Needs the
// data dir's lock: run it while the server is stopped.
#include <iostream>

#include "base/progress.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "ledger/ledger.h"

namespace caseledger::cli {

int CmdKeysRotate(const std::string& dir, bool quiet) {
  ProgressLine progress("keys rotate", 0, ProgressLine::ForStderr(quiet, "keys"));
  auto r = ledger::RotateKeys(dir, progress.Fn());
  if (!r.ok()) {
    progress.Clear();
    return Fail(r.status());
  }
  progress.Finish();
  std::cout << "keystore rotated: KEK epoch " << r->old_epoch << " -> " << r->new_epoch
            << "; " << r->rewrapped << " live data keys re-wrapped; " << r->made_final
            << " erasures made final; keystore file " << r->file_bytes_before << " -> "
            << r->file_bytes_after << " bytes\n";
  return kExitOk;
}

}  // namespace caseledger::cli
