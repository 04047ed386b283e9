#include "app/subject.h"

#include "app/concern.h"
#include "app/erasure.h"
#include "app/subject_export.h"
#include "base/ids.h"
#include "projections/catalogue.h"
#include "projections/policy.h"

namespace caseledger::app {

Result<FoundSubject> LookupSubjectByCpr(ledger::Ledger& ledger,
                                        const projections::ProjectionDbs& dbs,
                                        const Principal& who, const std::string& cpr,
                                        const RecordCaseRead& record) {
  if (who.role != "caseworker" && who.role != "coordinator" && who.role != "dpo")
    return PermissionDenied(
        "only caseworkers, coordinators and the dpo look up a person by CPR number");
  if (!projections::IsCpr(cpr)) return InvalidArgument("cpr: a CPR number, DDMMYY-NNNN or DDMMYYNNNN");
  ledger::Keystore& keys = ledger.keys();
  CL_ASSIGN_OR_RETURN(auto owner, keys.OwnerOf(projections::CprLookupKey(keys, cpr)));
  const Status none = NotFound("no subject is registered under this CPR number");
  if (!owner) return none;
  auto st = projections::ReadSubject(ledger.store(), dbs, *owner);
  // An entry whose subject never reached the log, or was erased, is no one's.
  if (!st.ok() && st.status().code() == StatusCode::kNotFound) return none;
  if (!st.ok()) return st.status();
  if (st->erased) return none;
  // Fail closed: who found this person is durable before the answer leaves.
  for (const std::string& c : st->cases) CL_RETURN_IF_ERROR(record(c));
  return FoundSubject{*owner, st->cases};
}

Result<Json> ExportSubject(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                           const Principal& who, const std::string& subject,
                           ledger::Micros now, const RecordCaseRead& record) {
  if (!ValidateId(subject, "s", "subject").ok())
    return InvalidArgument("subject: not a subject id (s-…)");
  if (who.role != "dpo") return PermissionDenied("only the dpo produces a subject access export");
  CL_ASSIGN_OR_RETURN(projections::SubjectState state,
                      projections::ReadSubject(ledger.store(), dbs, subject));
  // Fail closed: each case's access.exported is durable before anything leaves.
  for (const std::string& c : state.cases) CL_RETURN_IF_ERROR(record(c));
  return BuildSubjectExport(ledger.store(), ledger.keys(), dbs, subject, state, now);
}

Result<std::vector<Art19Notice>> ErasureNotices(ledger::Ledger& ledger,
                                                const projections::ProjectionDbs& dbs,
                                                projections::CaseCache& cases,
                                                const std::string& subject,
                                                std::uint64_t erasure_seq) {
  CL_ASSIGN_OR_RETURN(projections::SubjectState state,
                      projections::ReadSubject(ledger.store(), dbs, subject));
  std::vector<Art19Notice> out;
  for (const std::string& id : state.cases) {
    CL_ASSIGN_OR_RETURN(projections::CaseCache::Read snap, cases.Get(id));
    for (const auto& d : snap.c->view.notifications) {
      const bool about = erasure_seq != 0 ? d.seq == erasure_seq : d.type == "subject.erased";
      if (about && !d.Pending().empty()) out.push_back({id, d.seq, d.Pending()});
    }
  }
  return out;
}

Result<Erasure> EraseSubject(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                             projections::CaseCache& cases, const Principal& who,
                             const std::string& subject, const std::string& reason,
                             std::chrono::milliseconds timeout) {
  CL_ASSIGN_OR_RETURN(ledger::Command c,
                      ErasureCommand(ledger.keys(), who.user, who.role, subject, reason));
  Erasure e;
  e.kid = c.h["kid"].get<std::string>();
  CL_ASSIGN_OR_RETURN(e.appended, AppendAndWait(ledger.writer(), std::move(c), timeout));
  // GDPR Art. 19: the recipients of earlier disclosures to tell of the
  // erasure. The erasure is durable: a failure to list them is not its
  // failure (the list is also on the DPO's page and in the audit).
  if (auto n = ErasureNotices(ledger, dbs, cases, subject, e.appended.seq); n.ok())
    e.notify = std::move(*n);
  return e;
}

}  // namespace caseledger::app
