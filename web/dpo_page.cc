// The data protection officer's pages (docs/web.md, "The DPO's pages"):
// looking a person up by CPR number (sent in a POST body only, never in a
// URL), the subject-access export viewed and downloaded, erasure with its
// reason and afterwards the Art. 19 list of recipients to tell. Each calls
// the use case of app/subject.h the JSON API calls, and every read of
// personal data is recorded before anything is rendered (fail closed).
// Only subject ids (pseudonyms, s-…) appear in URLs.
#include <string>
#include <vector>

#include "app/case_access.h"
#include "app/concern.h"
#include "app/erasure.h"
#include "app/subject.h"
#include "base/ids.h"
#include "ledger/time.h"
#include "projections/policy.h"
#include "web/event_form.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

constexpr const char* kErasureReasons[] = {"gdpr_art17", "unfounded", "retention"};

bool IsDpo(const Session& s) { return s.who.role == "dpo"; }

// The time of a stored RFC 3339 UTC stamp as dd-mm-åååå hh:mm, local.
std::string LocalStamp(const Json& stamp) {
  if (!stamp.is_string()) return "";
  auto t = ledger::ParseTime(stamp.get<std::string>());
  return t.ok() ? FormatDateTime(*t) : stamp.get<std::string>();
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string SubjectLinks(const Catalogue& t, Lang lang, const std::string& subject) {
  const std::string base = "/ui/subjects/" + Esc(subject);
  return "<ul class=\"nobullet-list\"><li><a href=\"" + base + "/export\">" +
         Esc(t.Text(lang, "dpo.export.view")) + "</a></li><li><a href=\"" + base +
         "/export/download\" download>" + Esc(t.Text(lang, "dpo.export.download")) +
         "</a></li><li><a href=\"" + base + "/erase\">" + Esc(t.Text(lang, "dpo.erase.title")) +
         "</a></li><li><a href=\"" + base + "/notify\">" + Esc(t.Text(lang, "dpo.notify.title")) +
         "</a></li></ul>\n";
}

}  // namespace

void Workspace::AddDpoRoutes(http::Router& router) {
  AddPage(router, "/ui/subjects", [this](const Session& s, const http::PathParams&,
                                         const http::QueryParams&) {
    return LookupForm(s, 200, "");
  });
  AddForm(router, "/ui/subjects/lookup", [this](const Session& s, std::string_view,
                                                const http::PathParams&, const Form& form) {
    return LookupSubject(s, form);
  });
  AddPage(router, "/ui/subjects/{subject}/export",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams&) {
            return ExportPage(s, p.at("subject"), false);
          });
  AddPage(router, "/ui/subjects/{subject}/export/download",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams&) {
            return ExportPage(s, p.at("subject"), true);
          });
  AddPage(router, "/ui/subjects/{subject}/erase",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams&) {
            return ErasureForm(s, p.at("subject"), {}, 200, "");
          });
  AddForm(router, "/ui/subjects/{subject}/erase",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form& form) {
            return Erase(s, p.at("subject"), form);
          });
  AddPage(router, "/ui/subjects/{subject}/notify",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams& q) {
            if (FormValue(q, "told") == "1")
              return NotifyPage(s, p.at("subject"), 200,
                                AlertBox("success", "<p>" + Esc(Catalogue::Builtin().Text(s.lang, "dpo.notify.recorded")) +
                                                        "</p>"));
            return NotifyPage(s, p.at("subject"), 200, "");
          });
  AddForm(router, "/ui/subjects/{subject}/notify",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form& form) {
            return RecordNotified(s, p.at("subject"), form);
          });
  AddPage(router, "/ui/cases/{case}/hold",
          [this](const Session& s, const http::PathParams& p, const http::QueryParams& q) {
            const std::string done = FormValue(q, "done");
            if (done != "set" && done != "released") return HoldPage(s, p.at("case"), {}, 200, "");
            return HoldPage(s, p.at("case"), {}, 200,
                            AlertBox("success", "<p>" + Esc(Catalogue::Builtin().Text(
                                                             s.lang, "dpo.hold.done_" + done)) +
                                                    "</p>"));
          });
  AddForm(router, "/ui/cases/{case}/hold",
          [this](const Session& s, std::string_view, const http::PathParams& p, const Form& form) {
            return SetHold(s, p.at("case"), form);
          });
}

