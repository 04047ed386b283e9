// The data protection officer's use cases about one person (DESIGN §7):
// finding the subject registered under a CPR number, the subject-access
// export (GDPR Art. 15), erasure (Art. 17, ROL-16) and the Art. 19 list of
// recipients to tell of it. One use case each for the JSON API
// (/v1/subjects/…) and the workspace's DPO pages; every read of personal data
// is recorded through `record` before anything is returned (fail closed).
// Thread-safe as the ledger's reads and writer are.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app/authz.h"
#include "base/json.h"
#include "base/result.h"
#include "ledger/ledger.h"
#include "projections/case_cache.h"
#include "projections/projector.h"

namespace caseledger::app {

// Records the read of one case (its access record, durable) or answers why it
// could not be (the read is then refused). Called once per case, before
// anything of the case is returned.
using RecordCaseRead = std::function<Status(const std::string& case_id)>;

struct FoundSubject {
  std::string subject;             // the pseudonym, s-…
  std::vector<std::string> cases;  // in the order they were opened
};

// The subject registered under `cpr` (DDMMYY-NNNN or DDMMYYNNNN), for a
// caseworker, coordinator or the DPO; each of its cases' reads is recorded
// (purpose "lookup") through `record` first. PermissionDenied for other
// roles, InvalidArgument for what is not a CPR number, NotFound when no
// subject (or an erased one) is registered under it; `record`'s error as is.
// The error texts never quote the number.
Result<FoundSubject> LookupSubjectByCpr(ledger::Ledger& ledger,
                                        const projections::ProjectionDbs& dbs,
                                        const Principal& who, const std::string& cpr,
                                        const RecordCaseRead& record);

// The subject-access export of `subject` (app::BuildSubjectExport), for the
// DPO only; each case's access.exported is recorded through `record` first.
// InvalidArgument for a malformed subject id, PermissionDenied for other
// roles, NotFound for an unknown subject; `record`'s error as is.
Result<Json> ExportSubject(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                           const Principal& who, const std::string& subject,
                           ledger::Micros now, const RecordCaseRead& record);

// One Art. 19 duty still open: the recipients of earlier disclosures of
// `case_id` to be told of the erasure `about` (then record
// recipients.notified about that seq).
struct Art19Notice {
  std::string case_id;
  std::uint64_t about = 0;
  std::vector<std::string> recipients;  // pending: sorted, unique
};

// The open Art. 19 duties of `subject`'s cases about its erasure (about
// `erasure_seq`, or about any subject.erased when 0). Headers only: case ids
// and recipient codes. NotFound for an unknown subject.
Result<std::vector<Art19Notice>> ErasureNotices(ledger::Ledger& ledger,
                                                const projections::ProjectionDbs& dbs,
                                                projections::CaseCache& cases,
                                                const std::string& subject,
                                                std::uint64_t erasure_seq);

struct Erasure {
  ledger::Appended appended;        // the subject.erased event, durable
  std::string kid;                  // the data key it destroyed
  std::vector<Art19Notice> notify;  // whom to tell (Art. 19)
};

// Erases `subject` for `reason` (app::ErasureCommand, decided by the policy
// engine in the writer: a refusal is its PolicyRefused status) and waits at
// most `timeout` for it to be durable; then the Art. 19 list. Errors as
// ErasureCommand and AppendAndWait.
Result<Erasure> EraseSubject(ledger::Ledger& ledger, const projections::ProjectionDbs& dbs,
                             projections::CaseCache& cases, const Principal& who,
                             const std::string& subject, const std::string& reason,
                             std::chrono::milliseconds timeout);

}  // namespace caseledger::app
