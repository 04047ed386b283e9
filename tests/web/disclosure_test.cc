// One disclosure's own page (docs/web.md, "One disclosure"; decisions.md
// #43): every step with who took it and its codes, what the request drew on,
// the basis' conditions, findings and each step's verification; the verdict
// form with the disclosure chosen; the evidence file as the CLI's, verified
// offline, its access.exported record in the log; who may see what (the
// register's readers; a legal reviewer only while a review is pending; the
// auditor never a body); a tampered or foreign evidence file is shown as
// not verified.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "projections/disclosure_register.h"
#include "projections/projector.h"
#include "tests/web/workspace_world.h"
#include "web/disclosure_page.h"

namespace caseledger::web {
namespace {

using http::HttpResponse;
using testing::CaseWalk;
using testing::WalkJson;

std::string VerifierKey(WorkspaceWorld& w) {
  return crypto::NoteVerifier::For(w.ledger->store().origin(),
                                   w.ledger->ledger().signing_key().public_key())
      .ToString();
}

// The body texts of the walk below: none may be on any page.
const std::vector<std::string> kBodies = {"Testperson 9001", "synthetic narrative",
                                          "synthetic information content", "synthetic purpose text",
                                          "Syntetisk Vej"};

// A case with information received (from the police), a founded
// assessment, a consent, and a disclosure to the police that includes the
// information: requested by one coordinator, approved by another, made by the
// caseworker. Awaiting the legal review.
struct DisclosureWalk {
  WorkspaceWorld& w;
  std::string case_id;
  std::uint64_t info = 0, consent = 0, request = 0, approved = 0, made = 0;

  std::uint64_t Event(const std::string& token, const std::string& type, WalkJson h,
                      WalkJson body = nullptr) {
    WalkJson b{{"type", type}, {"h", std::move(h)}};
    if (!body.is_null()) b["body"] = std::move(body);
    HttpResponse r = w.Walk().Post(token, "/v1/cases/" + case_id + "/events", b);
    INFO(type << ": " << r.body);
    REQUIRE(r.status == 201);
    return CaseWalk::Body(r)["seq"].get<std::uint64_t>();
  }

  explicit DisclosureWalk(WorkspaceWorld& world) : w(world) {
    case_id = w.Report(CaseWalk::Concern("b.threat"));
    Event(w.tokens.co, "case.assigned", {{"assignees", {w.tokens.cw_id}}});
    info = Event(w.tokens.cw, "information.received",
                 {{"from", "police"}, {"basis", "dbl-8-2-3"}, {"categories", {"concern"}}},
                 {{"content", "synthetic information content"}});
    Event(w.tokens.co, "assessment.recorded",
          {{"outcome", "founded"},
           {"grounds", {{{"code", "b.threat"}, {"observed_on", "2026-01-15"}}}},
           {"panel", "infohus"},
           {"factors", WalkJson::object()}},
          {{"reasoning", "synthetic reasoning"}});
    consent = Event(w.tokens.cw, "consent.recorded", {{"decision", "given"}, {"by", "subject"}});
    request = Event(w.tokens.co2, "disclosure.requested",
                    {{"recipient", "police"},
                     {"basis", "rpl-115-ssp"},
                     {"registry_version", "2026-1"},
                     {"purpose", "prevention"},
                     {"categories", {"identity", "concern"}},
                     {"includes", {info}},
                     {"consent", consent}},
                    {{"purpose_text", "synthetic purpose text"}, {"summary", "synthetic summary"}});
    approved = Event(w.tokens.co, "disclosure.approved", {{"request", request}});
    made = Event(w.tokens.cw, "disclosure.made",
                 {{"request", request}, {"channel", "secure_mail"},
                  {"document_sha256", std::string(64, 'a')}});
  }
  std::string Page() const { return "/ui/disclosures/" + case_id + "/" + std::to_string(request); }
};

TEST_CASE("a disclosure's page shows every step, who took it, what it drew on and that each "
          "step verifies, the read is recorded first",
          "[web][disclosure]") {
  WorkspaceWorld w;
  DisclosureWalk d(w);
  const std::string lr = w.SignIn(w.tokens.lr);

  // The register's row leads to the page.
  HttpResponse reg = w.Get("/ui/disclosures", lr);
  REQUIRE(reg.status == 200);
  CHECK(Has(reg.body, "<a href=\"" + d.Page() + "\""));

  std::uint64_t n = w.ledger->writer().size();
  HttpResponse r = w.Get(d.Page(), lr);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "<h1>Videregivelse til Politiet</h1>"));
  // Every step, by name and role, in order.
  const std::size_t req = r.body.find("<th scope=\"row\">Videregivelse anmodet</th>");
  const std::size_t appr = r.body.find("<th scope=\"row\">Videregivelse godkendt</th>");
  const std::size_t made = r.body.find("<th scope=\"row\">Videregivelse foretaget</th>");
  REQUIRE(req != std::string::npos);
  REQUIRE(appr != std::string::npos);
  REQUIRE(made != std::string::npos);
  CHECK(req < appr);
  CHECK(appr < made);
  CHECK(Has(r.body, "Synthetic coordinator (Koordinator)"));
  CHECK(Has(r.body, "Synthetic caseworker (Sagsbehandler)"));
  CHECK(Has(r.body, "Kanal: Sikker mail"));
  // Every step verified, against the checkpoint it was proven under.
  CHECK(Has(r.body, "Alle 3 trin er verificeret"));
  CHECK(Has(r.body, "Verificeret mod kontrolpunktet med"));
  CHECK_FALSE(Has(r.body, "IKKE verificeret"));
  // The request as it stands: codes with labels, the basis' conditions.
  CHECK(Has(r.body, "Forebyggelse"));                 // purpose
  CHECK(Has(r.body, "<ul class=\"basis-conditions\">"));
  CHECK(Has(r.body, "Samtykke registreret"));               // the consent it relies on (event label)
  // What it drew on: the information received from the police.
  CHECK(Has(r.body, "Det videregivelsen byggede på"));
  CHECK(Has(r.body, "Oplysninger modtaget"));
  // No findings for a lawful disclosure; the verdict form with it chosen.
  CHECK(Has(r.body, "Ingen fund"));
  CHECK(Has(r.body, "/ui/cases/" + d.case_id + "/record/disclosure.reviewed?disclosure=" +
                        std::to_string(d.request) + "\""));
  CHECK(Has(r.body, "href=\"" + d.Page() + "/evidence\""));
  for (const std::string& secret : kBodies) CHECK_FALSE(Has(r.body, secret));
  // Fail closed: the read was recorded, for review.
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "access.read");
  CHECK(appended[0].case_id == d.case_id);
  CHECK(appended[0].h["purpose"] == "review");

  // The verdict form has the disclosure chosen.
  HttpResponse form = w.Get("/ui/cases/" + d.case_id + "/record/disclosure.reviewed?disclosure=" +
                                std::to_string(d.request),
                            lr);
  REQUIRE(form.status == 200);
  CHECK(Has(form.body, "<option value=\"" + std::to_string(d.request) + "\" selected>"));

  // In English too.
  const std::string lr_en = w.SignIn(w.tokens.lr, "en");
  r = w.Get(d.Page(), lr_en);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "<h1>Disclosure to "));
  CHECK(Has(r.body, "All 3 steps are verified"));
}