HttpResponse Workspace::LookupForm(const Session& s, int status, const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  // The number is never echoed back: the field is empty on every answer.
  std::string main = alert_html + "<p>" + Esc(t.Text(s.lang, "dpo.lookup.intro")) + "</p>\n" +
                     "<form method=\"post\" action=\"/ui/subjects/lookup\">" + CsrfField(s) +
                     "<div class=\"form-group\"><label class=\"form-label\" for=\"cpr\">" +
                     Esc(t.Text(s.lang, "dpo.lookup.cpr")) + "</label><span class=\"form-hint\" id=\"cpr-hint\">" +
                     Esc(t.Text(s.lang, "dpo.lookup.cpr_hint")) +
                     "</span><input class=\"form-input input-width-s\" type=\"text\" id=\"cpr\" name=\"cpr\" "
                     "autocomplete=\"off\" inputmode=\"numeric\" aria-describedby=\"cpr-hint\"></div>"
                     "<button class=\"button button-primary\" type=\"submit\">" +
                     Esc(t.Text(s.lang, "dpo.lookup.submit")) + "</button></form>\n";
  return SessionPage(status, s, "/ui/subjects", "dpo.lookup.title", main);
}

HttpResponse Workspace::LookupSubject(const Session& s, const Form& form) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  const std::string cpr = FormValue(form, "cpr");
  auto found = app::LookupSubjectByCpr(
      domain_.ledger(), domain_.dbs(), s.who, cpr, [&](const std::string& c) {
        return app::RecordCaseAccess(domain_.writer(), s.who, c, "lookup", "access.read",
                                     options_.write_timeout);
      });
  if (!found.ok()) {
    const StatusCode c = found.status().code();
    if (c == StatusCode::kInvalidArgument)
      return LookupForm(s, 400, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "dpo.lookup.bad_cpr")) + "</p>"));
    if (c == StatusCode::kNotFound)
      return LookupForm(s, 404, AlertBox("info", "<p>" + Esc(t.Text(s.lang, "dpo.lookup.none")) + "</p>"));
    return ErrorPage(503, s.lang, &s, "error.storage");
  }
  std::string rows;
  for (const std::string& id : found->cases) {
    auto snap = cases_.Get(id);
    if (!snap.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
    const projections::CaseView& v = snap->c->view;
    rows += "<tr><th scope=\"row\">" + Esc(id) + "</th><td>" +
            Esc(t.Text(s.lang, "status." + v.status)) + "</td><td>" + Esc(FormatDate(v.opened)) +
            "</td><td>" + Esc(t.Text(s.lang, v.legal_hold ? "dpo.hold.held" : "dpo.hold.not_held")) +
            " <a href=\"/ui/cases/" + Esc(id) + "/hold\">" +
            Esc(t.Format(s.lang, v.legal_hold ? "dpo.hold.release_link" : "dpo.hold.set_link",
                         {{"case", id}})) +
            "</a></td></tr>\n";
  }
  std::string main =
      AlertBox("info", "<p>" + Esc(t.Text(s.lang, "dpo.lookup.recorded")) + "</p>") + "<h2>" +
      Esc(t.Text(s.lang, "dpo.subject")) + "</h2>\n<p><strong class=\"subject-id\">" +
      Esc(found->subject) + "</strong></p>\n" + SubjectLinks(t, s.lang, found->subject) +
      "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
      Esc(t.Text(s.lang, "dpo.lookup.cases")) + "</caption>\n<thead><tr><th scope=\"col\">" +
      Esc(t.Text(s.lang, "cases.col.case")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "cases.col.status")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "cases.col.opened")) + "</th><th scope=\"col\">" +
      Esc(t.Text(s.lang, "dpo.hold.state")) + "</th></tr></thead>\n<tbody>\n" + rows +
      "</tbody></table></div>\n<p><a href=\"/ui/subjects\">" +
      Esc(t.Text(s.lang, "dpo.lookup.again")) + "</a></p>\n";
  return SessionPage(200, s, "/ui/subjects", "dpo.lookup.found_title", main);
}

