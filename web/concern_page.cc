// The concern form of the workspace (docs/web.md, "Report a concern"): the
// grounds are picked only from the behaviour codes, each with the date it was
// observed; protected characteristics can be noted only as context, in their
// own fieldset marked "can never be a ground". A refusal is shown in plain
// language with its rule id and what would make the concern lawful; the
// writer has stored nothing but the refusal record.
#include <cstdio>
#include <string>
#include <utility>

#include "app/concern.h"
#include "projections/catalogue.h"
#include "projections/vocabulary.h"
#include "web/local_time.h"
#include "web/workspace.h"

namespace caseledger::web {

using http::HttpResponse;

namespace {

// A <select> of the closed codes of concern.reported's header field.
std::string CodeSelect(Lang lang, const std::string& field, const std::string& label_key,
                       const std::string& chosen) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<div class=\"form-group\"><label class=\"form-label\" for=\"" + field + "\">" +
                  Esc(t.Text(lang, label_key)) + "</label><select class=\"form-select\" id=\"" +
                  field + "\" name=\"" + field + "\">";
  for (std::string_view code : projections::HeaderCodes("concern.reported", field)) {
    const std::string c(code);
    s += "<option value=\"" + Esc(c) + "\"" + (c == chosen ? " selected" : "") + ">" +
         Esc(t.Text(lang, field + "." + c)) + "</option>";
  }
  return s + "</select></div>\n";
}

std::string TextInput(Lang lang, const std::string& name, const std::string& label_key,
                      const std::string& value, const std::string& extra) {
  const Catalogue& t = Catalogue::Builtin();
  return "<div class=\"form-group\"><label class=\"form-label\" for=\"" + name + "\">" +
         Esc(t.Text(lang, label_key)) + "</label><input class=\"form-input\" type=\"text\" id=\"" +
         name + "\" name=\"" + name + "\" value=\"" + Esc(value) + "\"" + extra + "></div>\n";
}

std::string GroundsFieldset(Lang lang, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                  Esc(t.Text(lang, "concern.section.grounds")) + "</legend><p class=\"form-hint\">" +
                  Esc(t.Text(lang, "concern.grounds_intro")) + "</p>\n";
  int i = 0;
  for (const projections::GroundCode& g : projections::GroundCodes()) {
    if (g.kind != projections::CodeKind::kBehaviour) continue;
    const std::string code(g.code), id = "g" + std::to_string(i++);
    s += "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
         id + "\" name=\"ground." + code + "\" value=\"on\"" +
         (form.contains("ground." + code) ? " checked" : "") + "><label class=\"form-label\" for=\"" +
         id + "\">" + Esc(t.Text(lang, "ground." + code)) + "</label> <label class=\"form-hint\" for=\"" +
         id + "-date\">" + Esc(t.Text(lang, "concern.observed_on")) +
         "</label> <input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" id=\"" +
         id + "-date\" name=\"observed." + code + "\" value=\"" + Esc(FormValue(form, "observed." + code)) +
         "\"></div>\n";
  }
  return s + "</fieldset>\n";
}

std::string ContextFieldset(Lang lang, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<fieldset class=\"form-group context-only\" aria-describedby=\"context-note\">"
                  "<legend class=\"form-label\">" + Esc(t.Text(lang, "concern.section.context")) +
                  "</legend><p class=\"form-hint\" id=\"context-note\"><strong>" +
                  Esc(t.Text(lang, "ground.never_a_ground")) + ".</strong> " +
                  Esc(t.Text(lang, "concern.context_intro")) + "</p>\n";
  int i = 0;
  for (const projections::GroundCode& g : projections::GroundCodes()) {
    if (g.kind != projections::CodeKind::kProtected) continue;
    const std::string code(g.code), id = "p" + std::to_string(i++);
    s += "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
         id + "\" name=\"context." + code + "\" value=\"on\"" +
         (form.contains("context." + code) ? " checked" : "") + "><label class=\"form-label\" for=\"" +
         id + "\">" + Esc(t.Text(lang, "ground." + code)) + "</label></div>\n";
  }
  return s + "</fieldset>\n";
}

// The grounds and context of a posted form, as concern.reported's header
// takes them; InvalidArgument naming the catalogue key of the problem.
struct Chosen {
  Json grounds = Json::array();
  Json context = Json::array();
};
Result<Chosen> ChosenCodes(Lang lang, const http::QueryParams& form, std::string& problem) {
  const Catalogue& t = Catalogue::Builtin();
  Chosen c;
  for (const projections::GroundCode& g : projections::GroundCodes()) {
    const std::string code(g.code);
    if (g.kind == projections::CodeKind::kProtected) {
      if (form.contains("context." + code)) c.context.push_back(code);
      continue;
    }
    if (!form.contains("ground." + code)) continue;
    const std::string typed = FormValue(form, "observed." + code);
    const std::string label = t.Text(lang, "ground." + code);
    if (typed.empty()) {
      problem = t.Format(lang, "concern.date_missing", {{"ground", label}});
      return InvalidArgument("observed_on missing");
    }
    Result<LocalDate> d = ParseDate(typed);
    if (!d.ok()) {
      problem = t.Format(lang, "concern.bad_date", {{"ground", label}});
      return InvalidArgument("observed_on malformed");
    }
    char iso[16];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", d->year, d->month, d->day);
    c.grounds.push_back(Json{{"code", code}, {"observed_on", iso}});
  }
  return c;
}

}  // namespace

