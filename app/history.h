// The verifiable timeline of one case (`caseledger history`; docs/history.md):
// every event of the case from the per-case index (projections::CaseHistory),
// its clear envelope — never a body — with the links between corrections and
// what they correct, the rules of law checked on its type
// (projections::RulesCheckedOn), and its verification status:
//   signature_valid  the event's Ed25519 signature verifies under the node's
//                    note verifier key over "caseledger/event/v1\n" ‖ C
//   included         the event's leaf, recomputed from the stored line, is in
//                    the tree of the latest signed checkpoint: the RFC 9162
//                    inclusion proof from the stored tree leads to the root of
//                    that checkpoint, whose note signature verifies
// Needs no secret (no master key, no data key). Thread-safety: takes its own
// read txns; may run beside the writer.
#pragma once

#include <string_view>

#include "base/result.h"
#include "crypto/note.h"
#include "ledger/canonical_json.h"
#include "ledger/log_store.h"
#include "ledger/time.h"
#include "projections/projector.h"

namespace caseledger::app {

// The history document of case `case_id` (shape: docs/history.md):
// {"v":1,"case","origin","generated_at","entries":[…],"checkpoint":{…},
//  "verification":{"events","verified","all_verified"}}, each entry as
// HistoryEntryJson plus "rules_checked" and "verification". InvalidArgument
// for a malformed case id, NotFound for an unknown case; problems with the
// events themselves are in the document, not errors.
Result<Json> BuildCaseHistory(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
                                      const projections::ProjectionDbs& dbs,
                                      std::string_view case_id, ledger::Micros now);

// Adds the verification of every entry to a history document `doc` of the
// shape {"entries":[{"seq","type",…},…]} — BuildCaseHistory's, or the body
// of GET /v1/cases/{case}/history — from one read txn of `store`: per entry
// "rules_checked" and "verification" {"signature_valid","included",
// "leaf_index","tree_size","leaf_hash", and "signature_problem" /
// "inclusion_problem" when false}; at the top "checkpoint" {"size","root",
// "note","signature_valid"[,"problem"]} and "verification". Entries are
// read by their seq (a stored line of another seq or case is reported as
// unverified). InvalidArgument if `doc` has no "entries" array; I/O errors
// of the read txn as LMDB's.
Status AddVerification(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
                       Json& doc);

}  // namespace caseledger::app