HttpResponse Workspace::ExportPage(const Session& s, const std::string& subject, bool download) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  auto exported = app::ExportSubject(
      domain_.ledger(), domain_.dbs(), s.who, subject, options_.clock(),
      [&](const std::string& c) {
        return app::RecordCaseAccess(domain_.writer(), s.who, c, "subject_access",
                                     "access.exported", options_.write_timeout);
      });
  if (!exported.ok()) {
    const StatusCode c = exported.status().code();
    if (c == StatusCode::kNotFound || c == StatusCode::kInvalidArgument)
      return ErrorPage(404, s.lang, &s, "error.not_found");
    if (c == StatusCode::kPermissionDenied) return ErrorPage(403, s.lang, &s, "error.forbidden");
    return ErrorPage(503, s.lang, &s, "error.storage");
  }
  if (download) {
    // The JSON the API gives (GET /v1/subjects/{subject}/export), as a file.
    HttpResponse r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = exported->dump(2);
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"subject-access-" + subject + ".json\"");
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }
  const Json& x = *exported;
  std::string main = AlertBox("info", "<p>" + Esc(t.Text(s.lang, "dpo.export.recorded")) + "</p>");
  main += "<p>" + Esc(t.Format(s.lang, "dpo.export.generated",
                               {{"time", LocalStamp(x["generated"])}})) + "</p>\n";
  if (x.contains("erased"))
    main += "<p>" + Esc(t.Format(s.lang, "dpo.export.erased", {{"time", LocalStamp(x["erased"])}})) +
            "</p>\n";
  main += "<p><a class=\"button button-secondary\" href=\"/ui/subjects/" + Esc(subject) +
          "/export/download\" download>" + Esc(t.Text(s.lang, "dpo.export.download")) + "</a></p>\n";
  if (!x["exemptions"].empty()) {
    main += "<h2>" + Esc(t.Text(s.lang, "dpo.export.exemptions")) + "</h2>\n<ul>";
    for (const Json& e : x["exemptions"])
      main += "<li>" + Esc(Str(e, "case")) + " #" + std::to_string(e["seq"].get<std::uint64_t>()) +
              ": " + Esc(t.Text(s.lang, Str(e, "type") == "information.received"
                                          ? "dpo.exemption.pet"
                                          : "dpo.exemption.deferred")) +
              "</li>";
    main += "</ul>\n";
  }
  for (const Json& c : x["cases"]) {
    const std::string id = Str(c, "case");
    main += "<h2>" + Esc(t.Format(s.lang, "dpo.export.case", {{"case", id}})) + "</h2>\n<p>" +
            Esc(t.Text(s.lang, "cases.col.status")) + ": " +
            Esc(t.Text(s.lang, "status." + Str(c["state"], "status"))) + "</p>\n";
    // A region that may scroll sideways is reachable by keyboard (WCAG 2.1.1).
    main += "<div class=\"table--responsive-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"" +
            Esc(t.Format(s.lang, "dpo.export.events", {{"case", id}})) +
            "\"><table class=\"table\"><caption>" +
            Esc(t.Format(s.lang, "dpo.export.events", {{"case", id}})) +
            "</caption>\n<thead><tr><th scope=\"col\">" + Esc(t.Text(s.lang, "case.col.time")) +
            "</th><th scope=\"col\">" + Esc(t.Text(s.lang, "case.col.event")) +
            "</th><th scope=\"col\">" + Esc(t.Text(s.lang, "case.col.role")) +
            "</th><th scope=\"col\">" + Esc(t.Text(s.lang, "dpo.export.content")) +
            "</th></tr></thead>\n<tbody>\n";
    for (const Json& e : c["events"]) {
      std::string content = "<pre class=\"export-data\" tabindex=\"0\">" + Esc(e["h"].dump(1)) + "</pre>";
      if (e.contains("body")) {
        const Json& b = e["body"];
        if (b.is_object() && b.contains("erased"))
          content += "<p>" + Esc(t.Text(s.lang, "dpo.export.body_erased")) + "</p>";
        else
          content += "<pre class=\"export-data\" tabindex=\"0\">" + Esc(b.dump(1)) + "</pre>";
      }
      main += "<tr><td>" + Esc(LocalStamp(e["time"])) + "</td><td>" +
              Esc(t.Text(s.lang, "event." + Str(e, "type"))) + "</td><td>" +
              Esc(t.Text(s.lang, "role." + Str(e, "role"))) + "</td><td>" + content +
              "</td></tr>\n";
    }
    main += "</tbody></table></div>\n";
  }
  main += "<h2>" + Esc(t.Text(s.lang, "dpo.export.disclosures")) + "</h2>\n";
  if (x["disclosures"].empty()) {
    main += "<p>" + Esc(t.Text(s.lang, "dpo.export.no_disclosures")) + "</p>\n";
  } else {
    main += "<ul>";
    for (const Json& d : x["disclosures"])
      main += "<li>" + Esc(Str(d, "case")) + ": " + Esc(CodeLabel(s.lang, "recipient", Str(d, "recipient"))) +
              "</li>";
    main += "</ul>\n";
  }
  main += "<h2>" + Esc(t.Text(s.lang, "dpo.export.accesses")) + "</h2>\n" +
          "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
          Esc(t.Text(s.lang, "dpo.export.accesses")) + "</caption>\n<thead><tr><th scope=\"col\">" +
          Esc(t.Text(s.lang, "case.col.time")) + "</th><th scope=\"col\">" +
          Esc(t.Text(s.lang, "cases.col.case")) + "</th><th scope=\"col\">" +
          Esc(t.Text(s.lang, "case.col.role")) + "</th><th scope=\"col\">" +
          Esc(t.Text(s.lang, "dpo.export.purpose")) + "</th></tr></thead>\n<tbody>\n";
  for (const Json& a : x["accesses"])
    main += "<tr><td>" + Esc(LocalStamp(a["time"])) + "</td><td>" + Esc(Str(a, "case")) +
            "</td><td>" + Esc(t.Text(s.lang, "role." + Str(a, "role"))) + "</td><td>" +
            Esc(t.Text(s.lang, "dpo.purpose." + Str(a, "purpose"))) + "</td></tr>\n";
  main += "</tbody></table></div>\n" + SubjectLinks(t, s.lang, subject);
  return SessionPage(200, s, "/ui/subjects", "dpo.export.title", main);
}

