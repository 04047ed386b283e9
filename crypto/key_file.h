// Key files on disk: the raw 32-byte master key file, and sealed key files that
// hold a secret (e.g. the node's Ed25519 seed) encrypted under a key derived
// from the master key. Formats: docs/formats/keyfile.md. Files are written with
// mode 0600, atomically (temp file + fsync + rename/link + fsync of the
// directory), so a crash leaves either the old file or the new one.
// Secrets read back live only in SecretBytes. Functions are thread-safe; two
// writers of the same path race as rename(2) does (the last one wins).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "crypto/secret.h"

namespace caseledger::crypto {

inline constexpr std::size_t kMasterKeyBytes = 32;
// First word of a sealed key file's header line.
inline constexpr std::string_view kSealedKeyMagic = "caseledger-sealed-key";
// Context prefix of the sealing key: DeriveSubkey(master, prefix ‖ purpose).
inline constexpr std::string_view kSealedKeyContextPrefix =
    "caseledger/keyfile/v1/";
// Files larger than this are not key files (InvalidArgument on read).
inline constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// Writes 32 fresh random bytes to `path` (mode 0600, atomic; never replaces a
// file: the final step is link(2), which fails if `path` appeared meanwhile).
// AlreadyExists if `path` exists; NotFound if its directory does not exist;
// PermissionDenied if the OS refuses access; IoError on other OS failures.
Status WriteNewMasterKeyFile(const std::string& path);

// Reads a master key file. NotFound if it does not exist; PermissionDenied if
// it is readable, writable or executable by group or others (mode & 077 != 0)
// or the OS refuses to open it; InvalidArgument if it is not a regular file or
// not exactly kMasterKeyBytes long; IoError on other OS failures.
Result<SecretBytes> ReadMasterKeyFile(const std::string& path);

// Reads a passphrase file: a regular file of 1 to 1024 bytes, mode 0600 or
// stricter (as ReadMasterKeyFile), into secure memory; one trailing "\n" (or
// "\r\n") is dropped. Errors as ReadMasterKeyFile; InvalidArgument if empty.
Result<SecretBytes> ReadPassphraseFile(const std::string& path);

// A purpose names what a sealed key is for and is bound into its key and
// header: 1 to 64 characters from [a-z0-9._-] (e.g. "node-signing-key").
// InvalidArgument otherwise.
Status ValidateKeyFilePurpose(std::string_view purpose);

// The full text of a sealed key file (see docs/formats/keyfile.md):
//   "caseledger-sealed-key v1 <purpose>\n" ‖ base64(nonce ‖ ciphertext ‖ tag) ‖
//   "\n"
// sealed with XChaCha20-Poly1305 under DeriveSubkey(master,
// "caseledger/keyfile/v1/<purpose>"), a fresh random nonce, and the header line
// (with its '\n') as associated data. InvalidArgument if the purpose is invalid
// or master is not kMasterKeyBytes long.
Result<std::string> SealKeyFileText(std::string_view purpose,
                                    const SecretBytes& master,
                                    const SecretBytes& secret);

// Opens the text of a sealed key file. InvalidArgument if it is malformed, of
// an unknown version, or sealed for another purpose (the message names both),
// or master has the wrong size; Corruption if authentication fails (wrong
// master key, or the file was altered).
Result<SecretBytes> OpenKeyFileText(std::string_view text,
                                    std::string_view purpose,
                                    const SecretBytes& master);

// SealKeyFileText written to `path` (mode 0600, atomic; replaces an existing
// file, as key rotation needs). Errors as SealKeyFileText, plus the OS errors
// of WriteNewMasterKeyFile (NotFound, PermissionDenied, IoError).
Status WriteSealedKeyFile(const std::string& path, std::string_view purpose,
                          const SecretBytes& master, const SecretBytes& secret);

// Reads `path` and OpenKeyFileText's it. NotFound if it does not exist;
// PermissionDenied if the OS refuses access; InvalidArgument if it is not a
// regular file or larger than kMaxKeyFileBytes; otherwise as OpenKeyFileText.
Result<SecretBytes> ReadSealedKeyFile(const std::string& path,
                                      std::string_view purpose,
                                      const SecretBytes& master);

}  // namespace caseledger::crypto
