// One disclosure's own page (docs/web.md, "One disclosure"; decisions.md
// #43): every step with its time, who took it and its codes, the basis with
// its conditions, what the request drew on, the register's automatic
// findings, the evidence file to download and how each step of it verifies.
// Whoever sees the disclosure's row in the register sees its page
// (app::MayList, through app::GrantCaseRead for the role's purpose); the
// page is a read of the case and its access record is durable before the
// page is rendered, the download's (access.exported) before the file is
// sent (fail closed). Clear headers and staff names only: no body, for any
// role.
#include "web/disclosure_page.h"

#include <algorithm>
#include <map>
#include <string>

#include "app/case_access.h"
#include "app/disclosure_evidence.h"
#include "app/staff.h"
#include "ledger/evidence.h"
#include "projections/catalogue.h"
#include "projections/disclosure_register.h"
#include "projections/legal_basis.h"
#include "web/event_form.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

std::vector<StepVerification> VerifySteps(std::string_view evidence,
                                          const std::vector<std::uint64_t>& steps,
                                          const std::string& trusted_key) {
  const std::vector<ledger::EvidenceReport> reports = ledger::VerifyEvidenceSet(evidence, trusted_key);
  std::vector<StepVerification> out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    StepVerification v;
    v.seq = steps[i];
    if (reports.size() == steps.size() && reports[i].verdict == ledger::BundleVerdict::kVerified &&
        reports[i].seq == steps[i]) {
      v.verified = true;
      v.tree_size = reports[i].tree_size;
    }
    out.push_back(v);
  }
  return out;
}