HttpResponse Workspace::ErasureForm(const Session& s, const std::string& subject, const Form& form,
                                    int status, const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  if (!ValidateId(subject, "s", "subject").ok()) return ErrorPage(404, s.lang, &s, "error.not_found");
  const std::string chosen = FormValue(form, "reason");
  std::string radios;
  for (const char* r : kErasureReasons) {
    const std::string id = std::string("reason-") + r;
    radios += "<div class=\"form-group-radio\"><input class=\"form-radio radio-large\" type=\"radio\" "
              "name=\"reason\" id=\"" + id + "\" value=\"" + r + "\"" +
              (chosen == r ? " checked" : "") + "><label class=\"form-label\" for=\"" + id + "\">" +
              Esc(t.Text(s.lang, std::string("dpo.reason.") + r)) + "</label></div>";
  }
  std::string main =
      alert_html + "<p>" + Esc(t.Format(s.lang, "dpo.erase.intro", {{"subject", subject}})) +
      "</p>\n<p>" + Esc(t.Text(s.lang, "dpo.erase.final")) + "</p>\n<form method=\"post\" action=\"/ui/subjects/" +
      Esc(subject) + "/erase\">" + CsrfField(s) +
      "<fieldset><legend class=\"form-label\">" + Esc(t.Text(s.lang, "field.reason")) + "</legend>" +
      radios + "</fieldset><button class=\"button button-primary\" type=\"submit\">" +
      Esc(t.Text(s.lang, "dpo.erase.submit")) + "</button></form>\n";
  return SessionPage(status, s, "/ui/subjects", "dpo.erase.title", main);
}

HttpResponse Workspace::Erase(const Session& s, const std::string& subject, const Form& form) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  const std::string reason = FormValue(form, "reason");
  if (!app::IsErasureReason(reason))
    return ErasureForm(s, subject, form, 400,
                       AlertBox("error", "<p>" + Esc(t.Format(s.lang, "form.required",
                                                           {{"field", t.Text(s.lang, "field.reason")}})) +
                                          "</p>"));
  auto erased = app::EraseSubject(domain_.ledger(), domain_.dbs(), cases_, s.who, subject, reason,
                                  options_.write_timeout);
  if (erased.ok()) return Redirect("/ui/subjects/" + subject + "/notify?erased=1");
  const Status& st = erased.status();
  if (st.code() == StatusCode::kPolicyRefused)
    return ErasureForm(s, subject, form, 422, RefusalAlert(s.lang, st, "dpo.erase.refused", true));
  if (st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  return ErrorPage(503, s.lang, &s, "error.storage");
}