TEST_CASE("a disclosure's evidence file is the CLI's, verifies offline, and its download is "
          "recorded first",
          "[web][disclosure][evidence]") {
  WorkspaceWorld w;
  DisclosureWalk d(w);
  const std::string lr = w.SignIn(w.tokens.lr);
  std::uint64_t n = w.ledger->writer().size();
  HttpResponse file = w.Get(d.Page() + "/evidence", lr);
  REQUIRE(file.status == 200);
  CHECK(HeaderOf(file, "Content-Disposition") ==
        "attachment; filename=\"disclosure-" + std::to_string(d.request) + "-evidence.jsonl\"");
  CHECK(HeaderOf(file, "Cache-Control") == "no-store");
  CHECK(HeaderOf(file, "X-Content-Type-Options") == "nosniff");
  // The steps of projections::DisclosureSteps, each verified under the node's key.
  const std::vector<std::uint64_t> steps = {d.request, d.approved, d.made};
  const auto reports = ledger::VerifyEvidenceSet(file.body, VerifierKey(w));
  REQUIRE(reports.size() == steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    INFO(reports[i].message);
    CHECK(reports[i].verdict == ledger::BundleVerdict::kVerified);
    CHECK(reports[i].seq == steps[i]);
    CHECK(reports[i].tree_size >= d.made);
  }
  CHECK(reports[0].type == "disclosure.requested");
  // Bodies stay ciphertext.
  for (const std::string& secret : kBodies) CHECK_FALSE(Has(file.body, secret));
  // The download is recorded as an export, for review, before it is sent.
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "access.exported");
  CHECK(appended[0].case_id == d.case_id);
  CHECK(appended[0].h["purpose"] == "review");
  // The file covers the log up to before its own record.
  CHECK(reports[0].tree_size == n);

  // The page's verification says "not verified" for a tampered line, a
  // foreign key and a missing line.
  CHECK(VerifySteps(file.body, steps, VerifierKey(w)).at(1).verified);
  std::string tampered = file.body;
  const std::size_t at = tampered.find("secure_mail");
  REQUIRE(at != std::string::npos);
  tampered.replace(at, 11, "system_mail");
  auto checks = VerifySteps(tampered, steps, VerifierKey(w));
  REQUIRE(checks.size() == 3);
  CHECK(checks[0].verified);
  CHECK(checks[0].tree_size == n);
  CHECK(checks[1].verified);
  CHECK_FALSE(checks[2].verified);  // the making's line
  const std::string other =
      crypto::NoteVerifier::For("other.invalid/log", crypto::Ed25519PublicKey{}).ToString();
  for (const StepVerification& c : VerifySteps(file.body, steps, other)) CHECK_FALSE(c.verified);
  const std::string first_line = file.body.substr(0, file.body.find('\n') + 1);
  for (const StepVerification& c : VerifySteps(first_line, steps, VerifierKey(w)))
    CHECK_FALSE(c.verified);
  // Each line valid on its own, but not one state of the log: the first
  // from this file, the rest from a later download (a larger checkpoint).
  HttpResponse later = w.Get(d.Page() + "/evidence", lr);
  REQUIRE(later.status == 200);
  const std::string mixed = first_line + later.body.substr(later.body.find('\n') + 1);
  checks = VerifySteps(mixed, steps, VerifierKey(w));
  REQUIRE(checks.size() == 3);
  CHECK(checks[0].verified);
  CHECK_FALSE(checks[1].verified);
  CHECK_FALSE(checks[2].verified);
}

