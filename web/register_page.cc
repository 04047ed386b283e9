// The disclosure register in the workspace (docs/web.md, "The disclosure
// register"): every disclosure of the cases the reader may list (ROL-3,
// app::MayList, as GET /v1/disclosures), filtered by period, recipient,
// basis, status and finding, each with what it drew on, its steps and the
// register's automatic findings (projections::ReadRegister) — headers and
// codes only, never a body. The reviewer reads a case from here while one of
// its disclosures awaits review, and records the verdict there.
#include <string>
#include <vector>

#include "app/authz.h"
#include "projections/catalogue.h"
#include "projections/disclosure_register.h"
#include "projections/legal_basis.h"
#include "web/event_form.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

std::string FilterSelect(Lang lang, const std::string& name, const std::string& label_key,
                         const std::vector<std::pair<std::string, std::string>>& options,
                         const std::string& chosen) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<div class=\"form-group\"><label class=\"form-label\" for=\"" + name + "\">" +
                  Esc(t.Text(lang, label_key)) + "</label><select class=\"form-select\" id=\"" + name +
                  "\" name=\"" + name + "\"><option value=\"\">" + Esc(t.Text(lang, "register.any")) +
                  "</option>";
  for (const auto& [value, label] : options)
    s += "<option value=\"" + Esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" +
         Esc(label) + "</option>";
  return s + "</select></div>\n";
}

std::string DateInput(Lang lang, const std::string& name, const std::string& label_key,
                      const std::string& typed) {
  const Catalogue& t = Catalogue::Builtin();
  return "<div class=\"form-group\"><label class=\"form-label\" for=\"" + name + "\">" +
         Esc(t.Text(lang, label_key)) +
         "</label><input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" id=\"" +
         name + "\" name=\"" + name + "\" value=\"" + Esc(typed) + "\"></div>\n";
}

std::string Labels(Lang lang, const std::string& field, const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) out += (out.empty() ? "" : ", ") + CodeLabel(lang, field, c);
  return out;
}

}  // namespace

HttpResponse Workspace::Register(const Session& s, const http::QueryParams& q) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  if (s.who.role == "caseworker") return ErrorPage(403, lang, &s, "error.forbidden");
  const ledger::Micros now = options_.clock();
  projections::RegisterFilter filter;
  std::string alert;
  for (const char* bound : {"from", "to"}) {
    const std::string typed = FormValue(q, bound);
    if (typed.empty()) continue;
    Result<LocalDate> d = ParseDate(typed);
    if (!d.ok()) {
      alert = "<div class=\"alert alert-error\" role=\"alert\"><p>" +
              Esc(t.Text(lang, "register.bad_date")) + "</p></div>\n";
      continue;
    }
    // [from, to): from the start of the first day to the end of the last.
    if (std::string(bound) == "from") {
      filter.from = StartOfLocalDay(*d);
    } else {
      filter.to = EndOfLocalDay(*d) + 1;
    }
  }
  filter.recipient = FormValue(q, "recipient");
  filter.basis = FormValue(q, "basis");
  filter.status = FormValue(q, "status");
  filter.finding = FormValue(q, "finding");
  auto entries = projections::ReadRegister(
      domain_.store(), domain_.dbs(), now,
      [&](const projections::CaseView& v) { return app::MayList(s.who, v); });
  if (!entries.ok()) return ErrorPage(503, lang, &s, "error.storage");

  std::vector<std::pair<std::string, std::string>> recipients, bases, statuses, findings;
  for (std::string_view r : projections::HeaderCodes("disclosure.requested", "recipient"))
    recipients.emplace_back(std::string(r), CodeLabel(lang, "recipient", r));
  for (const projections::LegalBasis& b : projections::Registry())
    bases.emplace_back(std::string(b.code), t.Text(lang, "basis." + std::string(b.code)));
  for (const char* st : {"requested", "approved", "rejected", "made", "reviewed"})
    statuses.emplace_back(st, t.Text(lang, std::string("disclosure_status.") + st));
  for (const projections::RegisterCheck& c : projections::RegisterChecks())
    findings.emplace_back(std::string(c.code), CodeLabel(lang, "findings", c.code));

  std::string main = alert + "<p>" + Esc(t.Text(lang, "register.intro")) + "</p>\n" +
                     "<form method=\"get\" action=\"/ui/disclosures\" class=\"register-filter\">" +
                     DateInput(lang, "from", "register.from", FormValue(q, "from")) +
                     DateInput(lang, "to", "register.to", FormValue(q, "to")) +
                     FilterSelect(lang, "recipient", "field.recipient", recipients, filter.recipient) +
                     FilterSelect(lang, "basis", "field.basis", bases, filter.basis) +
                     FilterSelect(lang, "status", "register.status", statuses, filter.status) +
                     FilterSelect(lang, "finding", "register.finding", findings, filter.finding) +
                     "<button class=\"button button-secondary\" type=\"submit\">" +
                     Esc(t.Text(lang, "register.filter")) + "</button></form>\n";
  const bool reads_cases = !ReadPurpose(s).empty();
  std::string rows;
  int shown = 0, with_findings = 0;
  for (const projections::RegisterEntry& e : *entries) {
    if (!filter.Matches(e)) continue;
    ++shown;
    const projections::Disclosure& d = e.disclosure;
    std::vector<std::string> codes;
    for (const projections::RegisterFinding& f : e.findings) codes.push_back(f.code);
    if (!codes.empty()) ++with_findings;
    const std::string short_id = e.case_id.substr(0, std::min<std::size_t>(e.case_id.size(), 10));
    const std::string case_cell =
        reads_cases ? "<a href=\"/ui/cases/" + Esc(e.case_id) + "\">" + Esc(short_id) + "</a>"
                    : Esc(short_id);
    // The date leads to the disclosure's own page (web/disclosure_page.cc).
    const std::string filed = FormatDate(e.time());
    rows += "<tr><td><a href=\"/ui/disclosures/" + Esc(e.case_id) + "/" + std::to_string(d.seq) +
            "\" title=\"" + Esc(t.Format(lang, "disclosure.open", {{"date", filed}})) + "\">" +
            Esc(filed) + "</a></td><td>" + case_cell + "</td><td>" +
            Esc(CodeLabel(lang, "recipient", d.recipient)) + "</td><td>" +
            Esc(t.Text(lang, "basis." + d.basis)) + "</td><td>" +
            Esc(Labels(lang, "categories", d.categories)) + "</td><td>" +
            Esc(t.Text(lang, "disclosure_status." + d.status)) + "</td><td>" +
            Esc(codes.empty() ? t.Text(lang, "register.no_findings") : Labels(lang, "findings", codes)) +
            "</td></tr>\n";
  }
  main += "<p role=\"status\">" +
          Esc(t.Format(lang, "register.count", {{"n", std::to_string(shown)},
                                                {"findings", std::to_string(with_findings)}})) +
          "</p>\n";
  if (shown > 0) {
    main += "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
            Esc(t.Text(lang, "register.title")) + "</caption><thead><tr>";
    for (const char* col : {"register.col.filed", "register.col.case", "field.recipient", "field.basis",
                            "field.categories", "register.status", "field.findings"})
      main += "<th scope=\"col\">" + Esc(t.Text(lang, col)) + "</th>";
    main += "</tr></thead><tbody>\n" + rows + "</tbody></table></div>\n";
  }
  return SessionPage(200, s, "/ui/disclosures", "register.title", main);
}

}  // namespace caseledger::web
