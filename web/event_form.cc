#include "web/event_form.h"

#include <algorithm>
#include <cstdio>

#include "base/ids.h"
#include "projections/catalogue.h"
#include "projections/legal_basis.h"
#include "projections/vocabulary.h"
#include "web/local_time.h"
#include "web/page.h"

namespace caseledger::web {

using projections::FormField;
using projections::FormKind;

namespace {

std::string Trimmed(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && s.size() <= 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The form's name of a field: "h.<name>" or "body.<name>".
std::string NameOf(const FormField& f) {
  return std::string(f.in_body ? "body." : "h.") + std::string(f.name);
}

std::string Choice(Lang lang, std::string_view type, std::uint64_t seq, ledger::Micros time,
                   const std::string& detail) {
  const Catalogue& t = Catalogue::Builtin();
  std::string label = t.Text(lang, "event." + std::string(type)) + ", " + FormatDateTime(time);
  if (!detail.empty()) label += " (" + detail + ")";
  (void)seq;
  return label;
}

// The values of a list field's checkboxes ("h.<name>.<value>" present).
std::vector<std::string> Checked(const http::QueryParams& form, const std::string& prefix) {
  std::vector<std::string> out;
  for (auto it = form.lower_bound(prefix); it != form.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->first.substr(prefix.size()));
  return out;
}

std::string IsoDate(const LocalDate& d) {
  char iso[16];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", d.year, d.month, d.day);
  return iso;
}

// --- Rendering ---------------------------------------------------------------

std::string FieldLabel(Lang lang, const FormField& f) {
  return Catalogue::Builtin().Text(lang, "field." + std::string(f.name));
}

std::string Optional(Lang lang, const FormField& f) {
  return f.required ? "" : " <span class=\"form-hint\">(" + Esc(Catalogue::Builtin().Text(lang, "form.optional")) + ")</span>";
}

std::string Select(const std::string& id, const std::string& label_html,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   const std::string& chosen, bool with_empty, const std::string& empty_label) {
  std::string s = "<div class=\"form-group\"><label class=\"form-label\" for=\"" + id + "\">" +
                  label_html + "</label><select class=\"form-select\" id=\"" + id + "\" name=\"" +
                  id + "\">";
  if (with_empty) s += "<option value=\"\">" + Esc(empty_label) + "</option>";
  for (const auto& [value, label] : options)
    s += "<option value=\"" + Esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" +
         Esc(label) + "</option>";
  return s + "</select></div>\n";
}

std::string Checkboxes(const std::string& name, const std::string& legend_html,
                       const std::vector<std::pair<std::string, std::string>>& options,
                       const http::QueryParams& form) {
  std::string s = "<fieldset class=\"form-group\"><legend class=\"form-label\">" + legend_html +
                  "</legend>\n";
  int i = 0;
  for (const auto& [value, label] : options) {
    const std::string id = name + "-" + std::to_string(i++);
    s += "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
         Esc(id) + "\" name=\"" + Esc(name + "." + value) + "\" value=\"on\"" +
         (form.contains(name + "." + value) ? " checked" : "") + "><label class=\"form-label\" for=\"" +
         Esc(id) + "\">" + Esc(label) + "</label></div>\n";
  }
  return s + "</fieldset>\n";
}

}  // namespace

std::string BasisConditions(Lang lang, const projections::LegalBasis& b) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string key = "basis." + std::string(b.code);
  std::string recipients;
  if (b.any_recipient) {
    recipients = t.Text(lang, "basis.any_recipient");
  } else {
    for (std::string_view r : b.recipients) {
      if (!recipients.empty()) recipients += ", ";
      recipients += CodeLabel(lang, "recipient", r);
    }
  }
  std::string s = "<ul class=\"basis-conditions\">";
  s += "<li>" + Esc(t.Format(lang, "basis.recipients", {{"recipients", recipients}})) + "</li>";
  s += "<li>" + Esc(t.Format(lang, "basis.must_document", {{"what", t.Text(lang, key + ".must_document")}})) + "</li>";
  s += "<li>" + Esc(t.Text(lang, b.covers_art9 ? "basis.art9_yes" : "basis.art9_no")) + "</li>";
  s += "<li>" + Esc(t.Text(lang, b.covers_art10 ? "basis.art10_yes" : "basis.art10_no")) + "</li>";
  if (b.onward_forbidden) s += "<li>" + Esc(t.Text(lang, "basis.onward_forbidden")) + "</li>";
  if (!b.citation_confirmed) s += "<li>" + Esc(t.Text(lang, "basis.not_confirmed")) + "</li>";
  return s + "</ul>";
}

namespace {

std::string BasisRadios(Lang lang, const FormField& f, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string name = NameOf(f), chosen = FormValue(form, name);
  std::string s = "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                  Esc(FieldLabel(lang, f)) + Optional(lang, f) + "</legend><p class=\"form-hint\">" +
                  Esc(t.Text(lang, "basis.intro")) + "</p>\n";
  int i = 0;
  for (const projections::LegalBasis& b : projections::Registry()) {
    const std::string id = "basis-" + std::to_string(i++), code(b.code);
    s += "<div class=\"form-group-radio\"><input class=\"form-radio\" type=\"radio\" id=\"" + id +
         "\" name=\"" + name + "\" value=\"" + Esc(code) + "\"" + (code == chosen ? " checked" : "") +
         " aria-describedby=\"" + id + "-conditions\"><label class=\"form-label\" for=\"" + id +
         "\">" + Esc(t.Text(lang, "basis." + code)) + "</label><div class=\"form-hint\" id=\"" + id +
         "-conditions\">" + BasisConditions(lang, b) + "</div></div>\n";
  }
  return s + "</fieldset>\n";
}

std::string GroundsFields(Lang lang, const FormField& f, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                  Esc(FieldLabel(lang, f)) + "</legend><p class=\"form-hint\">" +
                  Esc(t.Text(lang, "form.grounds_hint")) + "</p>\n";
  int i = 0;
  for (const projections::GroundCode& g : projections::GroundCodes()) {
    if (g.kind != projections::CodeKind::kBehaviour) continue;
    const std::string code(g.code), id = "ground-" + std::to_string(i++),
                                    name = "h." + std::string(f.name) + "." + code;
    s += "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
         id + "\" name=\"" + name + "\" value=\"on\"" + (form.contains(name) ? " checked" : "") +
         "><label class=\"form-label\" for=\"" + id + "\">" + Esc(t.Text(lang, "ground." + code)) +
         "</label> <label class=\"form-hint\" for=\"" + id + "-date\">" +
         Esc(t.Text(lang, "concern.observed_on")) +
         "</label> <input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" id=\"" +
         id + "-date\" name=\"" + name + ".observed\" value=\"" + Esc(FormValue(form, name + ".observed")) +
         "\"></div>\n";
  }
  return s + "</fieldset>\n";
}

std::string FactorFields(Lang lang, const FormField& f, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  std::string s = "<fieldset class=\"form-group\"><legend class=\"form-label\">" +
                  Esc(FieldLabel(lang, f)) + "</legend><p class=\"form-hint\">" +
                  Esc(t.Text(lang, f.min_factors > 0 ? "form.factors_hint_some" : "form.factors_hint")) +
                  "</p>\n<table class=\"table table--compact\"><caption>" + Esc(FieldLabel(lang, f)) +
                  "</caption><thead><tr><th scope=\"col\">" + Esc(t.Text(lang, "form.dimension")) +
                  "</th><th scope=\"col\">" + Esc(t.Text(lang, "form.risk")) + "</th><th scope=\"col\">" +
                  Esc(t.Text(lang, "form.resources")) + "</th></tr></thead><tbody>\n";
  for (std::string_view dim : projections::kFactorDimensions) {
    const std::string d(dim), label = t.Text(lang, "dimension." + d);
    s += "<tr><th scope=\"row\">" + Esc(label) + "</th>";
    for (const char* score : {"risk", "resources"}) {
      const std::string name = "h." + std::string(f.name) + "." + d + "." + score;
      const std::string chosen = FormValue(form, name);
      s += "<td><select class=\"form-select\" name=\"" + name + "\" aria-label=\"" +
           Esc(label + ": " + t.Text(lang, std::string("form.") + score)) + "\"><option value=\"\">" +
           Esc(t.Text(lang, "form.not_assessed")) + "</option>";
      for (int v = 0; v <= projections::kFactorMax; ++v) {
        const std::string sv = std::to_string(v);
        s += "<option value=\"" + sv + "\"" + (sv == chosen ? " selected" : "") + ">" + sv + "</option>";
      }
      s += "</select></td>";
    }
    s += "</tr>\n";
  }
  return s + "</tbody></table></fieldset>\n";
}

std::string TextArea(Lang lang, const FormField& f, const http::QueryParams& form) {
  const std::string name = NameOf(f);
  return "<div class=\"form-group\"><label class=\"form-label\" for=\"" + name + "\">" +
         Esc(FieldLabel(lang, f)) + Optional(lang, f) + "</label><textarea class=\"form-input\" id=\"" +
         name + "\" name=\"" + name + "\" rows=\"4\">" + Esc(FormValue(form, name)) + "</textarea></div>\n";
}

std::string Input(Lang lang, const FormField& f, const http::QueryParams& form,
                  const std::string& extra, const std::string& hint_key) {
  const Catalogue& t = Catalogue::Builtin();
  const std::string name = NameOf(f);
  std::string s = "<div class=\"form-group\"><label class=\"form-label\" for=\"" + name + "\">" +
                  Esc(FieldLabel(lang, f)) + Optional(lang, f) + "</label>";
  if (!hint_key.empty())
    s += "<p class=\"form-hint\" id=\"" + name + "-hint\">" + Esc(t.Text(lang, hint_key)) + "</p>";
  return s + "<input class=\"form-input\" type=\"text\" id=\"" + name + "\" name=\"" + name +
         "\" value=\"" + Esc(FormValue(form, name)) + "\"" + extra +
         (hint_key.empty() ? "" : " aria-describedby=\"" + name + "-hint\"") + "></div>\n";
}

std::string StaffLabel(Lang lang, const app::StaffMember& m, std::string_view me) {
  const Catalogue& t = Catalogue::Builtin();
  std::string label = m.display_name.empty() ? m.user.substr(0, 10) : m.display_name;
  label += " (" + t.Text(lang, "role." + m.role) + ")";
  if (m.user == me) label += " — " + t.Text(lang, "form.you");
  return label;
}

std::string RenderField(const FormContext& c, const FormField& f, const http::QueryParams& form) {
  const Catalogue& t = Catalogue::Builtin();
  const Lang lang = c.lang;
  const std::string name = NameOf(f);
  const std::string label_html = Esc(FieldLabel(lang, f)) + Optional(lang, f);
  switch (f.kind) {
    case FormKind::kCode: {
      std::vector<std::pair<std::string, std::string>> options;
      for (std::string_view code : f.codes)
        options.emplace_back(std::string(code), CodeLabel(lang, f.name, code));
      if (f.list) return Checkboxes(name, label_html, options, form);
      return Select(name, label_html, options, FormValue(form, name), !f.required,
                    t.Text(lang, "form.none_chosen"));
    }
    case FormKind::kSeq: {
      std::vector<std::pair<std::string, std::string>> options;
      if (c.view != nullptr)
        for (const SeqChoice& ch : SeqChoices(lang, c.type, f.name, *c.view, c.me, c.state, c.role))
          options.emplace_back(std::to_string(ch.seq), ch.label);
      if (f.list) return options.empty() ? "" : Checkboxes(name, label_html, options, form);
      return Select(name, label_html, options, FormValue(form, name), !f.required,
                    t.Text(lang, "form.none_chosen"));
    }
    case FormKind::kUser: {
      std::vector<std::pair<std::string, std::string>> options;
      if (c.staff != nullptr)
        for (const app::StaffMember& m : *c.staff) options.emplace_back(m.user, StaffLabel(lang, m, c.me));
      if (f.list) return Checkboxes(name, label_html, options, form);
      return Select(name, label_html, options, FormValue(form, name), !f.required,
                    t.Text(lang, "form.none_chosen"));
    }
    case FormKind::kFlag:
      return "<div class=\"form-group-checkbox\"><input class=\"form-checkbox\" type=\"checkbox\" id=\"" +
             name + "\" name=\"" + name + "\" value=\"on\"" + (form.contains(name) ? " checked" : "") +
             "><label class=\"form-label\" for=\"" + name + "\">" + label_html + "</label></div>\n";
    case FormKind::kInt:
      return Input(lang, f, form, " inputmode=\"numeric\"", "");
    case FormKind::kDate:
      return Input(lang, f, form, " inputmode=\"numeric\"", "form.date_hint");
    case FormKind::kShaped:
      return Input(lang, f, form, " autocomplete=\"off\" spellcheck=\"false\"", "form.shaped_hint." + std::string(f.name));
    case FormKind::kBehaviours: {
      std::vector<std::pair<std::string, std::string>> options;
      for (const projections::GroundCode& g : projections::GroundCodes())
        if (g.kind == projections::CodeKind::kBehaviour)
          options.emplace_back(std::string(g.code), t.Text(lang, "ground." + std::string(g.code)));
      return Checkboxes(name, label_html, options, form);
    }
    case FormKind::kBasis: return BasisRadios(lang, f, form);
    case FormKind::kGrounds: return GroundsFields(lang, f, form);
    case FormKind::kFactors: return FactorFields(lang, f, form);
    case FormKind::kText: return TextArea(lang, f, form);
    case FormKind::kRegistryVersion:  // set by the server: the version in force
    case FormKind::kMarker:           // follows its body text
    case FormKind::kOther: return "";
  }
  return "";
}

// --- Parsing -----------------------------------------------------------------

bool Bad(ParsedEvent& p, const FormField& f, const char* key) {
  p.bad_field = std::string(f.name);
  p.problem_key = key;
  return false;
}

bool ParseField(const FormField& f, const http::QueryParams& form, ParsedEvent& p, Json& out) {
  const std::string name = NameOf(f);
  const std::string key(f.name);
  const std::string v = Trimmed(FormValue(form, name));
  switch (f.kind) {
    case FormKind::kCode:
    case FormKind::kSeq:
    case FormKind::kUser: {
      if (f.list) {
        Json items = Json::array();
        for (const std::string& item : Checked(form, name + ".")) {
          if (f.kind == FormKind::kCode &&
              std::find(f.codes.begin(), f.codes.end(), item) == f.codes.end())
            return Bad(p, f, "form.bad_value");
          if (f.kind == FormKind::kSeq) {
            if (!IsDigits(item)) return Bad(p, f, "form.bad_value");
            items.push_back(std::stoull(item));
          } else {
            items.push_back(item);
          }
        }
        if (items.size() < f.min_items) return Bad(p, f, "form.choose_one");
        if (!items.empty() || f.required) out[key] = std::move(items);
        return true;
      }
      if (v.empty()) return f.required ? Bad(p, f, "form.required") : true;
      if (f.kind == FormKind::kSeq) {
        if (!IsDigits(v)) return Bad(p, f, "form.bad_value");
        out[key] = std::stoull(v);
      } else {
        if (f.kind == FormKind::kCode && std::find(f.codes.begin(), f.codes.end(), v) == f.codes.end())
          return Bad(p, f, "form.bad_value");
        out[key] = v;
      }
      return true;
    }
    case FormKind::kBehaviours: {
      Json codes = Json::array();
      for (const std::string& code : Checked(form, name + ".")) {
        if (!projections::IsBehaviourCode(code)) return Bad(p, f, "form.bad_value");
        codes.push_back(code);
      }
      if (!codes.empty() || f.required) out[key] = std::move(codes);
      return true;
    }
    case FormKind::kFlag:
      if (form.contains(name) || f.required) out[key] = form.contains(name);
      return true;
    case FormKind::kInt: {
      if (v.empty()) return f.required ? Bad(p, f, "form.required") : true;
      if (!IsDigits(v)) return Bad(p, f, "form.bad_value");
      const std::uint64_t n = std::stoull(v);
      if (n < static_cast<std::uint64_t>(std::max<std::int64_t>(f.lo, 0)) ||
          n > static_cast<std::uint64_t>(f.hi))
        return Bad(p, f, "form.bad_value");
      out[key] = n;
      return true;
    }
    case FormKind::kDate: {
      if (v.empty()) return f.required ? Bad(p, f, "form.required") : true;
      Result<LocalDate> d = ParseDate(v);
      if (!d.ok()) return Bad(p, f, "form.bad_date");
      out[key] = IsoDate(*d);
      return true;
    }
    case FormKind::kShaped:
    case FormKind::kBasis:
    case FormKind::kText:
      if (v.empty()) return f.required ? Bad(p, f, "form.required") : true;
      out[key] = f.kind == FormKind::kText ? FormValue(form, name) : v;
      return true;
    case FormKind::kRegistryVersion:
      out[key] = std::string(projections::kRegistryVersion);
      return true;
    case FormKind::kGrounds: {
      Json grounds = Json::array();
      for (const projections::GroundCode& g : projections::GroundCodes()) {
        if (g.kind != projections::CodeKind::kBehaviour) continue;
        const std::string gname = name + "." + std::string(g.code);
        if (!form.contains(gname)) continue;
        const std::string typed = Trimmed(FormValue(form, gname + ".observed"));
        if (typed.empty()) return Bad(p, f, "form.ground_date_missing");
        Result<LocalDate> d = ParseDate(typed);
        if (!d.ok()) return Bad(p, f, "form.bad_date");
        grounds.push_back(Json{{"code", std::string(g.code)}, {"observed_on", IsoDate(*d)}});
      }
      if (!grounds.empty() || f.required) out[key] = std::move(grounds);
      return true;
    }
    case FormKind::kFactors: {
      Json factors = Json::object();
      for (std::string_view dim : projections::kFactorDimensions) {
        const std::string base = name + "." + std::string(dim);
        const std::string risk = FormValue(form, base + ".risk"), res = FormValue(form, base + ".resources");
        if (risk.empty() && res.empty()) continue;
        if (risk.empty() || res.empty()) return Bad(p, f, "form.factor_pair");
        if (!IsDigits(risk) || !IsDigits(res) || std::stoi(risk) > projections::kFactorMax ||
            std::stoi(res) > projections::kFactorMax)
          return Bad(p, f, "form.bad_value");
        factors[std::string(dim)] = Json{{"risk", std::stoi(risk)}, {"resources", std::stoi(res)}};
      }
      if (factors.size() < f.min_factors) return Bad(p, f, "form.factors_missing");
      out[key] = std::move(factors);
      return true;
    }
    case FormKind::kMarker:
    case FormKind::kOther: return true;
  }
  return true;
}

}  // namespace

std::string CodeLabel(Lang lang, std::string_view field, std::string_view code) {
  return Catalogue::Builtin().Text(lang, "code." + std::string(field) + "." + std::string(code));
}

std::vector<SeqChoice> SeqChoices(Lang lang, std::string_view type, std::string_view field,
                                  const projections::CaseView& v, std::string_view me,
                                  const projections::CaseState* state, std::string_view role) {
  std::vector<SeqChoice> out;
  const auto recipient = [&](const projections::Disclosure& d) {
    return CodeLabel(lang, "recipient", d.recipient);
  };
  if (field == "request" || field == "disclosure") {
    for (const projections::Disclosure& d : v.disclosures) {
      bool offer = false;
      if (type == "disclosure.approved" || type == "disclosure.rejected")
        offer = d.status == "requested" && d.requester != me;  // four eyes
      else if (type == "disclosure.made")
        offer = d.status == "approved";
      else if (type == "disclosure.reviewed")
        offer = d.status != "rejected" && d.reviews.empty();
      if (offer)
        out.push_back({d.seq, Choice(lang, "disclosure.requested", d.seq, d.time, recipient(d))});
    }
  } else if (field == "intervention") {
    for (const projections::Intervention& i : v.interventions)
      if (i.active())
        out.push_back({i.seq, Choice(lang, "intervention.started", i.seq, i.time,
                                     CodeLabel(lang, "kind", i.kind))});
  } else if (field == "consent") {
    for (const projections::ConsentEntry& e : v.consents)
      if (e.decision == "given")
        out.push_back({e.seq, Choice(lang, "consent.recorded", e.seq, e.time,
                                     CodeLabel(lang, "by", e.by))});
  } else if (field == "includes") {
    for (const projections::InformationEntry& e : v.information)
      out.push_back({e.seq, Choice(lang, "information.received", e.seq, e.time,
                                   CodeLabel(lang, "from", e.from))});
  } else if (field == "about") {
    for (const projections::NotificationDuty& n : v.notifications)
      if (!n.Pending().empty())
        out.push_back({n.seq, Choice(lang, n.type, n.seq, n.time, "")});
  } else if (field == "target" && type == "record.retracted" && state != nullptr) {
    // What the policy engine would let `me` retract (ROL-10): not the
    // concern that opened the case, not a disclosure made, not a
    // correction, retraction or erasure, not what is already retracted;
    // one's own events, or any as a coordinator. Newest first.
    for (auto it = state->facts().rbegin(); it != state->facts().rend(); ++it) {
      const projections::KeptFact& f = it->second;
      if (f.type == "concern.reported" || f.type == "disclosure.made" || f.type == "record.corrected" ||
          f.type == "record.retracted" || f.type == "subject.erased" || state->IsRetracted(f.seq))
        continue;
      if (f.actor != me && role != "coordinator") continue;
      out.push_back({f.seq, Choice(lang, f.type, f.seq, f.time, "#" + std::to_string(f.seq))});
    }
  }
  return out;
}

bool Offerable(std::string_view type, std::string_view role, const projections::CaseView& v,
               std::string_view me, const projections::CaseState* state) {
  const projections::EventSpec* spec = projections::FindEventSpec(type);
  if (spec == nullptr || spec->server_only || spec->scope != projections::Scope::kCase) return false;
  if ((spec->roles & projections::RoleBitOf(role)) == 0) return false;
  for (const FormField& f : projections::FormFields(type)) {
    if (!f.required && !(f.list && f.min_items > 0)) continue;
    if (f.kind == FormKind::kOther) return false;
    if (f.kind == FormKind::kSeq && SeqChoices(Lang::kEn, type, f.name, v, me, state, role).empty())
      return false;
  }
  return true;
}

std::string RenderEventFields(const FormContext& c, const http::QueryParams& form) {
  std::string s;
  for (const FormField& f : projections::FormFields(c.type)) s += RenderField(c, f, form);
  return s;
}

std::string FormProblemAlert(Lang lang, const ParsedEvent& parsed) {
  const Catalogue& t = Catalogue::Builtin();
  return AlertBox("error", "<p>" + Esc(t.Format(lang, parsed.problem_key,
                                               {{"field", t.Text(lang, "field." + parsed.bad_field)}})) +
                               "</p>");
}

ParsedEvent ParseEventForm(std::string_view type, const http::QueryParams& form) {
  ParsedEvent p;
  const projections::EventSpec* spec = projections::FindEventSpec(type);
  const std::vector<FormField> fields = projections::FormFields(type);
  Json body = Json::object();
  for (const FormField& f : fields) {
    if (f.kind == FormKind::kOther && f.required) {
      p.bad_field = std::string(f.name);
      p.problem_key = "form.not_on_form";
      return p;
    }
    if (!ParseField(f, form, p, f.in_body ? body : p.h)) return p;
  }
  // A marker is true exactly when its body text is given.
  for (const FormField& f : fields)
    if (f.kind == FormKind::kMarker && !f.in_body && body.contains(std::string(f.name)))
      p.h[std::string(f.name)] = true;
  if (!body.empty()) {
    p.body = std::move(body);
  } else if (spec != nullptr && spec->body == projections::BodyRule::kRequired) {
    for (const FormField& f : fields)
      if (f.in_body && f.required) {
        p.bad_field = std::string(f.name);
        p.problem_key = "form.required";
        return p;
      }
  }
  return p;
}

}  // namespace caseledger::web