namespace {

bool ParseSeq(const std::string& text, std::uint64_t& seq) {
  if (text.empty() || text.size() > 16 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  seq = std::stoull(text);
  return seq > 0;
}

// The purpose a role reads a disclosure's page for: the register's readers
// (app::MayList) — coordinators for casework, legal reviewers for review
// (web::ReadPurpose, as the case page), auditors and the DPO for audit
// (metadata only). A caseworker has no register, so no page.
std::string DisclosurePurpose(const Session& s) {
  if (s.who.role == "auditor" || s.who.role == "dpo") return "audit";
  if (s.who.role == "caseworker") return "";
  return ReadPurpose(s);
}

std::string Row(const std::string& label, const std::string& value_html) {
  return "<tr><th scope=\"row\">" + Esc(label) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string Labels(Lang lang, std::string_view field, const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) out += (out.empty() ? "" : ", ") + CodeLabel(lang, field, c);
  return out;
}

std::vector<std::string> Strings(const Json& h, const char* name) {
  std::vector<std::string> out;
  if (h.contains(name) && h[name].is_array())
    for (const Json& x : h[name])
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

std::string StringOf(const Json& h, const char* name) {
  return h.contains(name) && h[name].is_string() ? h[name].get<std::string>() : std::string();
}

using Facts = std::map<std::uint64_t, const projections::Fact*>;

// "event, dd-mm-åååå hh:mm" of the event `seq` of the case ("" if none).
std::string EventAt(Lang lang, const Facts& facts, std::uint64_t seq) {
  auto it = facts.find(seq);
  if (it == facts.end()) return "";
  const Catalogue& t = Catalogue::Builtin();
  return t.Format(lang, "disclosure.about_step", {{"event", t.Text(lang, "event." + it->second->type)},
                                                  {"time", FormatDateTime(it->second->time)}});
}

// What a step's header says beyond its type, in words (codes with labels).
std::string StepDetails(Lang lang, const projections::Fact& f, const Facts& facts) {
  const Catalogue& t = Catalogue::Builtin();
  const auto pair = [&](const char* field, const std::string& value) {
    return t.Text(lang, std::string("field.") + field) + ": " + value;
  };
  const Json& h = f.h;
  if (f.type == "disclosure.requested")
    return pair("recipient", CodeLabel(lang, "recipient", StringOf(h, "recipient"))) + "; " +
           pair("basis", t.Text(lang, "basis." + StringOf(h, "basis")));
  if (f.type == "disclosure.made")
    return pair("channel", CodeLabel(lang, "channel", StringOf(h, "channel"))) + "; " +
           pair("document_sha256", StringOf(h, "document_sha256"));
  if (f.type == "disclosure.reviewed") {
    const std::vector<std::string> findings = Strings(h, "findings");
    return pair("verdict", CodeLabel(lang, "verdict", StringOf(h, "verdict"))) + "; " +
           pair("findings", findings.empty() ? t.Text(lang, "register.no_findings")
                                             : Labels(lang, "findings", findings));
  }
  if (f.type == "record.corrected" || f.type == "record.retracted") {
    std::string s;
    if (h.contains("target") && h["target"].is_number_unsigned())
      s = EventAt(lang, facts, h["target"].get<std::uint64_t>());
    const std::vector<std::string> fields = Strings(h, "fields");
    if (!fields.empty()) {
      std::string joined;
      for (const std::string& x : fields) joined += (joined.empty() ? "" : ", ") + x;
      s += (s.empty() ? "" : "; ") + t.Format(lang, "disclosure.corrected_fields", {{"fields", joined}});
    }
    return s;
  }
  return "";
}

// Who took a step: the name they were registered with (if still on the
// staff) and the role they acted in.
std::string Who(Lang lang, const std::map<std::string, std::string>& names,
                const projections::Fact& f) {
  const std::string role = Catalogue::Builtin().Text(lang, "role." + f.role);
  auto it = names.find(f.actor);
  if (it == names.end() || it->second.empty()) return role;
  return it->second + " (" + role + ")";
}

std::string Table(const std::string& id, const std::string& caption,
                  const std::vector<const char*>& cols, const std::string& rows, Lang lang) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<div class=\"table--responsive-scroll\"><table class=\"table\" id=\"" + id +
                  "\"><caption>" +
                  Esc(caption) + "</caption>\n<thead><tr>";
  for (const char* c : cols) s += "<th scope=\"col\">" + Esc(t.Text(lang, c)) + "</th>";
  return s + "</tr></thead>\n<tbody>\n" + rows + "</tbody></table></div>\n";
}

// What one disclosure's page is made of, read before its access record.
struct DisclosureRead {
  Lang lang = Lang::kDa;
  const projections::CaseView* v = nullptr;
  const projections::Disclosure* d = nullptr;
  const projections::RegisterEntry* entry = nullptr;
  Facts facts;
  std::map<std::string, std::string> names;  // user -> registered name
  std::vector<StepVerification> checks;
};

// The disclosure as it stands now (after corrections), and its basis with
// the basis' conditions (as beside it on the request form).
std::string Summary(const DisclosureRead& r, const std::string& case_path) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = r.lang;
  const projections::Disclosure& d = *r.d;
  const std::string& case_id = r.v->case_id;
  const std::string short_id = case_id.substr(0, std::min<std::size_t>(case_id.size(), 10));
  std::string consent = t.Text(lang, "disclosure.consent_none");
  if (d.consent) {
    consent = EventAt(lang, r.facts, *d.consent);
    for (const projections::ConsentEntry& c : r.v->consents)
      if (c.seq == *d.consent) consent += " (" + CodeLabel(lang, "by", c.by) + ")";
  }
  std::string rows =
      Row(t.Text(lang, "disclosure.case"), "<a href=\"" + Esc(case_path) + "\" title=\"" +
                                               Esc(t.Text(lang, "disclosure.case_link")) + "\">" +
                                               Esc(short_id) + "</a>") +
      Row(t.Text(lang, "disclosure.status"), Esc(t.Text(lang, "disclosure_status." + d.status))) +
      Row(t.Text(lang, "disclosure.requested_at"), Esc(FormatDateTime(d.time))) +
      Row(t.Text(lang, "field.recipient"), Esc(CodeLabel(lang, "recipient", d.recipient))) +
      Row(t.Text(lang, "field.basis"), Esc(t.Text(lang, "basis." + d.basis))) +
      Row(t.Text(lang, "disclosure.registry_version"), Esc(d.registry_version)) +
      Row(t.Text(lang, "field.purpose"), Esc(CodeLabel(lang, "purpose", d.purpose))) +
      Row(t.Text(lang, "field.categories"), Esc(Labels(lang, "categories", d.categories))) +
      Row(t.Text(lang, "field.threshold"),
          Esc(d.threshold.empty() ? t.Text(lang, "disclosure.threshold_none")
                                  : CodeLabel(lang, "threshold", d.threshold))) +
      Row(t.Text(lang, "field.consent"), Esc(consent));
  if (d.request_ref)
    rows += Row(t.Text(lang, "disclosure.request_ref"), Esc(t.Text(lang, "disclosure.request_ref_given")));
  if (r.entry->legacy)
    rows += Row(t.Text(lang, "disclosure.legacy"), Esc(t.Text(lang, "disclosure.legacy_yes")));
  std::string html = "<table class=\"table\" id=\"disclosure-summary\"><caption>" +
                     Esc(t.Text(lang, "disclosure.summary")) +
                     "</caption>\n" + rows + "</table>\n";
  html += "<h2>" + Esc(t.Text(lang, "disclosure.basis_title")) + "</h2>\n<p>" +
          Esc(t.Text(lang, "basis." + d.basis)) + "</p>\n";
  if (const projections::LegalBasis* b = projections::FindBasis(d.basis, d.registry_version))
    return html + BasisConditions(lang, *b) + "\n";
  return html + "<p>" +
         Esc(t.Format(lang, "disclosure.basis_unknown", {{"version", d.registry_version}})) + "</p>\n";
}

// Every step: time, step, who, its codes, and how its evidence verifies.
std::string Steps(const DisclosureRead& r) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = r.lang;
  std::string rows;
  int bad = 0;
  std::uint64_t size = 0;
  for (const StepVerification& c : r.checks) {
    if (!c.verified) ++bad;
    size = std::max(size, c.tree_size);
    auto it = r.facts.find(c.seq);
    if (it == r.facts.end()) continue;
    const projections::Fact& f = *it->second;
    rows += "<tr><td>" + Esc(FormatDateTime(f.time)) + "</td><th scope=\"row\">" +
            Esc(t.Text(lang, "event." + f.type)) + "</th><td>" + Esc(Who(lang, r.names, f)) +
            "</td><td>" + Esc(StepDetails(lang, f, r.facts)) + "</td><td>" +
            Esc(c.verified ? t.Format(lang, "disclosure.verified", {{"size", std::to_string(c.tree_size)}})
                           : t.Text(lang, "disclosure.not_verified")) +
            "</td></tr>\n";
  }
  const std::string n = std::to_string(r.checks.size());
  const std::string summary =
      bad == 0 ? AlertBox("success", "<p>" + Esc(t.Format(lang, "disclosure.all_verified",
                                                          {{"n", n}, {"size", std::to_string(size)}})) +
                                         "</p>")
               : AlertBox("error", "<p>" + Esc(t.Format(lang, "disclosure.some_unverified",
                                                        {{"bad", std::to_string(bad)}, {"n", n}})) +
                                       "</p>");
  return "<h2>" + Esc(t.Text(lang, "disclosure.steps")) + "</h2>\n" + summary +
         Table("disclosure-steps", t.Text(lang, "disclosure.steps"),
               {"disclosure.col.time", "disclosure.col.step", "disclosure.col.by",
                "disclosure.col.details", "disclosure.col.verified"},
               rows, lang);
}

