// The auditor's pages (docs/web.md, "The auditor's pages"): the compliance
// audit of GET /v1/audit (app::BuildAudit, the same report) as one page with
// a section per part — integrity, flags, refusals, headers, erasures,
// retention, the 24-hour response — each flag and refusal with the
// pseudonymous ids of the cases it concerns; the drill-down to one case (its
// flags, and its events' headers and verification: metadata only, never a
// body, as the auditor's need to know, projections::WidestAccess); and the
// audit bundle (app::BuildAuditBundleTar) to download. Auditors and the DPO,
// as the API.
#include <string>

#include "app/audit.h"
#include "app/audit_bundle.h"
#include "app/case_access.h"
#include "app/history.h"
#include "projections/flags.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

bool MayAudit(const Session& s) { return s.who.role == "auditor" || s.who.role == "dpo"; }

std::string N(const Json& j) {
  if (j.is_number_unsigned()) return std::to_string(j.get<std::uint64_t>());
  if (j.is_number_integer()) return std::to_string(j.get<std::int64_t>());
  if (j.is_array()) return std::to_string(j.size());
  return "0";
}

// The text member `key` of `j` ("" if absent or not text).
std::string S(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// dd-mm-åååå of a stored UTC time ("" if it does not parse).
std::string Day(const Json& time) {
  if (!time.is_string()) return "";
  auto t = ledger::ParseTime(time.get<std::string>());
  return t.ok() ? FormatDate(*t) : "";
}

std::string CaseLink(const std::string& case_id) {
  return "<a href=\"/ui/audit/cases/" + Esc(case_id) + "\">" + Esc(case_id) + "</a>";
}

std::string Th(Lang lang, std::string_view key) {
  return "<th scope=\"col\">" + Esc(Catalogue::Builtin().Text(lang, key)) + "</th>";
}

std::string TableStart(Lang lang, const std::string& id, const std::string& caption,
                       std::initializer_list<std::string_view> cols) {
  std::string s = "<div class=\"table--responsive-scroll\"><table class=\"table\" id=\"" + id +
                  "\"><caption>" + Esc(caption) + "</caption><thead><tr>";
  for (std::string_view c : cols) s += Th(lang, c);
  (void)lang;
  return s + "</tr></thead><tbody>\n";
}

constexpr std::string_view kTableEnd = "</tbody></table></div>\n";

// Key figures as a definition-like table of two columns.
std::string Figures(Lang lang, const std::string& id, const std::string& caption,
                    const std::vector<std::pair<std::string_view, std::string>>& rows) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<div class=\"table--responsive-scroll\"><table class=\"table\" id=\"" + id +
                  "\"><caption>" + Esc(caption) + "</caption><tbody>\n";
  for (const auto& [key, value] : rows)
    s += "<tr><th scope=\"row\">" + Esc(t.Text(lang, key)) + "</th><td>" + Esc(value) + "</td></tr>\n";
  return s + std::string(kTableEnd);
}

std::string Alert(std::string_view kind, const std::string& text) {
  return "<div class=\"alert alert-" + std::string(kind) + "\" role=\"status\"><p>" + Esc(text) +
         "</p></div>\n";
}

