// The CLI's subcommands as functions (argument parsing lives in main.cc).
// Each prints what it did to stdout, problems to stderr (never personal data),
// and returns the process exit code (api/exit_codes.h).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace caseledger::api {

int CmdInit(const std::string& dir, const std::string& origin);
// Reads JSON-lines commands from `in`; stops at the first bad line.
int CmdImport(const std::string& dir, std::istream& in, bool print_acks);
int CmdVerify(const std::string& dir, bool json, unsigned threads,
              const std::optional<std::string>& trusted_key = std::nullopt);
int CmdCheckpoint(const std::string& dir);
int CmdProveInclusion(const std::string& dir, std::uint64_t seq,
                      std::optional<std::uint64_t> size);
int CmdProveConsistency(const std::string& dir, std::uint64_t from,
                        std::optional<std::uint64_t> to);
int CmdExportBundle(const std::string& dir, const std::string& out);
int CmdVerifyBundle(const std::string& bundle,
                    const std::optional<std::string>& key, unsigned threads);
// Creates (if needed) and fills a data dir with a synthetic history, then
// verifies it.
int CmdDemo(const std::string& dir, std::uint64_t cases, std::uint64_t seed);

}  // namespace caseledger::api