TEST_CASE("a disclosure's page: the register's readers only, the legal reviewer while the review "
          "is pending, never a body for the auditor",
          "[web][disclosure][access]") {
  WorkspaceWorld w;
  DisclosureWalk d(w);
  const std::string cw = w.SignIn(w.tokens.cw), co = w.SignIn(w.tokens.co),
                    aud = w.SignIn(w.tokens.aud), dpo = w.SignIn(w.tokens.dpo),
                    lr = w.SignIn(w.tokens.lr);

  // The caseworker has no register, so no page and no file; nothing recorded.
  std::uint64_t n = w.ledger->writer().size();
  CHECK(w.Get(d.Page(), cw).status == 403);
  CHECK(w.Get(d.Page() + "/evidence", cw).status == 403);
  CHECK(w.ledger->writer().size() == n);
  // Not a disclosure request, no such case, not a seq: 404, nothing recorded.
  CHECK(w.Get("/ui/disclosures/" + d.case_id + "/" + std::to_string(d.info), lr).status == 404);
  CHECK(w.Get("/ui/disclosures/" + d.case_id + "/" + std::to_string(d.made), lr).status == 404);
  CHECK(w.Get("/ui/disclosures/" + d.case_id + "/abc", lr).status == 404);
  CHECK(w.Get("/ui/disclosures/" + d.case_id + "/0", lr).status == 404);
  CHECK(w.Get("/ui/disclosures/c-nosuchcase/" + std::to_string(d.request), lr).status == 404);
  CHECK(w.ledger->writer().size() == n);
  // Signed out: to the sign-in page.
  CHECK(w.Get(d.Page()).status == 303);

  // The auditor: headers only, for audit; the case links to the audit's
  // drill-down; no verdict form.
  HttpResponse r = w.Get(d.Page(), aud);
  REQUIRE(r.status == 200);
  for (const std::string& secret : kBodies) CHECK_FALSE(Has(r.body, secret));
  CHECK(Has(r.body, "href=\"/ui/audit/cases/" + d.case_id + "\""));
  CHECK_FALSE(Has(r.body, "record/disclosure.reviewed"));
  auto appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].h["purpose"] == "audit");
  n = w.ledger->writer().size();
  HttpResponse file = w.Get(d.Page() + "/evidence", aud);
  REQUIRE(file.status == 200);
  for (const std::string& secret : kBodies) CHECK_FALSE(Has(file.body, secret));
  appended = w.EventsSince(n);
  REQUIRE(appended.size() == 1);
  CHECK(appended[0].type == "access.exported");
  CHECK(appended[0].h["purpose"] == "audit");
  // The DPO reads it for audit too; the coordinator for casework, no verdict form.
  CHECK(w.Get(d.Page(), dpo).status == 200);
  r = w.Get(d.Page(), co);
  REQUIRE(r.status == 200);
  CHECK_FALSE(Has(r.body, "record/disclosure.reviewed"));
  CHECK(Has(r.body, "href=\"/ui/cases/" + d.case_id + "\""));

  // The legal reviewer records the verdict; the review ended, so did their
  // access (as the case and the register): 403, nothing recorded.
  CHECK(w.Get(d.Page(), lr).status == 200);
  d.Event(w.tokens.lr, "disclosure.reviewed",
          {{"disclosure", d.request}, {"verdict", "deficient"}, {"findings", {"other"}}});
  n = w.ledger->writer().size();
  CHECK(w.Get(d.Page(), lr).status == 403);
  CHECK(w.Get(d.Page() + "/evidence", lr).status == 403);
  CHECK(w.ledger->writer().size() == n);
  // The coordinator sees the verdict among the steps, all four verified.
  r = w.Get(d.Page(), co);
  REQUIRE(r.status == 200);
  CHECK(Has(r.body, "<th scope=\"row\">Videregivelse kontrolleret</th>"));
  CHECK(Has(r.body, "Vurdering: Mangelfuld"));
  CHECK(Has(r.body, "Alle 4 trin er verificeret"));
  CHECK(Has(r.body, "Synthetic legal_reviewer (Jurist (legalitetskontrol))"));
}

}  // namespace
}  // namespace caseledger::web