HttpResponse Workspace::NotifyPage(const Session& s, const std::string& subject, int status,
                                   const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  if (!ValidateId(subject, "s", "subject").ok()) return ErrorPage(404, s.lang, &s, "error.not_found");
  auto state = projections::ReadSubject(domain_.store(), domain_.dbs(), subject);
  if (!state.ok() && state.status().code() == StatusCode::kNotFound)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  if (!state.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  auto notices = app::ErasureNotices(domain_.ledger(), domain_.dbs(), cases_, subject, 0);
  if (!notices.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  std::string main;
  if (state->erased)
    main += AlertBox("success", "<p>" + Esc(t.Format(s.lang, "dpo.notify.erased",
                                                  {{"subject", subject},
                                                   {"time", FormatDateTime(*state->erased)}})) +
                                 "</p>");
  else
    main += "<p>" + Esc(t.Text(s.lang, "dpo.notify.not_erased")) + "</p>\n";
  main += "<p>" + Esc(t.Text(s.lang, "dpo.notify.intro")) + "</p>\n";
  if (notices->empty()) {
    main += "<p>" + Esc(t.Text(s.lang, "dpo.notify.none")) + "</p>\n";
  } else {
    main += "<div class=\"table--responsive-scroll\"><table class=\"table\"><caption>" +
            Esc(t.Text(s.lang, "dpo.notify.title")) + "</caption>\n<thead><tr><th scope=\"col\">" +
            Esc(t.Text(s.lang, "cases.col.case")) + "</th><th scope=\"col\">" +
            Esc(t.Text(s.lang, "dpo.notify.recipients")) + "</th></tr></thead>\n<tbody>\n";
    std::string forms;
    for (const app::Art19Notice& n : *notices) {
      std::string who, boxes;
      for (const std::string& r : n.recipients) {
        who += (who.empty() ? "" : ", ") + CodeLabel(s.lang, "recipient", r);
        const std::string id = "n-" + n.case_id + "-" + r;
        boxes += "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
                 Esc(id) + "\" name=\"h.recipients." + Esc(r) + "\"><label class=\"form-label\" for=\"" + Esc(id) +
                 "\">" + Esc(CodeLabel(s.lang, "recipient", r)) + "</label></div>";
      }
      main += "<tr><th scope=\"row\">" + Esc(n.case_id) + "</th><td>" + Esc(who) + "</td></tr>\n";
      // One form per case: the recipients told, about this erasure
      // (`recipients.notified`, to the writer as POST /v1/cases/{case}/events).
      forms += "<form method=\"post\" action=\"/ui/subjects/" + Esc(subject) + "/notify\">" + CsrfField(s) +
               "<input type=\"hidden\" name=\"case\" value=\"" + Esc(n.case_id) +
               "\"><input type=\"hidden\" name=\"h.about\" value=\"" + std::to_string(n.about) +
               "\"><fieldset><legend class=\"form-label\">" +
               Esc(t.Format(s.lang, "dpo.notify.told", {{"case", n.case_id}})) + "</legend>" + boxes +
               "</fieldset><button class=\"button button-secondary\" type=\"submit\">" +
               Esc(t.Text(s.lang, "dpo.notify.record")) + "</button></form>\n";
    }
    main += "</tbody></table></div>\n<p>" + Esc(t.Text(s.lang, "dpo.notify.then")) + "</p>\n" + forms;
  }
  main += "<p><a href=\"/ui/subjects\">" + Esc(t.Text(s.lang, "dpo.lookup.again")) + "</a></p>\n";
  return SessionPage(status, s, "/ui/subjects", "dpo.notify.title", alert_html + main);
}

HttpResponse Workspace::RecordNotified(const Session& s, const std::string& subject, const Form& form) {
  const Catalogue& t = Catalogue::Builtin();
  if (!IsDpo(s)) return ErrorPage(403, s.lang, &s, "error.forbidden");
  const std::string case_id = FormValue(form, "case");
  if (!ValidateId(case_id, "c", "case").ok()) return ErrorPage(404, s.lang, &s, "error.not_found");
  // The case must be one of this person's with an open duty: the page
  // offers no other, and a forged one is not sent.
  auto notices = app::ErasureNotices(domain_.ledger(), domain_.dbs(), cases_, subject, 0);
  if (!notices.ok() && notices.status().code() == StatusCode::kNotFound)
    return ErrorPage(404, s.lang, &s, "error.not_found");
  if (!notices.ok()) return ErrorPage(503, s.lang, &s, "error.storage");
  bool open = false;
  for (const app::Art19Notice& n : *notices) open = open || n.case_id == case_id;
  if (!open) return NotifyPage(s, subject, 409, AlertBox("info", "<p>" + Esc(t.Text(s.lang, "dpo.notify.no_duty")) + "</p>"));
  ParsedEvent parsed = ParseEventForm("recipients.notified", form);
  if (!parsed.ok()) return NotifyPage(s, subject, 400, FormProblemAlert(s.lang, parsed));
  auto appended = AppendCaseEvent(s, case_id, "recipients.notified", std::move(parsed.h), std::nullopt);
  if (appended.ok()) return Redirect("/ui/subjects/" + subject + "/notify?told=1");
  const Status& st = appended.status();
  if (st.code() == StatusCode::kPolicyRefused)
    return NotifyPage(s, subject, 422, RefusalAlert(s.lang, st, "record.refused", false));
  if (st.code() == StatusCode::kInvalidArgument)
    return NotifyPage(s, subject, 400, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "record.invalid")) + "</p>"));
  return ErrorPage(503, s.lang, &s, "error.storage");
}

}  // namespace caseledger::web
