#include "app/audit_bundle.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <map>

#include "app/disclosure_evidence.h"
#include "ledger/bundle.h"

namespace caseledger::app {

namespace {

constexpr std::size_t kBlock = 512;

// An octal field of `width` bytes: digits, then NUL (ustar).
void Octal(char* field, std::size_t width, std::uint64_t value) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (value & 7)));
    value >>= 3;
  } while (value != 0);
  digits.insert(0, width - 1 - digits.size(), '0');
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

// One regular file `name` (< 100 bytes) with `bytes`, padded to 512-byte blocks.
void AddFile(std::string& tar, const std::string& name, std::string_view bytes,
             std::uint64_t mtime) {
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 99));
  Octal(&h[100], 8, 0644);  // mode
  Octal(&h[108], 8, 0);     // uid
  Octal(&h[116], 8, 0);     // gid
  Octal(&h[124], 12, bytes.size());
  Octal(&h[136], 12, mtime);
  std::memset(&h[148], ' ', 8);  // the checksum field counts as spaces
  h[156] = '0';                  // a regular file
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  Octal(&h[148], 7, sum);
  h[155] = ' ';
  tar.append(h.data(), h.size());
  tar.append(bytes);
  tar.append((kBlock - bytes.size() % kBlock) % kBlock, '\0');
}

}  // namespace

Result<AuditBundleTar> BuildAuditBundleTar(ledger::LogStore& store, std::string_view verifier_line,
                                           const ledger::CosignatureStore* cosignatures) {
  CL_ASSIGN_OR_RETURN(std::optional<ledger::BundleCheckpoint> at,
                      WitnessedCheckpoint(cosignatures));
  std::map<std::string, std::string, std::less<>> files;
  CL_ASSIGN_OR_RETURN(ledger::ExportResult r,
                      ledger::WriteBundle(store, verifier_line,
                                          [&](std::string_view file, std::string_view bytes) {
                                            files[std::string(file)].append(bytes);
                                            return Status::Ok();
                                          },
                                          at));
  AuditBundleTar out;
  out.events = r.events;
  out.checkpoint_size = r.checkpoint_size;
  out.folder = "caseledger-bundle-" + std::to_string(r.checkpoint_size);
  const std::uint64_t mtime = 0;  // the same bundle, the same bytes
  for (const char* name : {"events.jsonl", "checkpoint.txt", "verifier.txt"})
    AddFile(out.tar, out.folder + "/" + name, files[name], mtime);
  out.tar.append(2 * kBlock, '\0');  // the end of the archive
  return out;
}

}  // namespace caseledger::app