// What it drew on (the information received it includes), and the
// register's automatic findings (projections::RegisterChecks).
std::string DrewOnAndFindings(const DisclosureRead& r) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = r.lang;
  std::string html = "<h2>" + Esc(t.Text(lang, "disclosure.drew_on")) + "</h2>\n";
  if (r.entry->drew_on.empty()) {
    html += "<p>" + Esc(t.Text(lang, "disclosure.drew_on_none")) + "</p>\n";
  } else {
    std::string rows;
    for (const projections::DrewOn& x : r.entry->drew_on) {
      std::string received;
      for (const projections::InformationEntry& i : r.v->information)
        if (i.seq == x.seq) received = FormatDateTime(i.time);
      rows += "<tr><td>" + Esc(received) + "</td><td>" +
              Esc(x.type.empty() ? t.Text(lang, "disclosure.not_of_case") : t.Text(lang, "event." + x.type)) +
              "</td><td>" + Esc(x.from.empty() ? "" : CodeLabel(lang, "from", x.from)) + "</td><td>" +
              Esc(x.basis.empty() ? "" : t.Text(lang, "basis." + x.basis)) + "</td><td>" +
              Esc(Labels(lang, "categories", x.categories)) + "</td></tr>\n";
    }
    html += Table("disclosure-drew-on", t.Text(lang, "disclosure.drew_on"),
                  {"disclosure.col.received", "disclosure.col.event", "field.from", "field.basis",
                   "field.categories"},
                  rows, lang);
  }
  html += "<h2>" + Esc(t.Text(lang, "disclosure.findings")) + "</h2>\n";
  if (r.entry->findings.empty())
    return html + "<p>" + Esc(t.Text(lang, "disclosure.no_findings")) + "</p>\n";
  std::string rows;
  for (const projections::RegisterFinding& f : r.entry->findings)
    rows += "<tr><th scope=\"row\">" + Esc(CodeLabel(lang, "findings", f.code)) + "</th><td>" +
            Esc(f.rule) + "</td><td>" + Esc(EventAt(lang, r.facts, f.seq)) + "</td></tr>\n";
  return html + Table("disclosure-findings", t.Text(lang, "disclosure.findings"),
                      {"disclosure.col.finding", "disclosure.col.rule", "disclosure.col.about"},
                      rows, lang);
}