// The witnessed state (integrity.witnessing of the audit; docs/witnessing.md).
std::string WitnessState(Lang lang, const Json& in) {
  const Catalogue& t = Catalogue::Builtin();
  std::string out = "<h3 id=\"witnesses\">" + Esc(t.Text(lang, "audit.witness.title")) +
                    "</h3>\n<p>" + Esc(t.Text(lang, "audit.witness.intro")) + "</p>\n";
  if (!in.contains("witnessing")) return out + Alert("info", t.Text(lang, "audit.witness.none"));
  const Json& w = in["witnessing"];
  if (w.contains("problem")) return out + Alert("error", t.Text(lang, "audit.witness.problem"));
  if (w["flag"].is_null()) {
    out += Alert("success", t.Format(lang, "audit.witness.ok",
                                     {{"quorum", N(w["quorum"])},
                                      {"witnesses", std::to_string(w["witnesses"].size())}}));
  } else {
    out += "<div class=\"alert alert-error\" role=\"alert\"><p>" +
           Esc(t.Format(lang, "audit.witness.flag",
                        {{"events", N(w["unwitnessed_events"])},
                         {"since", S(w, "unwitnessed_since")},
                         {"alarm", N(w["alarm_seconds"])}})) +
           "</p></div>\n";
  }
  std::string by;
  for (const Json& n : w["witnessed_by"]) by += (by.empty() ? "" : ", ") + n.get<std::string>();
  return out + Figures(lang, "witness-figures", t.Text(lang, "audit.witness.title"),
                       {{"audit.witness.quorum",
                         N(w["quorum"]) + " / " + std::to_string(w["witnesses"].size())},
                        {"audit.witness.witnessed_size", N(w["witnessed_size"])},
                        {"audit.witness.witnessed_by", by.empty() ? "—" : by},
                        {"audit.witness.unwitnessed", N(w["unwitnessed_events"])}});
}

}  // namespace

