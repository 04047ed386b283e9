#include "app/history.h"

#include <optional>
#include <string>
#include <vector>

#include "app/event_json.h"
#include "base/ids.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "ledger/checkpoint.h"
#include "ledger/event_scan.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/tree_hash.h"
#include "ledger/merkle/verify.h"
#include "projections/rules_checked.h"

namespace caseledger::app {

namespace {


std::string B64(const crypto::Digest& d) { return crypto::Base64Encode(d.view()); }

Json RulesJson(std::string_view type) {
  Json a = Json::array();
  for (std::string_view r : projections::RulesCheckedOn(type)) a.push_back(std::string(r));
  return a;
}

// The verification of the event stored at `seq` (see history.h), against
// the latest checkpoint `cp` if it verified (else `cp_problem` says why).
Json VerifyEntry(const ledger::Snapshot& txn, ledger::LogStore& store,
                 const crypto::NoteVerifier& verifier, std::uint64_t seq,
                 const std::string& case_id, const std::optional<ledger::Checkpoint>& cp,
                 const std::string& cp_problem) {
  Json v{{"signature_valid", false}, {"included", false}};
  auto fail = [&](const std::string& problem) {
    v["signature_problem"] = problem;
    v["inclusion_problem"] = problem;
    return v;
  };
  auto line = ledger::ReadEventLine(txn, store, seq);
  if (!line.ok()) return fail("the event cannot be read: " + line.status().message());
  auto checked = ledger::CheckEventLine(*line, verifier.key);
  if (!checked.ok())
    return fail("the stored line is not a valid event: " + checked.status().message());
  const ledger::ScannedEvent& ev = checked->event;
  if (ev.seq != seq) return fail("the line stored at seq " + std::to_string(seq) +
                                 " names seq " + std::to_string(ev.seq));
  if (!case_id.empty() && ev.case_id != case_id)
    return fail("the stored event belongs to another case");

  v["signature_valid"] = checked->signature_valid;
  if (!checked->signature_valid)
    v["signature_problem"] = "the signature does not verify under " + verifier.name;

  // The leaf from the stored line itself (not the stored node), so a changed
  // line is not included even if the stored tree was left alone.
  const crypto::Digest leaf = checked->leaf;
  v["leaf_index"] = seq - 1;
  v["leaf_hash"] = B64(leaf);
  if (!cp) {
    v["inclusion_problem"] = "no verified checkpoint: " + cp_problem;
    return v;
  }
  v["tree_size"] = cp->size;
  if (seq > cp->size) {
    v["inclusion_problem"] =
        "not covered by the latest checkpoint (size " + std::to_string(cp->size) + ")";
    return v;
  }
  ledger::TxnNodeSource source(txn, store);
  auto path = merkle::InclusionProof(seq - 1, cp->size, source);
  if (!path.ok()) {
    v["inclusion_problem"] = "the inclusion proof cannot be built: " + path.status().message();
    return v;
  }
  if (Status s = merkle::VerifyInclusion(seq - 1, cp->size, leaf, *path, cp->root); !s.ok()) {
    v["inclusion_problem"] = "the inclusion proof does not lead to the checkpoint's root: " +
                             s.message();
    return v;
  }
  v["included"] = true;
  return v;
}

}  // namespace

Status AddVerification(ledger::LogStore& store, const crypto::NoteVerifier& verifier, Json& doc) {
  if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_array())
    return InvalidArgument("not a case history document (no \"entries\")");
  const std::string case_id =
      doc.contains("case") && doc["case"].is_string() ? doc["case"].get<std::string>() : "";
  CL_ASSIGN_OR_RETURN(auto txn, store.Read());

  // The latest signed checkpoint: its note signature must verify.
  Json checkpoint{{"signature_valid", false}};
  std::optional<ledger::Checkpoint> cp;
  std::string cp_problem;
  auto latest = ledger::LatestCheckpoint(txn, store);
  if (!latest.ok()) {
    cp_problem = "no checkpoint: " + latest.status().message();
  } else {
    checkpoint["size"] = latest->first;
    checkpoint["note"] = latest->second;
    auto opened = ledger::OpenCheckpoint(latest->second, verifier);
    if (!opened.ok()) {
      cp_problem = "the latest checkpoint does not verify: " + opened.status().message();
    } else if (opened->size != latest->first) {
      cp_problem = "the latest checkpoint's note names size " + std::to_string(opened->size) +
                   ", it is stored for size " + std::to_string(latest->first);
    } else {
      cp = *opened;
      checkpoint["signature_valid"] = true;
      checkpoint["root"] = B64(cp->root);
    }
  }
  if (!cp_problem.empty()) checkpoint["problem"] = cp_problem;

  std::uint64_t events = 0, verified = 0;
  for (Json& e : doc["entries"]) {
    if (!e.is_object()) return InvalidArgument("a history entry is not an object");
    const std::uint64_t seq =
        e.contains("seq") && e["seq"].is_number_unsigned() ? e["seq"].get<std::uint64_t>() : 0;
    const std::string type =
        e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>() : "";
    e["rules_checked"] = RulesJson(type);
    Json v = VerifyEntry(txn, store, verifier, seq, case_id, cp, cp_problem);
    ++events;
    if (v["signature_valid"] == true && v["included"] == true) ++verified;
    e["verification"] = std::move(v);
  }
  doc["checkpoint"] = std::move(checkpoint);
  doc["verification"] = {
      {"events", events}, {"verified", verified}, {"all_verified", cp && verified == events}};
  return Status::Ok();
}

Result<Json> BuildCaseHistory(ledger::LogStore& store, const crypto::NoteVerifier& verifier,
                              const projections::ProjectionDbs& dbs, std::string_view case_id,
                              ledger::Micros now) {
  CL_RETURN_IF_ERROR(ValidateId(case_id, "c", "case"));
  CL_ASSIGN_OR_RETURN(std::vector<projections::HistoryEntry> history,
                      projections::CaseHistory(store, dbs, case_id));
  Json entries = Json::array();
  for (const projections::HistoryEntry& e : history) entries.push_back(HistoryEntryJson(e));
  Json doc{{"v", 1},
           {"case", std::string(case_id)},
           {"origin", store.origin()},
           {"generated_at", ledger::FormatTime(now)},
           {"entries", std::move(entries)}};
  CL_RETURN_IF_ERROR(AddVerification(store, verifier, doc));
  return doc;
}

}  // namespace caseledger::app