// The evidence file to download, and the legal review: the verdict is
// recorded on the case's form with this disclosure chosen.
std::string EvidenceAndVerdict(const DisclosureRead& r, const Session& s) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = r.lang;
  const std::string seq = std::to_string(r.d->seq);
  const std::string base = "/ui/disclosures/" + r.v->case_id + "/" + seq;
  std::string html = "<h2>" + Esc(t.Text(lang, "disclosure.evidence")) + "</h2>\n<p>" +
                     Esc(t.Text(lang, "disclosure.evidence_intro")) +
                     "</p>\n<p><a class=\"button button-secondary\" href=\"" + Esc(base) +
                     "/evidence\" download>" + Esc(t.Text(lang, "disclosure.evidence_download")) +
                     "</a></p>\n";
  html += "<h2>" + Esc(t.Text(lang, "disclosure.verdict")) + "</h2>\n<p>" +
          Esc(t.Text(lang, r.d->reviews.empty() ? "disclosure.verdict_pending" : "disclosure.verdict_given")) +
          "</p>\n";
  const std::vector<SeqChoice> open = SeqChoices(lang, "disclosure.reviewed", "disclosure", *r.v, s.who.user);
  const bool may_review =
      Offerable("disclosure.reviewed", s.who.role, *r.v, s.who.user) &&
      std::any_of(open.begin(), open.end(), [&](const SeqChoice& c) { return c.seq == r.d->seq; });
  if (may_review)
    html += "<p>" + Esc(t.Text(lang, "disclosure.verdict_intro")) +
            "</p>\n<p><a class=\"button button-primary\" href=\"/ui/cases/" + Esc(r.v->case_id) +
            "/record/disclosure.reviewed?disclosure=" + seq + "\">" +
            Esc(t.Text(lang, "disclosure.verdict_record")) + "</a></p>\n";
  return html;
}

HttpResponse EvidenceFile(std::uint64_t seq, std::string text) {
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/jsonl";
  r.body = std::move(text);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"disclosure-" +
                                                    std::to_string(seq) + "-evidence.jsonl\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

void Workspace::AddDisclosureRoutes(http::Router& router) {
  AddPage(router, "/ui/disclosures/{case}/{seq}",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams&) {
            return DisclosurePage(s, p.at("case"), p.at("seq"), false);
          });
  AddPage(router, "/ui/disclosures/{case}/{seq}/evidence",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams&) {
            return DisclosurePage(s, p.at("case"), p.at("seq"), true);
          });
}