HttpResponse Workspace::ConcernForm(const Session& s, const http::QueryParams& form, int status,
                                    const std::string& alert_html) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = s.lang;
  std::string main = alert_html + "<p>" + Esc(t.Text(lang, "concern.intro")) + "</p>\n" +
                     "<form method=\"post\" action=\"/ui/concerns\">\n" + CsrfField(s) +
                     "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                     Esc(t.Text(lang, "concern.section.source")) + "</legend>\n" +
                     CodeSelect(lang, "source", "concern.source", FormValue(form, "source")) +
                     CodeSelect(lang, "subject_kind", "concern.subject_kind",
                                FormValue(form, "subject_kind")) +
                     "</fieldset>\n<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                     Esc(t.Text(lang, "concern.section.person")) + "</legend>\n" +
                     TextInput(lang, "name", "concern.name", FormValue(form, "name"),
                               " autocomplete=\"off\"") +
                     TextInput(lang, "cpr", "concern.cpr", FormValue(form, "cpr"),
                               " autocomplete=\"off\" aria-describedby=\"cpr-hint\"") +
                     "<p class=\"form-hint\" id=\"cpr-hint\">" + Esc(t.Text(lang, "concern.cpr_hint")) +
                     "</p>\n" +
                     TextInput(lang, "address", "concern.address", FormValue(form, "address"),
                               " autocomplete=\"off\"") +
                     "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" "
                     "type=\"checkbox\" id=\"minor\" name=\"minor\" value=\"on\"" +
                     (form.contains("minor") ? " checked" : "") +
                     "><label class=\"form-label\" for=\"minor\">" +
                     Esc(t.Text(lang, "concern.minor")) + "</label></div>\n</fieldset>\n" +
                     GroundsFieldset(lang, form) + ContextFieldset(lang, form) +
                     "<div class=\"form-group\"><label class=\"form-label\" for=\"narrative\">" +
                     Esc(t.Text(lang, "concern.narrative")) +
                     "</label><p class=\"form-hint\" id=\"narrative-hint\">" +
                     Esc(t.Text(lang, "concern.narrative_hint")) +
                     "</p><textarea class=\"form-input\" id=\"narrative\" name=\"narrative\" "
                     "rows=\"6\" aria-describedby=\"narrative-hint\">" +
                     Esc(FormValue(form, "narrative")) + "</textarea></div>\n" +
                     "<button class=\"button button-primary\" type=\"submit\">" +
                     Esc(t.Text(lang, "concern.submit")) + "</button>\n</form>\n";
  return SessionPage(status, s, "/ui/concerns/new", "concern.title", main);
}

HttpResponse Workspace::ReportConcern(const Session& s, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  std::string problem;
  Result<Chosen> chosen = ChosenCodes(s.lang, form, problem);
  if (!chosen.ok()) return ConcernForm(s, form, 400, AlertBox("error", "<p>" + Esc(problem) + "</p>"));
  Json h{{"source", FormValue(form, "source")},
         {"subject_kind", FormValue(form, "subject_kind")},
         {"grounds", chosen->grounds},
         {"context", chosen->context},
         {"minor", form.contains("minor")},
         {"new_subject", true}};
  Json identity{{"name", FormValue(form, "name")}, {"cpr", FormValue(form, "cpr")}};
  if (!FormValue(form, "address").empty()) identity["address"] = FormValue(form, "address");
  Json body{{"narrative", FormValue(form, "narrative")}, {"identity", std::move(identity)}};
  auto cmd = app::ConcernCommand(s.who, std::nullopt, std::move(h), std::move(body));
  if (!cmd.ok()) return ConcernForm(s, form, 400, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "concern.invalid")) + "</p>"));
  const std::string case_id = *cmd->case_id;
  auto appended = app::AppendAndWait(domain_.writer(), std::move(*cmd), options_.write_timeout);
  if (appended.ok()) return Redirect("/ui/cases?reported=" + case_id);
  const Status& st = appended.status();
  if (st.code() == StatusCode::kPolicyRefused)
    return ConcernForm(s, form, 422,
                       RefusalAlert(s.lang, st, "concern.refused", true, "concern.nothing_stored"));
  if (st.code() == StatusCode::kAlreadyExists)
    return ConcernForm(s, form, 409, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "concern.duplicate_person")) + "</p>"));
  if (st.code() == StatusCode::kInvalidArgument)
    return ConcernForm(s, form, 400, AlertBox("error", "<p>" + Esc(t.Text(s.lang, "concern.invalid")) + "</p>"));
  return ErrorPage(503, s.lang, &s, "error.storage");
}

}  // namespace caseledger::web