HttpResponse Workspace::AuditPage(const Session& s) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  if (!MayAudit(s)) return ErrorPage(403, lang, &s, "error.forbidden");
  auto erasures = domain_.keys().Erasures();
  if (!erasures.ok()) return ErrorPage(503, lang, &s, "error.storage");
  app::AuditOptions o;
  o.now = options_.clock();
  o.witnessing = options_.witness_config;
  o.cosignatures = options_.cosignatures;
  auto report = app::BuildAudit(domain_.store(), verifier_, *erasures, domain_.dbs(), o);
  if (!report.ok()) return ErrorPage(503, lang, &s, "error.storage");
  const Json& r = *report;

  std::string main = "<p>" + Esc(t.Text(lang, "audit.intro")) + "</p>\n";
  main += "<p><a class=\"button button-secondary\" href=\"/ui/audit/bundle\" download>" +
          Esc(t.Text(lang, "audit.bundle.download")) + "</a> " +
          Esc(t.Text(lang, "audit.bundle.hint")) + "</p>\n";
  main += "<nav aria-label=\"" + Esc(t.Text(lang, "audit.sections")) + "\"><ul>";
  for (const char* sec : {"integrity", "flags", "refusals", "headers", "erasures", "retention",
                          "response-24h"})
    main += "<li><a href=\"#" + std::string(sec) + "\">" +
            Esc(t.Text(lang, "audit.section." + std::string(sec))) + "</a></li>";
  main += "</ul></nav>\n";

  // Integrity.
  const Json& in = r["integrity"];
  const bool verified = in.value("verified", false);
  main += "<section id=\"integrity\"><h2>" + Esc(t.Text(lang, "audit.section.integrity")) + "</h2>\n";
  if (verified) {
    main += Alert("success", t.Format(lang, "audit.integrity.verified",
                                      {{"events", N(in["events_verified"])},
                                       {"checkpoints", N(in["checkpoints_verified"])}}));
  } else {
    main += "<div class=\"alert alert-error\" role=\"alert\"><p>" +
            Esc(t.Format(lang, "audit.integrity.broken", {{"seq", N(in["first_bad_seq"])}})) +
            "</p></div>\n";
  }
  std::vector<std::pair<std::string_view, std::string>> rows = {
      {"audit.integrity.log_size", N(in["log_size"])},
      {"audit.integrity.events", N(in["events_verified"])},
      {"audit.integrity.checkpoints", N(in["checkpoints_verified"])}};
  if (in.contains("latest_checkpoint")) {
    rows.emplace_back("audit.integrity.checkpoint_size", N(in["latest_checkpoint"]["size"]));
    rows.emplace_back("audit.integrity.checkpoint_root",
                      S(in["latest_checkpoint"], "root"));
  }
  main += Figures(lang, "integrity-figures", t.Text(lang, "audit.section.integrity"), rows);
  main += WitnessState(lang, in) + "</section>\n";

  // Flags: a summary, then per (flag, kind) the cases (subjects, users) concerned.
  main += "<section id=\"flags\"><h2>" + Esc(t.Text(lang, "audit.section.flags")) + "</h2>\n<p>" +
          Esc(t.Text(lang, "audit.flags.intro")) + "</p>\n";
  main += TableStart(lang, "flags-summary", t.Text(lang, "audit.flags.summary"),
                     {"audit.col.flag", "audit.col.kind", "audit.col.count"});
  for (const Json& f : r["flags"])
    main += "<tr><td>" + Esc(S(f, "flag")) + "</td><td>" +
            Esc(t.Text(lang, "audit.kind." + S(f, "kind"))) + "</td><td>" +
            N(f["count"]) + "</td></tr>\n";
  main += kTableEnd;
  for (const Json& f : r["flags"]) {
    if (f.value("count", std::uint64_t{0}) == 0) continue;
    const std::string flag = S(f, "flag");
    const std::string kind = S(f, "kind");
    const std::string caption = flag + ": " + t.Text(lang, "audit.kind." + kind);
    const std::string id = "flag-" + flag + "-" + kind;
    if (f.contains("cases")) {
      main += TableStart(lang, id, caption, {"audit.col.case", "audit.col.seq", "audit.col.due"});
      for (const Json& c : f["cases"])
        main += "<tr><td>" + CaseLink(S(c, "case")) + "</td><td>" + N(c["seq"]) +
                "</td><td>" + Esc(Day(c["due"])) + "</td></tr>\n";
      main += kTableEnd;
    } else if (f.contains("subjects")) {
      main += TableStart(lang, id, caption, {"audit.col.subject", "audit.col.due"});
      for (const Json& c : f["subjects"])
        main += "<tr><td>" + Esc(S(c, "subject")) + "</td><td>" +
                Esc(Day(c["due"])) + "</td></tr>\n";
      main += kTableEnd;
    } else if (f.contains("users")) {
      main += TableStart(lang, id, caption,
                         {"audit.col.user", "audit.col.role", "audit.col.finding", "audit.col.count",
                          "audit.col.month"});
      for (const Json& u : f["users"])
        main += "<tr><td>" + Esc(S(u, "user")) + "</td><td>" +
                Esc(t.Text(lang, "role." + S(u, "role"))) + "</td><td>" +
                Esc(t.Text(lang, "audit.access." + S(u, "kind"))) + "</td><td>" +
                N(u["count"]) + "</td><td>" + Esc(S(u, "month")) + "</td></tr>\n";
      main += kTableEnd;
    }
  }
  main += "</section>\n";

  // Refusals: by rule, by user, and the cases they were on.
  const Json& rf = r["refusals"];
  main += "<section id=\"refusals\"><h2>" + Esc(t.Text(lang, "audit.section.refusals")) +
          "</h2>\n<p>" + Esc(t.Format(lang, "audit.refusals.total", {{"n", N(rf["total"])}})) +
          "</p>\n";
  if (!rf["by_rule"].empty()) {
    main += TableStart(lang, "refusals-by-rule", t.Text(lang, "audit.refusals.by_rule"),
                       {"audit.col.rule", "audit.col.count"});
    for (const auto& [rule, n] : rf["by_rule"].items())
      main += "<tr><td>" + Esc(rule) + "</td><td>" + N(n) + "</td></tr>\n";
    main += kTableEnd;
    main += TableStart(lang, "refusals-by-user", t.Text(lang, "audit.refusals.by_user"),
                       {"audit.col.user", "audit.col.count"});
    for (const Json& u : rf["by_user"])
      main += "<tr><td>" + Esc(S(u, "user")) + "</td><td>" + N(u["refusals"]) +
              "</td></tr>\n";
    main += kTableEnd;
  }
  if (rf.contains("cases") && !rf["cases"].empty()) {
    main += TableStart(lang, "refusals-cases", t.Text(lang, "audit.refusals.cases"),
                       {"audit.col.case", "audit.col.seq", "audit.col.rule"});
    for (const Json& c : rf["cases"])
      main += "<tr><td>" + CaseLink(S(c, "case")) + "</td><td>" + N(c["seq"]) +
              "</td><td>" + Esc(S(c, "rule")) + "</td></tr>\n";
    main += kTableEnd;
    if (rf.value("cases_more", std::uint64_t{0}) > 0)
      main += "<p>" + Esc(t.Format(lang, "audit.more", {{"n", N(rf["cases_more"])}})) + "</p>\n";
  }
  main += "</section>\n";

  // Stored clear headers that today's schema refuses: counts and seqs only.
  const Json& hd = r["headers"];
  main += "<section id=\"headers\"><h2>" + Esc(t.Text(lang, "audit.section.headers")) + "</h2>\n" +
          Figures(lang, "headers-figures", t.Text(lang, "audit.section.headers"),
                  {{"audit.headers.checked", N(hd["checked"])},
                   {"audit.headers.failing", N(hd["failing"])},
                   {"audit.headers.rule_breaking", N(hd["rule_breaking"]["count"])}}) +
          "</section>\n";

  // Erasures.
  const Json& er = r["erasures"];
  const bool key_live = !er["erased_but_key_live"].empty();
  main += "<section id=\"erasures\"><h2>" + Esc(t.Text(lang, "audit.section.erasures")) + "</h2>\n";
  if (key_live)
    main += "<div class=\"alert alert-error\" role=\"alert\"><p>" +
            Esc(t.Format(lang, "audit.erasures.key_live", {{"n", N(er["erased_but_key_live"])}})) +
            "</p></div>\n";
  main += Figures(lang, "erasures-figures", t.Text(lang, "audit.section.erasures"),
                  {{"audit.erasures.erased", N(er["erased_subjects"])},
                   {"audit.erasures.keys_destroyed", N(er["keys_destroyed"])},
                   {"audit.erasures.made_final", N(er["made_final"])},
                   {"audit.erasures.pending", N(er["pending"])},
                   {"audit.erasures.key_live_count", N(er["erased_but_key_live"])}}) +
          "</section>\n";

  // Retention.
  const Json& rt = r["retention"];
  main += "<section id=\"retention\"><h2>" + Esc(t.Text(lang, "audit.section.retention")) + "</h2>\n" +
          Figures(lang, "retention-figures", t.Text(lang, "audit.section.retention"),
                  {{"audit.retention.unfounded_days", N(rt["policy"]["unfounded_days"])},
                   {"audit.retention.closed_years", N(rt["policy"]["closed_years"])},
                   {"audit.retention.due", N(rt["due"])},
                   {"audit.retention.held", N(rt["held"])},
                   {"audit.retention.soon", N(rt["due_within_30_days"])}}) +
          "</section>\n";

  // The 24-hour response.
  const Json& rs = r["response_24h"];
  main += "<section id=\"response-24h\"><h2>" + Esc(t.Text(lang, "audit.section.response-24h")) +
          "</h2>\n" +
          Figures(lang, "response-figures", t.Text(lang, "audit.section.response-24h"),
                  {{"audit.response.due", N(rs["concerns_due"])},
                   {"audit.response.within", N(rs["within_24h"])},
                   {"audit.response.percent", S(rs, "percent").empty() ? "–" : S(rs, "percent")},
                   {"audit.response.goal", t.Text(lang, "audit.response.goal_text")}}) +
          "</section>\n";
  return SessionPage(200, s, "/ui/audit", "audit.title", main);
}

