// Commands forwarded from a cluster follower to its leader (issue 19;
// docs/cluster-election.md, "The node"). A follower's writer appends
// nothing itself (ledger::Writer::Options::forward): every command its API,
// its workspace or its access records submit — a caseworker's write, the
// access.read a read must record before its body is released — is sent to
// the leader's POST /v1/cluster/submit, appended there by the leader's
// writer under the leader's policy engine, and the leader's answer (the
// Appended, or the refusal with its code and rule) is returned as if the
// follower's own writer had given it.
// The wire forms are canonical JSON, parsed as untrusted input; they cross
// only between nodes that hold the master key (the request carries the
// cluster MAC, cluster/node.h), which is why the server-only marks of a
// command (from_server, its origin) may travel with it. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "ledger/command.h"
#include "ledger/writer.h"

namespace caseledger::cluster {

// {"command":{type, actor, role, h, case, subject, body, time as an import
// line (docs/formats/import.md)},"from_server":b,"legacy_import":b,
// "need_to_know":b}.
std::string EncodeForwarded(const ledger::Command& cmd);
// InvalidArgument naming what is wrong (the command's own errors as
// ledger::ParseCommandJson).
Result<ledger::Command> DecodeForwarded(std::string_view text);

// {"appended":{"checkpoint","seq","time","tree_size"}} or
// {"error":{"code":N,"message":…,"reason":…}} (N: the StatusCode's number).
std::string EncodeForwardAnswer(const Result<ledger::Appended>& answer);
// The answer as the leader's writer gave it; Unavailable if `text` is not an
// answer.
Result<ledger::Appended> DecodeForwardAnswer(std::string_view text);

}  // namespace caseledger::cluster
