// Fuzz target: ledger::ParseBackupManifest (a backup's manifest.json,
// docs/formats/backup.md) on arbitrary bytes. It reads what a restore is
// handed, before any signature is checked, so it must never crash.
// Properties:
// - it refuses only with Corruption;
// - an accepted manifest's canonical text (BackupManifestText) is accepted
//   again, gives the same manifest, and is its own canonical text;
// - every file path it accepts is relative and has no "." or ".." part.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fuzz_check.h"
#include "ledger/backup.h"

namespace {

namespace ledger = caseledger::ledger;

bool Same(const ledger::BackupManifest& a, const ledger::BackupManifest& b) {
  if (a.files.size() != b.files.size()) return false;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].path != b.files[i].path || a.files[i].bytes != b.files[i].bytes ||
        !(a.files[i].sha256 == b.files[i].sha256))
      return false;
  }
  return a.origin == b.origin && a.verifier == b.verifier && a.created_us == b.created_us &&
         a.expires_us == b.expires_us && a.log_size == b.log_size && a.root == b.root &&
         a.checkpoint == b.checkpoint && a.keystore_epoch == b.keystore_epoch &&
         a.live_keys == b.live_keys && a.destroyed_keys == b.destroyed_keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = ledger::ParseBackupManifest(text);
  if (!m.ok()) {
    FUZZ_CHECK(m.status().code() == caseledger::StatusCode::kCorruption,
               "refused with " + m.status().ToString());
    return 0;
  }
  for (const auto& f : m->files) {
    FUZZ_CHECK(!f.path.empty() && f.path[0] != '/', "an absolute or empty path: " + f.path);
    FUZZ_CHECK(("/" + f.path + "/").find("/../") == std::string::npos &&
                   ("/" + f.path + "/").find("/./") == std::string::npos,
               "a path with . or ..: " + f.path);
  }
  const std::string canonical = ledger::BackupManifestText(*m);
  auto again = ledger::ParseBackupManifest(canonical);
  FUZZ_CHECK(again.ok(), "its canonical text is refused: " + again.status().ToString());
  FUZZ_CHECK(Same(*m, *again), "its canonical text parses to another manifest");
  FUZZ_CHECK(ledger::BackupManifestText(*again) == canonical, "canonical text is not a fixed point");
  return 0;
}