HttpResponse Workspace::AuditCase(const Session& s, const std::string& case_id) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  if (!MayAudit(s)) return ErrorPage(403, lang, &s, "error.forbidden");
  auto grant = app::GrantCaseRead(cases_, s.who, case_id, "audit");
  if (!grant.ok()) return CaseReadRefused(s, grant.status());
  // Fail closed: the access record is durable before anything is rendered.
  if (!app::RecordCaseAccess(domain_.writer(), s.who, case_id, "audit", "access.read",
                             options_.write_timeout)
           .ok())
    return ErrorPage(503, lang, &s, "error.storage");
  const ledger::Micros now = options_.clock();
  const projections::CaseView& v = grant->current.c->view;
  auto doc = app::BuildCaseHistory(domain_.store(), verifier_, domain_.dbs(), case_id, now);
  if (!doc.ok()) return ErrorPage(503, lang, &s, "error.storage");

  std::string main = "<p><a href=\"/ui/audit#flags\">" + Esc(t.Text(lang, "audit.case.back")) +
                     "</a></p>\n<p>" + Esc(t.Text(lang, "audit.case.intro")) + "</p>\n";
  main += Figures(lang, "case-figures", t.Format(lang, "audit.case.caption", {{"case", case_id}}),
                  {{"audit.col.case", case_id},
                   {"case.status", t.Text(lang, "status." + v.status)},
                   {"case.opened", FormatDate(v.opened)}});
  const std::vector<projections::CaseFlag> flags = projections::CaseFlags(v, now);
  main += "<h2>" + Esc(t.Text(lang, "audit.case.flags")) + "</h2>\n";
  if (flags.empty()) {
    main += "<p>" + Esc(t.Text(lang, "audit.case.no_flags")) + "</p>\n";
  } else {
    main += TableStart(lang, "case-flags", t.Text(lang, "audit.case.flags"),
                       {"audit.col.flag", "audit.col.kind", "audit.col.seq", "audit.col.due"});
    for (const projections::CaseFlag& f : flags)
      main += "<tr><td>" + Esc(f.flag) + "</td><td>" +
              Esc(t.Text(lang, "audit.kind." + std::string(f.kind))) + "</td><td>" +
              std::to_string(f.seq) + "</td><td>" + Esc(FormatDate(f.due)) + "</td></tr>\n";
    main += kTableEnd;
  }
  main += "<h2>" + Esc(t.Text(lang, "audit.case.events")) + "</h2>\n";
  main += TableStart(lang, "case-events", t.Text(lang, "audit.case.events"),
                     {"audit.col.seq", "case.col.time", "case.col.event", "case.col.role",
                      "case.col.verified"});
  int bad = 0, shown = 0;
  for (const Json& e : (*doc)["entries"]) {
    ++shown;
    const Json& ver = e["verification"];
    const bool ok = ver.value("signature_valid", false) && ver.value("included", false);
    if (!ok) ++bad;
    auto time = ledger::ParseTime(S(e, "time"));
    main += "<tr><td>" + N(e["seq"]) + "</td><td>" + Esc(time.ok() ? FormatDateTime(*time) : "") +
            "</td><td>" + Esc(t.Text(lang, "event." + S(e, "type"))) + "</td><td>" +
            Esc(t.Text(lang, "role." + S(e, "role"))) + "</td><td>" +
            Esc(t.Text(lang, ok ? "case.verified" : "case.not_verified")) + "</td></tr>\n";
  }
  main += kTableEnd;
  const std::string n = std::to_string(shown), nbad = std::to_string(bad);
  main += "<p>" +
          Esc(t.Format(lang, bad == 0 ? "case.all_verified" : "case.some_unverified",
                       {{"n", n}, {"bad", nbad}})) +
          "</p>\n<p>" + Esc(t.Text(lang, "audit.case.no_body")) + "</p>\n";
  return SessionPage(200, s, "/ui/audit", "audit.case.title", main);
}

HttpResponse Workspace::AuditBundle(const Session& s) {
  if (!MayAudit(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto bundle = app::BuildAuditBundleTar(domain_.store(), verifier_.ToString(), options_.cosignatures);
  if (!bundle.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  HttpResponse r;
  r.content_type = std::string(app::kTarContentType);
  r.body = std::move(bundle->tar);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"" + bundle->folder + ".tar\"");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace caseledger::web