HttpResponse Workspace::DisclosurePage(const Session& s, const std::string& case_id,
                                       const std::string& seq_text, bool download) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  const std::string purpose = DisclosurePurpose(s);
  if (purpose.empty()) return ErrorPage(403, lang, &s, "error.forbidden");
  std::uint64_t seq = 0;
  if (!ParseSeq(seq_text, seq)) return ErrorPage(404, lang, &s, "error.not_found");
  auto grant = app::GrantCaseRead(cases_, s.who, case_id, purpose);
  if (!grant.ok()) return CaseReadRefused(s, grant.status());
  DisclosureRead r;
  r.lang = lang;
  r.v = &grant->current.c->view;
  r.d = r.v->FindDisclosure(seq);
  if (r.d == nullptr || r.d->seq != seq) return ErrorPage(404, lang, &s, "error.not_found");
  auto witnessed = app::WitnessedCheckpoint(options_.cosignatures);
  if (!witnessed.ok()) return ErrorPage(503, lang, &s, "error.storage");
  auto evidence = app::MakeDisclosureEvidence(domain_.store(), verifier_, *r.v, seq, *witnessed);
  if (!evidence.ok()) return ErrorPage(503, lang, &s, "error.storage");
  if (download) {
    // Fail closed: the export is recorded before the file leaves.
    if (!app::RecordCaseAccess(domain_.writer(), s.who, case_id, purpose, "access.exported",
                               options_.write_timeout)
             .ok())
      return ErrorPage(503, lang, &s, "error.storage");
    return EvidenceFile(seq, std::move(evidence->text));
  }
  auto history = projections::CaseHistory(domain_.store(), domain_.dbs(), case_id);
  if (!history.ok()) return ErrorPage(503, lang, &s, "error.storage");
  const std::vector<projections::RegisterEntry> entries =
      projections::CaseRegister(*history, options_.clock());
  for (const projections::RegisterEntry& e : entries)
    if (e.disclosure.seq == seq) r.entry = &e;
  if (r.entry == nullptr) return ErrorPage(503, lang, &s, "error.storage");
  auto staff = app::ListStaff(domain_.store(), domain_.dbs(), domain_.keys(),
                              {"caseworker", "coordinator", "legal_reviewer"});
  if (!staff.ok()) return ErrorPage(503, lang, &s, "error.storage");
  for (const app::StaffMember& m : *staff) r.names[m.user] = m.display_name;
  for (const projections::HistoryEntry& h : *history) r.facts[h.fact.seq] = &h.fact;
  r.checks = VerifySteps(evidence->text, evidence->steps, verifier_.ToString());
  // Fail closed: the read is recorded before anything of the case is rendered.
  if (!app::RecordCaseAccess(domain_.writer(), s.who, case_id, purpose, "access.read",
                             options_.write_timeout)
           .ok())
    return ErrorPage(503, lang, &s, "error.storage");
  // Roles that read cases open the case; the auditor and the DPO its audit.
  const std::string case_path =
      (ReadPurpose(s).empty() ? "/ui/audit/cases/" : "/ui/cases/") + case_id;
  const std::string main =
      "<p>" + Esc(t.Text(lang, "disclosure.intro")) + "</p>\n" +
      AlertBox("info", "<p>" + Esc(t.Text(lang, "disclosure.access_recorded")) + "</p>") +
      Summary(r, case_path) + Steps(r) + DrewOnAndFindings(r) + EvidenceAndVerdict(r, s);
  Frame f;
  f.lang = lang;
  f.session = &s;
  f.path = "/ui/disclosures";
  f.title = t.Format(lang, "disclosure.title", {{"recipient", CodeLabel(lang, "recipient", r.d->recipient)}});
  return HtmlResponse(200, RenderPage(f, main));
}

}  // namespace caseledger::web
