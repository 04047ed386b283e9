#include "app/subject_export.h"

#include <set>
#include <sstream>

#include "base/ids.h"
#include "app/event_json.h"
#include "app/html.h"
#include "ledger/event.h"

namespace caseledger::app {

namespace {


// Replaces every case id in `j` that is not one of `own` (a ground citing
// another subject's case) by a marker.
void WithholdOtherCases(Json& j, const std::set<std::string>& own) {
  if (j.is_object() || j.is_array()) {
    for (auto& x : j) WithholdOtherCases(x, own);
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (ValidateId(s, "c", "case").ok() && !own.contains(s))
      j = "withheld: a case of another person";
  }
}

std::string Str(const Json& h, const char* k) {
  auto it = h.find(k);
  return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<Json> BuildSubjectExport(ledger::LogStore& log, ledger::Keystore& keys,
                                const projections::ProjectionDbs& dbs, const std::string& subject,
                                const projections::SubjectState& s, ledger::Micros now) {
  const std::set<std::string> own(s.cases.begin(), s.cases.end());
  Json cases = Json::array(), disclosures = Json::array(), accesses = Json::array(),
       exemptions = Json::array();
  CL_ASSIGN_OR_RETURN(auto txn, log.Read());
  for (const std::string& case_id : s.cases) {
    CL_ASSIGN_OR_RETURN(projections::CaseSnapshot snap, projections::ReadCase(log, dbs, case_id));
    const projections::CaseView& view = snap.state.View();
    Json state = view.ToJson();
    WithholdOtherCases(state, own);
    for (Json d : state["disclosures"]) {
      d["case"] = case_id;
      disclosures.push_back(std::move(d));
    }
    CL_ASSIGN_OR_RETURN(auto history, projections::CaseHistory(log, dbs, case_id));
    Json events = Json::array();
    for (const projections::HistoryEntry& e : history) {
      Json o = HistoryEntryJson(e);
      WithholdOtherCases(o["h"], own);
      CL_ASSIGN_OR_RETURN(std::string line, ledger::ReadEventLine(txn, log, e.fact.seq));
      CL_ASSIGN_OR_RETURN(ledger::Event event, ledger::DecodeEvent(line));
      if (event.body) {
        CL_ASSIGN_OR_RETURN(Json body, ReadableBody(event, keys, view.erased));
        WithholdOtherCases(body, own);
        o["body"] = std::move(body);
      }
      std::string exemption;
      if (e.fact.type == "information.received" && Str(e.fact.h, "from") == "pet")
        exemption = "information from PET (the security service): the subject's access to it may "
                    "be restricted by law; for the DPO to decide before release";
      if (e.fact.type == "subject.information_deferred")
        exemption = "informing the subject was deferred (basis " + Str(e.fact.h, "basis") +
                    ", review on " + Str(e.fact.h, "review_on") +
                    "): for the DPO to weigh before release";
      if (!exemption.empty()) {
        o["exemption"] = exemption;
        exemptions.push_back({{"case", case_id}, {"seq", e.fact.seq}, {"type", e.fact.type},
                              {"ground", exemption}});
      }
      if (e.fact.type == "access.read" || e.fact.type == "access.exported") {
        accesses.push_back({{"case", case_id},
                            {"seq", e.fact.seq},
                            {"time", ledger::FormatTime(e.fact.time)},
                            {"type", e.fact.type},
                            {"actor", e.fact.actor},
                            {"role", e.fact.role},
                            {"purpose", Str(e.fact.h, "purpose")}});
      }
      events.push_back(std::move(o));
    }
    cases.push_back({{"case", case_id}, {"state", std::move(state)}, {"events", std::move(events)}});
  }
  Json out{{"subject", subject},
           {"generated", ledger::FormatTime(now)},
           {"cases", std::move(cases)},
           {"disclosures", std::move(disclosures)},
           {"accesses", std::move(accesses)},
           {"exemptions", std::move(exemptions)}};
  if (s.erased) out["erased"] = ledger::FormatTime(*s.erased);
  return out;
}

namespace {

// The one HTML escape of the reports (app/html.h).
std::string Esc(std::string_view s) { return HtmlEscape(s); }

std::string Text(const Json& j) {
  if (j.is_string()) return Esc(j.get<std::string>());
  if (j.is_null()) return "";
  return Esc(j.dump());
}

// A JSON object or value as a nested definition list.
void Value(std::ostringstream& o, const Json& j) {
  if (j.is_object()) {
    o << "<dl>";
    for (auto it = j.begin(); it != j.end(); ++it) {
      o << "<dt>" << Esc(it.key()) << "</dt><dd>";
      Value(o, it.value());
      o << "</dd>";
    }
    o << "</dl>";
  } else if (j.is_array()) {
    o << "<ul>";
    for (const Json& x : j) {
      o << "<li>";
      Value(o, x);
      o << "</li>";
    }
    o << "</ul>";
  } else {
    o << Text(j);
  }
}

}  // namespace

std::string SubjectExportHtml(const Json& x) {
  std::ostringstream o;
  const std::string subject = x.value("subject", "");
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>Subject access export " << Esc(subject) << "</title><style>"
    << "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
    << "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.25rem;"
    << "vertical-align:top;text-align:left}dl{margin:0}dt{font-weight:bold}dd{margin-left:1rem}"
    << ".exempt{background:#fff3cd}.erased{color:#777}</style></head><body>\n";
  o << "<h1>Subject access export</h1>\n<p>Subject <code>" << Esc(subject)
    << "</code>, generated " << Text(x["generated"]) << ".";
  if (x.contains("erased")) o << " <strong>Erased on " << Text(x["erased"]) << "</strong>.";
  o << "</p>\n";
  if (!x["exemptions"].empty()) {
    o << "<h2>Exemptions (marked, not removed)</h2>\n<ul>";
    for (const Json& e : x["exemptions"])
      o << "<li class=\"exempt\">Case <code>" << Text(e["case"]) << "</code>, event " << Text(e["seq"])
        << " (" << Text(e["type"]) << "): " << Text(e["ground"]) << "</li>";
    o << "</ul>\n";
  }
  o << "<h2>Disclosures</h2>\n<table><tr><th>case</th><th>requested</th><th>recipient</th>"
    << "<th>basis</th><th>status</th><th>categories</th></tr>";
  for (const Json& d : x["disclosures"])
    o << "<tr><td><code>" << Text(d["case"]) << "</code></td><td>" << Text(d["time"]) << "</td><td>"
      << Text(d["recipient"]) << "</td><td>" << Text(d["basis"]) << " (registry "
      << Text(d["registry_version"]) << ")</td><td>" << Text(d["status"]) << "</td><td>"
      << Text(d["categories"]) << "</td></tr>";
  o << "</table>\n<h2>Accesses</h2>\n<table><tr><th>time</th><th>case</th><th>who</th><th>role</th>"
    << "<th>purpose</th><th>kind</th></tr>";
  for (const Json& a : x["accesses"])
    o << "<tr><td>" << Text(a["time"]) << "</td><td><code>" << Text(a["case"]) << "</code></td><td>"
      << Text(a["actor"]) << "</td><td>" << Text(a["role"]) << "</td><td>" << Text(a["purpose"])
      << "</td><td>" << Text(a["type"]) << "</td></tr>";
  o << "</table>\n";
  for (const Json& c : x["cases"]) {
    o << "<h2>Case <code>" << Text(c["case"]) << "</code></h2>\n<h3>Current state</h3>\n";
    Value(o, c["state"]);
    o << "<h3>Events</h3>\n<table><tr><th>seq</th><th>time</th><th>event</th><th>by</th>"
      << "<th>header</th><th>content</th></tr>";
    for (const Json& e : c["events"]) {
      const bool exempt = e.contains("exemption");
      o << "<tr" << (exempt ? " class=\"exempt\"" : "") << "><td>" << Text(e["seq"]) << "</td><td>"
        << Text(e["time"]) << "</td><td>" << Text(e["type"]);
      if (exempt) o << "<br><em>Exemption: " << Text(e["exemption"]) << "</em>";
      o << "</td><td>" << Text(e["actor"]) << " (" << Text(e["role"]) << ")</td><td>";
      Value(o, e["h"]);
      o << "</td><td>";
      if (e.contains("body")) {
        if (e["body"].contains("erased")) {
          o << "<span class=\"erased\">erased";
          if (e["body"].contains("erased_at")) o << " on " << Text(e["body"]["erased_at"]);
          o << "; cannot be read again</span>";
        } else {
          Value(o, e["body"]);
        }
      }
      o << "</td></tr>";
    }
    o << "</table>\n";
  }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace caseledger::app
