#include "app/html.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "projections/rules_checked.h"

namespace caseledger::app {

namespace {


// --- Reading documents defensively -----------------------------------------
// A renderer never throws on a document of the wrong shape: a missing or
// mistyped member reads as null and is shown as missing.

const Json& At(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(std::string(key));
  return it == j.end() ? kNull : *it;
}

// `j` if it is an array, else an empty one (a reference either way).
const Json& AsArray(const Json& j) {
  static const Json kEmpty = Json::array();
  return j.is_array() ? j : kEmpty;
}

const Json& Items(const Json& j, std::string_view key) { return AsArray(At(j, key)); }

std::string Str(const Json& j, std::string_view key, std::string fallback = "") {
  const Json& v = At(j, key);
  return v.is_string() ? v.get<std::string>() : fallback;
}

bool True(const Json& j, std::string_view key) {
  const Json& v = At(j, key);
  return v.is_boolean() && v.get<bool>();
}

// Text of a scalar: strings as they are, integers in decimal, booleans as
// yes/no, null as "-"; anything else as compact JSON.
std::string Plain(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "-";
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string E(std::string_view s) { return HtmlEscape(s); }
std::string EV(const Json& v) { return E(Plain(v)); }

// An id attribute value from a code: [A-Za-z0-9_-] kept, anything else '-'.
std::string Anchor(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += keep ? c : '-';
  }
  return out;
}

std::string Readable(std::string s) {
  for (char& c : s)
    if (c == '_') c = ' ';
  return s;
}

// --- The page ----------------------------------------------------------------

constexpr std::string_view kStyle = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 1.5rem auto; max-width: 78rem; padding: 0 1rem; color: #1a1a1a; background: #fff;
       line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #bbb; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.meta { color: #404040; margin-top: 0; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.verdict { font-size: 1.45rem; font-weight: 700; padding: .8rem 1rem; border: 3px solid; margin: 1rem 0; }
.verdict.ok { border-color: #1b6e20; background: #eaf6ea; color: #0f4a13; }
.verdict.bad { border-color: #a30000; background: #fdeaea; color: #7a0000; }
.verdict .detail { display: block; font-size: 1rem; font-weight: 400; margin-top: .3rem; }
table { border-collapse: collapse; margin: .4rem 0 1.2rem; min-width: min(36rem, 100%); }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #b5b5b5; padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #efefef; }
tbody th { font-weight: 500; background: #fafafa; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: #0f5a13; }
.bad { color: #a30000; font-weight: 600; }
.suppressed { font-style: italic; color: #555; }
.id, code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em; }
.id { word-break: break-all; }
pre.note { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; border: 1px solid #ddd;
           padding: .4rem .6rem; }
ul.h { margin: 0; padding-left: 1rem; }
table.timeline { width: 100%; table-layout: fixed; font-size: .9rem; }
table.timeline th, table.timeline td { overflow-wrap: anywhere; }
col.seq { width: 4.5rem; } col.time { width: 8.5rem; } col.actor { width: 10rem; }
col.type { width: 10rem; } col.rules { width: 7rem; } col.links { width: 8rem; }
col.ver { width: 11rem; }
tr.retracted td { background: #f3f3f3; color: #555; }
tr.retracted .type { text-decoration: line-through; }
tr:target td { outline: 2px solid #1a5fb4; }
.none { color: #555; font-style: italic; }
footer { margin-top: 2.5rem; color: #555; font-size: .9rem; border-top: 1px solid #ccc; padding-top: .5rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2, h3, caption { break-after: avoid; }
  tr { break-inside: avoid; }
}
)css";

std::string Page(std::string_view title, std::string_view body) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No script, no fetch: the browser itself refuses anything but the inline style.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"caseledger\">\n";
  out += "<title>" + E(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n";
  out += "</head>\n<body>\n";
  out += body;
  out += "</body>\n</html>\n";
  return out;
}

std::string Nav(const std::vector<std::pair<std::string, std::string>>& links) {
  std::string out = "<nav aria-label=\"Contents\"><ul>";
  for (const auto& [id, label] : links)
    out += "<li><a href=\"#" + Anchor(id) + "\">" + E(label) + "</a></li>";
  return out + "</ul></nav>\n";
}

// A two-column table of label / value rows. Values are HTML already.
class KeyValueTable {
 public:
  explicit KeyValueTable(std::string caption) : caption_(std::move(caption)) {}
  KeyValueTable& Row(std::string_view label, std::string value_html, bool number = false) {
    rows_ += "<tr><th scope=\"row\">" + E(label) + "</th><td" +
             (number ? " class=\"n\"" : "") + ">" + value_html + "</td></tr>\n";
    return *this;
  }
  std::string Html(std::string_view id = "") const {
    std::string out = "<table";
    if (!id.empty()) out += " id=\"" + Anchor(id) + "\"";
    return out + "><caption>" + E(caption_) + "</caption>\n<tbody>\n" + rows_ +
           "</tbody></table>\n";
  }

 private:
  std::string caption_;
  std::string rows_;
};

// A table with a header row; cells are HTML already.
class GridTable {
 public:
  GridTable(std::string caption, std::vector<std::string> columns)
      : caption_(std::move(caption)), columns_(std::move(columns)) {}
  // The first cell is the row's header (th scope=row).
  GridTable& Row(const std::vector<std::string>& cells, std::string_view tr_attrs = "") {
    rows_ += "<tr" + std::string(tr_attrs) + ">";
    for (std::size_t i = 0; i < cells.size(); ++i)
      rows_ += (i == 0 ? "<th scope=\"row\">" : "<td>") + cells[i] + (i == 0 ? "</th>" : "</td>");
    rows_ += "</tr>\n";
    ++count_;
    return *this;
  }
  // A class for the table, and one per column (<col class=…>), for widths.
  GridTable& Layout(std::string table_class, std::vector<std::string> col_classes) {
    class_ = std::move(table_class);
    cols_ = std::move(col_classes);
    return *this;
  }
  std::size_t size() const { return count_; }
  std::string Html(std::string_view id = "") const {
    std::string out = "<table";
    if (!id.empty()) out += " id=\"" + Anchor(id) + "\"";
    if (!class_.empty()) out += " class=\"" + E(class_) + "\"";
    out += "><caption>" + E(caption_) + "</caption>\n";
    if (!cols_.empty()) {
      out += "<colgroup>";
      for (const std::string& c : cols_) out += "<col class=\"" + E(c) + "\">";
      out += "</colgroup>\n";
    }
    out += "<thead><tr>";
    for (const std::string& c : columns_) out += "<th scope=\"col\">" + E(c) + "</th>";
    return out + "</tr></thead>\n<tbody>\n" + rows_ + "</tbody></table>\n";
  }

 private:
  std::string caption_;
  std::vector<std::string> columns_;
  std::string class_;
  std::vector<std::string> cols_;
  std::string rows_;
  std::size_t count_ = 0;
};

std::string IdSpan(const Json& v) { return "<span class=\"id\">" + EV(v) + "</span>"; }
std::string OkBad(bool ok, std::string_view good, std::string_view bad) {
  return ok ? "<span class=\"ok\">" + E(good) + "</span>"
            : "<span class=\"bad\">" + E(bad) + "</span>";
}

// --- The audit -----------------------------------------------------------------

// What each flag means (DESIGN §5.2, §5.3), shown above its cases.
std::string_view FlagMeaning(std::string_view flag) {
  static const std::map<std::string_view, std::string_view> kMeaning = {
      {"FLAG-24H", "no concern.responded within 24 hours of concern.reported"},
      {"FLAG-ASSESS", "no assessment within 30 days of the concern"},
      {"FLAG-INFORM",
       "founded case with neither subject.informed nor subject.information_deferred within 30 days"},
      {"FLAG-REVIEW", "open case with no case.reviewed in the last 12 months"},
      {"FLAG-DISCLOSURE", "a disclosure with no legal review after 30 days, or reviewed as deficient"},
      {"FLAG-ART19",
       "a correction, restriction or erasure after a disclosure, with recipients not notified (GDPR Art. 19)"},
      {"FLAG-RETENTION", "personal data kept past its retention deadline (DESIGN §7.3)"},
      {"FLAG-ACCESS",
       "unusual access: a user reading many cases not assigned to them, reads outside working hours"},
  };
  auto it = kMeaning.find(flag);
  return it == kMeaning.end() ? std::string_view() : it->second;
}

std::string Verdict(bool ok, std::string_view headline, std::string_view detail) {
  std::string out = std::string("<p class=\"verdict ") + (ok ? "ok" : "bad") +
                    "\" role=\"status\">" + E(headline);
  if (!detail.empty()) out += "<span class=\"detail\">" + E(detail) + "</span>";
  return out + "</p>\n";
}

std::string AuditIntegrity(const Json& in) {
  std::string out = "<section id=\"integrity\">\n<h2>Integrity</h2>\n";
  KeyValueTable t("Integrity: a full verify of the log (every signature, leaf, prev, stored "
                  "Merkle node and checkpoint)");
  const bool verified = True(in, "verified");
  t.Row("Verdict", OkBad(verified, "the log verifies", "THE LOG DOES NOT VERIFY"));
  t.Row("Events verified", EV(At(in, "events_verified")), true);
  t.Row("Checkpoints verified", EV(At(in, "checkpoints_verified")), true);
  t.Row("Events in the log", EV(At(in, "log_size")), true);
  if (!At(in, "first_bad_seq").is_null())
    t.Row("First bad seq", "<span class=\"bad\">" + EV(At(in, "first_bad_seq")) + "</span>", true);
  if (!At(in, "problem").is_null())
    t.Row("Problem", "<span class=\"bad\">" + EV(At(in, "problem")) + "</span>");
  out += t.Html();

  const Json& cp = At(in, "latest_checkpoint");
  out += "<h3 id=\"latest-checkpoint\">Latest checkpoint</h3>\n";
  if (cp.is_object()) {
    KeyValueTable c("The latest signed checkpoint (C2SP signed note)");
    c.Row("Tree size", EV(At(cp, "size")), true);
    if (At(cp, "root").is_string())
      c.Row("Root (base64)", IdSpan(At(cp, "root")));
    else
      c.Row("Root", "<span class=\"bad\">unverified: " + EV(At(cp, "problem")) + "</span>");
    out += c.Html();
    if (At(cp, "note").is_string())
      out += "<p>The signed note, to give to the next audit (<code>--previous-checkpoint</code>):</p>\n"
             "<pre class=\"note\">" + EV(At(cp, "note")) + "</pre>\n";
  } else {
    out += "<p class=\"bad\">No checkpoint: " + E(Str(in, "checkpoint_problem", "not reported")) +
           "</p>\n";
  }

  const Json& w = At(in, "witnessing");
  if (w.is_object()) {
    out += "<h3 id=\"witnessing\">Witnesses</h3>\n";
    KeyValueTable c("Independent witnesses' cosignatures (C2SP tlog-witness)");
    if (!At(w, "problem").is_null()) {
      c.Row("Problem", "<span class=\"bad\">" + EV(At(w, "problem")) + "</span>");
    } else {
      std::string by;
      for (const Json& n : At(w, "witnessed_by")) by += (by.empty() ? "" : ", ") + n.get<std::string>();
      c.Row("Quorum", EV(At(w, "quorum")) + " of " + std::to_string(At(w, "witnesses").size()), true);
      c.Row("Newest witnessed size", EV(At(w, "witnessed_size")), true);
      c.Row("Cosigned by", by.empty() ? "<span class=\"none\">nobody</span>" : E(by));
      c.Row("Events not yet witnessed", EV(At(w, "unwitnessed_events")), true);
      if (!At(w, "unwitnessed_since").is_null())
        c.Row("Unwitnessed since", EV(At(w, "unwitnessed_since")));
      c.Row("Verdict", OkBad(At(w, "flag").is_null(), "within the alarm time",
                             "FLAG-WITNESS: no quorum for longer than " +
                                 Plain(At(w, "alarm_seconds")) + " s"));
    }
    out += c.Html();
  }

  out += "<h3 id=\"consistency\">Consistency with the previous checkpoint</h3>\n";
  const Json& cons = At(in, "consistency");
  if (cons.is_object()) {
    const bool consistent = True(cons, "consistent");
    KeyValueTable c("The log still extends the previous audit's checkpoint");
    c.Row("Previous size", EV(At(cons, "previous_size")), true);
    c.Row("Previous root (base64)", IdSpan(At(cons, "previous_root")));
    c.Row("Consistent", OkBad(consistent, "yes: same root at that size",
                              "NO: " + Str(cons, "problem")));
    out += c.Html();
  } else {
    out += "<p class=\"none\">Not checked: no previous checkpoint was given "
           "(<code>caseledger audit --previous-checkpoint FILE</code>).</p>\n";
  }
  return out + "</section>\n";
}

std::string FlagCasesTable(const Json& f) {
  const std::string flag = Str(f, "flag"), kind = Str(f, "kind");
  const std::string id = "flag-" + flag + "-" + kind;
  const std::string caption = flag + " " + Readable(kind) + ": " + Plain(At(f, "count"));
  std::string out;
  if (At(f, "users").is_array()) {  // FLAG-ACCESS
    GridTable t(caption + " users",
                {"User (pseudonymous)", "Role", "Finding", "Count", "Month", "Example seqs"});
    for (const Json& u : Items(f, "users")) {
      std::string examples;
      for (const Json& s : Items(u, "examples"))
        examples += (examples.empty() ? "" : ", ") + EV(s);
      t.Row({IdSpan(At(u, "user")), EV(At(u, "role")), E(Readable(Str(u, "kind"))),
             EV(At(u, "count")), EV(At(u, "month")), examples});
    }
    const Json& p = At(f, "policy");
    if (p.is_object())
      out += "<p>Policy: more than " + EV(At(p, "max_uninvolved_cases_per_month")) +
             " uninvolved cases read in a calendar month; working hours " +
             EV(At(p, "working_hours")) + ".</p>\n";
    return out + (t.size() == 0 ? "<p class=\"none\" id=\"" + Anchor(id) + "\">None.</p>\n"
                                : t.Html(id));
  }
  if (At(f, "subjects").is_array()) {  // FLAG-RETENTION
    GridTable t(caption + " subjects", {"Subject (pseudonymous)", "Due", "Reason"});
    for (const Json& s : Items(f, "subjects"))
      t.Row({IdSpan(At(s, "subject")), EV(At(s, "due")), EV(At(s, "reason"))});
    return t.size() == 0 ? "<p class=\"none\" id=\"" + Anchor(id) + "\">None.</p>\n" : t.Html(id);
  }
  GridTable t(caption + " cases", {"Case (pseudonymous)", "About seq", "Due (UTC)"});
  for (const Json& c : Items(f, "cases"))
    t.Row({IdSpan(At(c, "case")), EV(At(c, "seq")), EV(At(c, "due"))});
  return t.size() == 0 ? "<p class=\"none\" id=\"" + Anchor(id) + "\">None.</p>\n" : t.Html(id);
}

std::string AuditFlags(const Json& flags) {
  std::string out = "<section id=\"flags\">\n<h2>Flags</h2>\n"
                    "<p>Not refusals, but duties missed or anomalies (DESIGN §5.2). Cases and "
                    "subjects by pseudonymous id only.</p>\n";
  GridTable summary("Flags and their counts", {"Flag", "Kind", "Count"});
  std::vector<std::string> order;  // flags in order of first appearance
  std::map<std::string, std::vector<const Json*>> by_flag;
  for (const Json& f : AsArray(flags)) {
    const std::string flag = Str(f, "flag", "unknown");
    if (!by_flag.contains(flag)) order.push_back(flag);
    by_flag[flag].push_back(&f);
    const Json& n = At(f, "count");
    const bool zero = n.is_number_unsigned() && n.get<std::uint64_t>() == 0;
    summary.Row({"<a href=\"#flag-" + Anchor(flag) + "\">" + E(flag) + "</a>",
                 E(Readable(Str(f, "kind"))),
                 zero ? "0" : "<span class=\"bad\">" + EV(n) + "</span>"});
  }
  out += summary.Html("flags-summary");
  for (const std::string& flag : order) {
    out += "<section id=\"flag-" + Anchor(flag) + "\">\n<h3>" + E(flag) + "</h3>\n";
    if (const std::string_view m = FlagMeaning(flag); !m.empty())
      out += "<p>" + E(m) + ".</p>\n";
    for (const Json* f : by_flag[flag]) out += FlagCasesTable(*f);
    out += "</section>\n";
  }
  return out + "</section>\n";
}

std::string RuleCounts(const Json& by_rule) {
  std::string out;
  if (!by_rule.is_object()) return out;
  for (const auto& [rule, n] : by_rule.items())
    out += (out.empty() ? "" : ", ") + E(rule) + " " + EV(n);
  return out;
}

std::string AuditRefusals(const Json& r) {
  std::string out = "<section id=\"refusals\">\n<h2>Refusals</h2>\n";
  out += "<p>Commands refused by a rule of law: " + EV(At(r, "total")) +
         " (each stored only as its policy.refused record).</p>\n";
  GridTable by_rule("Refusals by rule", {"Rule", "Refusals"});
  if (At(r, "by_rule").is_object())
    for (const auto& [rule, n] : At(r, "by_rule").items()) by_rule.Row({E(rule), EV(n)});
  out += by_rule.size() == 0 ? "<p class=\"none\">No refusals.</p>\n" : by_rule.Html("refusals-by-rule");
  GridTable by_user("Refusals by user (most first)", {"User (pseudonymous)", "Refusals", "By rule"});
  for (const Json& u : Items(r, "by_user"))
    by_user.Row({IdSpan(At(u, "user")), EV(At(u, "refusals")), RuleCounts(At(u, "by_rule"))});
  if (by_user.size() > 0) out += by_user.Html("refusals-by-user");
  if (!At(r, "unreadable_records").is_null())
    out += "<p class=\"bad\">Unreadable records: " + EV(At(r, "unreadable_records")) +
           " (see Integrity).</p>\n";
  return out + "</section>\n";
}

// Seqs as text: "2, 3, 6", and "and N more" beyond the listed ones.
std::string SeqList(const Json& seqs, const Json& more) {
  std::string out;
  for (const Json& s : AsArray(seqs)) out += (out.empty() ? "" : ", ") + EV(s);
  if (more.is_number_unsigned() && more.get<std::uint64_t>() > 0)
    out += " and " + EV(more) + " more";
  return out.empty() ? "-" : out;
}

std::string AuditHeaders(const Json& h) {
  std::string out = "<section id=\"headers\">\n<h2>Clear headers</h2>\n";
  out += "<p>Every event's clear header checked against today's schema: " +
         EV(At(h, "checked")) + " checked, " + EV(At(h, "failing")) +
         " fail. A log written by an older build may hold values in clear that today's "
         "schema refuses; they are named here by seq only. The DPO retracts them "
         "(<code>record.retracted</code>); the clear bytes stay in the signed log "
         "(docs/privacy.md).</p>\n";
  GridTable t("Headers that fail today's schema, by type", {"Type", "Events", "Seqs"});
  for (const Json& f : Items(h, "by_type"))
    t.Row({E(Str(f, "type")), "<span class=\"bad\">" + EV(At(f, "count")) + "</span>",
           SeqList(At(f, "seqs"), At(f, "more"))});
  out += t.size() == 0 ? "<p class=\"none\" id=\"headers-by-type\">None: every header passes.</p>\n"
                       : t.Html("headers-by-type");
  const Json& rb = At(h, "rule_breaking");
  const Json& n = At(rb, "count");
  if (n.is_number_unsigned() && n.get<std::uint64_t>() > 0) {
    KeyValueTable r("Corrections that pass the schema but would break a rule");
    r.Row("Corrections", "<span class=\"bad\">" + EV(n) + "</span>", true);
    r.Row("By rule", RuleCounts(At(rb, "by_rule")));
    r.Row("Seqs", SeqList(At(rb, "seqs"), At(rb, "more")));
    out += r.Html("headers-rule-breaking");
  } else {
    out += "<p class=\"none\" id=\"headers-rule-breaking\">No correction breaks a rule.</p>\n";
  }
  return out + "</section>\n";
}

std::string IdList(const Json& a) {
  if (!a.is_array() || a.empty()) return "<span class=\"none\">none</span>";
  std::string out;
  for (const Json& s : a) out += (out.empty() ? "" : ", ") + IdSpan(s);
  return out;
}

std::string AuditErasures(const Json& e) {
  std::string out = "<section id=\"erasures\">\n<h2>Erasures</h2>\n";
  KeyValueTable t("Erasures done, made final on disk, and pending");
  t.Row("Erased subjects (in the log)", EV(At(e, "erased_subjects")), true);
  t.Row("Data keys destroyed", EV(At(e, "keys_destroyed")), true);
  t.Row("Made final on disk", EV(At(e, "made_final")), true);
  t.Row("Pending (not final until keys rotate)", EV(At(e, "pending")), true);
  t.Row("Pending owners", IdList(At(e, "pending_owners")));
  const Json& live = At(e, "erased_but_key_live");
  t.Row("Erased subjects whose key is live",
        live.is_array() && live.empty()
            ? "<span class=\"ok\">none</span>"
            : "<span class=\"bad\">BROKEN ERASURE: </span>" + IdList(live));
  t.Row("Advice", EV(At(e, "advice")));
  return out + t.Html() + "</section>\n";
}

std::string SubjectsTable(const Json& a, const std::string& caption, const std::string& id) {
  GridTable t(caption, {"Subject (pseudonymous)", "Due (UTC)", "Reason"});
  for (const Json& s : AsArray(a))
    t.Row({IdSpan(At(s, "subject")), EV(At(s, "due")), EV(At(s, "reason"))});
  return t.size() == 0 ? "<p class=\"none\">" + E(caption) + ": none.</p>\n" : t.Html(id);
}

std::string AuditRetention(const Json& r) {
  std::string out = "<section id=\"retention\">\n<h2>Retention backlog</h2>\n";
  const Json& p = At(r, "policy");
  KeyValueTable t("Retention (DESIGN §7.3)");
  t.Row("Unfounded concern: erase after (days)", EV(At(p, "unfounded_days")), true);
  t.Row("Closed case: erase after (years)", EV(At(p, "closed_years")), true);
  const Json& set_at = At(p, "set_at_seq");
  t.Row("Policy set at seq",
        set_at.is_number_unsigned() && set_at.get<std::uint64_t>() == 0 ? "the defaults"
                                                                          : EV(set_at));
  t.Row("Subjects due now (FLAG-RETENTION)", EV(At(r, "due")), true);
  out += t.Html();
  out += SubjectsTable(At(r, "held"), "Held by a legal hold", "retention-held");
  out += SubjectsTable(At(r, "due_within_30_days"), "Due within 30 days", "retention-soon");
  return out + "</section>\n";
}

std::string AuditResponse(const Json& r) {
  std::string out = "<section id=\"response-24h\">\n<h2>Reaction within 24 hours</h2>\n";
  GridTable t("The 24-hour response rate", {"Figure", "Value", "Goal (source papers)"});
  const Json& pct = At(r, "percent");
  t.Row({"Concerns whose 24 hours have passed", EV(At(r, "concerns_due")), ""});
  t.Row({"Responded within 24 hours", EV(At(r, "within_24h")), ""});
  t.Row({"Share", pct.is_string() ? E(pct.get<std::string>() + " %") : "-",
         "100 % - " + E(Str(r, "goal", "a reaction within 24 hours on every concern"))});
  return out + t.Html() + "</section>\n";
}

std::string AuditTiming(const Json& report) {
  std::string out = "<section id=\"timing\">\n<h2>Timing</h2>\n";
  KeyValueTable t("How long each part of the audit took (milliseconds)");
  const Json& timing = At(report, "timing");
  if (timing.is_object())
    for (const auto& [part, ms] : timing.items()) t.Row(Readable(part), EV(ms), true);
  out += t.Html();
  const Json& nc = At(report, "not_covered");
  if (nc.is_array() && !nc.empty()) {
    out += "<h3 id=\"not-covered\">Not covered by this report</h3>\n<ul>";
    for (const Json& n : nc) out += "<li>" + EV(n) + "</li>";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

// --- Statistics ----------------------------------------------------------------

std::string CellHtml(const Json& v) {
  if (v.is_null()) return "<span class=\"suppressed\" title=\"suppressed (ROL-3)\">&lt; 5</span>";
  return EV(v);
}

std::string ShareHtml(const Json& s) {
  if (!s.is_object()) return "<span class=\"suppressed\">not shown</span>";
  return E(Str(s, "percent")) + " (" + EV(At(s, "numerator")) + " of " +
         EV(At(s, "denominator")) + ")";
}

// Rows of a group {key: cell} (closed-list codes) and its total.
std::string GroupTable(const Json& cells, const Json& total, const std::string& caption,
                       const std::string& key_header, const std::string& total_label,
                       const std::string& id) {
  GridTable t(caption, {key_header, "Count"});
  if (cells.is_object())
    for (const auto& [k, v] : cells.items()) t.Row({E(Readable(k)), CellHtml(v)});
  t.Row({"<strong>" + E(total_label) + "</strong>", "<strong>" + CellHtml(total) + "</strong>"});
  return t.Html(id);
}

std::string StatsYear(const Json& y) {
  const std::string year = Plain(At(y, "year"));
  const std::string id = "year-" + Anchor(year);
  std::string out = "<section id=\"" + id + "\">\n<h2>Year " + E(year) + "</h2>\n";
  const Json& concerns = At(y, "concerns");
  const Json& as = At(y, "assessments");
  const Json& r24 = At(y, "response_24h");
  const Json& iv = At(y, "interventions");
  const Json& pr = At(y, "progression_6m");
  const Json& di = At(y, "disclosures");
  const Json& rf = At(y, "refusals");

  GridTable key("Key figures of " + year + " and the goals of the source papers",
                {"Figure", "Value", "Goal (source papers)"});
  key.Row({"Reaction within 24 hours", ShareHtml(At(r24, "share")),
           "100 % - " + E(Str(r24, "goal", "a reaction within 24 hours on every concern"))});
  key.Row({"Progression after 6 months (" + E(Readable([&] {
             std::string k;
             for (const Json& s : Items(pr, "kinds")) k += (k.empty() ? "" : ", ") + Plain(s);
             return k;
           }())) + ")",
           ShareHtml(At(pr, "share")),
           E(Str(pr, "goal", "progression after 6 months")) +
               " on the risk and protective factors of the national assessment tool"});
  key.Row({"Founded share (of the founded and unfounded)", ShareHtml(At(as, "founded_share")),
           "no goal; the papers report about 10 % (2016) and 25 % (2018)"});
  out += key.Html(id + "-goals");

  out += GroupTable(At(concerns, "by_source"), At(concerns, "total"),
                    "Concerns reported in " + year + ", by source", "Source", "All concerns",
                    id + "-concerns");

  GridTable a("Assessments of the concerns of " + year + " (latest outcome)", {"Outcome", "Count"});
  for (const char* k : {"founded", "unfounded", "more_information", "not_assessed"})
    a.Row({E(Readable(k)), CellHtml(At(as, k))});
  // `assessed` is derived: blank when hidden (docs/statistics.md, rule 4).
  a.Row({"<strong>assessed</strong>",
         At(as, "assessed").is_null() ? "<span class=\"suppressed\">not shown</span>"
                                      : "<strong>" + EV(At(as, "assessed")) + "</strong>"});
  a.Row({"founded share", ShareHtml(At(as, "founded_share"))});
  out += a.Html(id + "-assessments");

  GridTable r("Reaction within 24 hours on the concerns of " + year,
              {"Figure", "Count", "Goal (source papers)"});
  r.Row({"within 24 hours", CellHtml(At(r24, "within_24h")), ""});
  r.Row({"later or not at all", CellHtml(At(r24, "later_or_none")), ""});
  r.Row({"<strong>concerns</strong>", "<strong>" + CellHtml(At(r24, "concerns")) + "</strong>", ""});
  r.Row({"share within 24 hours", ShareHtml(At(r24, "share")),
         "100 % - " + E(Str(r24, "goal", "a reaction within 24 hours on every concern"))});
  out += r.Html(id + "-response-24h");

  out += GroupTable(At(iv, "by_kind"), At(iv, "total"), "Interventions started in " + year + ", by kind",
                    "Kind", "All interventions", id + "-interventions");

  GridTable p("Progression after 6 months of the interventions of " + year,
              {"Figure", "Count", "Goal (source papers)"});
  p.Row({"progressed", CellHtml(At(pr, "progressed")), ""});
  p.Row({"not progressed", CellHtml(At(pr, "not_progressed")), ""});
  p.Row({"<strong>judged</strong>", "<strong>" + CellHtml(At(pr, "judged")) + "</strong>", ""});
  p.Row({"share progressed", ShareHtml(At(pr, "share")),
         E(Str(pr, "goal", "progression after 6 months"))});
  out += p.Html(id + "-progression");

  out += GroupTable(At(di, "by_recipient"), At(di, "total"),
                    "Disclosures made in " + year + ", by recipient", "Recipient",
                    "All disclosures", id + "-disclosures-recipient");
  out += GroupTable(At(di, "by_basis"), At(di, "total"),
                    "Disclosures made in " + year + ", by legal basis", "Legal basis",
                    "All disclosures", id + "-disclosures-basis");
  out += GroupTable(At(rf, "by_rule"), At(rf, "total"), "Refused commands in " + year + ", by rule",
                    "Rule", "All refusals", id + "-refusals");
  return out + "</section>\n";
}

// --- History -------------------------------------------------------------------

std::string SeqLink(const Json& seq) {
  const std::string s = Plain(seq);
  return "<a href=\"#seq-" + Anchor(s) + "\">seq " + E(s) + "</a>";
}

// The clear header as a list of key: value (nested values as compact JSON).
std::string HeaderHtml(const Json& h) {
  if (!h.is_object() || h.empty()) return "<span class=\"none\">-</span>";
  std::string out = "<ul class=\"h\">";
  for (const auto& [k, v] : h.items())
    out += "<li><code>" + E(k) + "</code>: " + EV(v) + "</li>";
  return out + "</ul>";
}

std::string VerificationHtml(const Json& v) {
  if (!v.is_object()) return "<span class=\"none\">not checked</span>";
  std::string out;
  out += True(v, "signature_valid")
             ? "<span class=\"ok\">signature valid</span>"
             : "<span class=\"bad\">SIGNATURE INVALID</span>: " + E(Str(v, "signature_problem"));
  out += "<br>";
  out += True(v, "included")
             ? "<span class=\"ok\">included in the checkpoint of size " + EV(At(v, "tree_size")) +
                   "</span>"
             : "<span class=\"bad\">NOT INCLUDED</span>: " + E(Str(v, "inclusion_problem"));
  return out;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
          // Control characters other than tab, newline and return are not
          // allowed in HTML text.
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            out += "\xEF\xBF\xBD";
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF)
    // is copied; anything else becomes U+FFFD, one byte at a time.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0u) != 0x80u) ok = false;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    if (ok) {
      const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
      ok = !overlong && !surrogate && cp <= 0x10FFFF;
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string AuditHtml(const Json& audit) {
  const Json& in = At(audit, "integrity");
  const bool verified = True(in, "verified");
  const Json& cons = At(in, "consistency");
  const bool consistent = !cons.is_object() || True(cons, "consistent");
  std::string body;
  body += "<header>\n<h1>Compliance audit</h1>\n<p class=\"meta\">Log <span class=\"id\">" +
          E(Str(audit, "origin", "(origin not reported)")) + "</span>, generated at " +
          E(Str(audit, "generated_at", "(time not reported)")) + " (UTC). " +
          EV(At(audit, "cases")) + " cases; projections built to " +
          EV(At(audit, "projections_built_to")) +
          " events. Clear headers only: no case content was read, and cases, subjects and "
          "users appear by pseudonymous id only.</p>\n";
  std::string headline = "The log verifies";
  std::string detail = EV(At(in, "events_verified")) + " events and " +
                       EV(At(in, "checkpoints_verified")) + " checkpoints verified.";
  if (!verified) {
    headline = "THE LOG DOES NOT VERIFY";
    if (At(in, "first_bad_seq").is_number_unsigned())
      headline += ": first bad seq " + Plain(At(in, "first_bad_seq"));
    detail = Str(in, "problem", "integrity not reported");
  }
  body += "<div id=\"verdict\">\n" + Verdict(verified, headline, detail);
  if (!consistent)
    body += Verdict(false, "NOT CONSISTENT WITH THE PREVIOUS CHECKPOINT", Str(cons, "problem"));
  body += "</div>\n</header>\n";
  body += Nav({{"integrity", "Integrity"},
               {"flags", "Flags"},
               {"refusals", "Refusals"},
               {"headers", "Clear headers"},
               {"erasures", "Erasures"},
               {"retention", "Retention"},
               {"response-24h", "24-hour response"},
               {"timing", "Timing"}});
  body += "<main>\n";
  body += AuditIntegrity(in);
  body += AuditFlags(At(audit, "flags"));
  body += AuditRefusals(At(audit, "refusals"));
  body += AuditHeaders(At(audit, "headers"));
  body += AuditErasures(At(audit, "erasures"));
  body += AuditRetention(At(audit, "retention"));
  body += AuditResponse(At(audit, "response_24h"));
  body += AuditTiming(audit);
  body += "</main>\n<footer>caseledger compliance audit (DESIGN §10; docs/audit.md). Rendered "
          "from the audit's JSON document; the same document is <code>caseledger audit "
          "--json</code> and <code>GET /v1/audit</code>.</footer>\n";
  return Page(!verified     ? "Compliance audit: THE LOG DOES NOT VERIFY"
              : !consistent ? "Compliance audit: NOT CONSISTENT WITH THE PREVIOUS CHECKPOINT"
                            : "Compliance audit: the log verifies",
              body);
}

std::string StatsHtml(const Json& stats) {
  const Json& years = Items(stats, "years");
  std::string title = "Statistics";
  if (years.size() == 1) title += " " + Plain(At(years[0], "year"));
  std::string body = "<header>\n<h1>" + E(title) + "</h1>\n<p class=\"meta\">DESIGN §8: UTC "
                     "calendar years; aggregates only, cells under " +
                     E(At(stats, "min_cell").is_null() ? "5" : Plain(At(stats, "min_cell"))) +
                     " suppressed (ROL-3). Nothing is grouped or counted by a grounds or context "
                     "code.</p>\n</header>\n";
  if (years.size() > 1) {
    std::vector<std::pair<std::string, std::string>> links;
    for (const Json& y : years) links.emplace_back("year-" + Plain(At(y, "year")), Plain(At(y, "year")));
    body += Nav(links);
  }
  body += "<main>\n";
  if (years.empty())
    body += "<p class=\"none\">No statistics: the log has no concerns, interventions, "
            "disclosures or refusals yet.</p>\n";
  for (const Json& y : years) body += StatsYear(y);
  body += "</main>\n<footer><p id=\"suppression\"><span class=\"suppressed\">&lt; 5</span>: "
          "suppressed (ROL-3) - a count from 1 to 4, or a cell hidden so that such a count "
          "cannot be computed back from the total. A share is shown only over published cells "
          "with a denominator of at least 5 (otherwise \"not shown\"). Definitions: "
          "docs/statistics.md. The same figures are <code>caseledger stats --json</code> and "
          "<code>GET /v1/stats</code>.</p></footer>\n";
  return Page(title, body);
}

std::string CaseHistoryHtml(const Json& doc) {
  const std::string case_id = Str(doc, "case", "(case not named)");
  const Json& entries = Items(doc, "entries");
  const Json& ver = At(doc, "verification");
  const Json& cp = At(doc, "checkpoint");
  std::string body = "<header>\n<h1>Case history <span class=\"id\">" + E(case_id) +
                     "</span></h1>\n<p class=\"meta\">";
  if (At(doc, "origin").is_string()) body += "Log <span class=\"id\">" + E(Str(doc, "origin")) + "</span>. ";
  if (At(doc, "generated_at").is_string()) body += "Generated at " + E(Str(doc, "generated_at")) + ". ";
  body += std::to_string(entries.size()) +
          " events in log order; times in UTC. Clear headers only: no body is shown, and "
          "users appear by pseudonymous id.</p>\n";
  if (ver.is_object()) {
    const bool all = True(ver, "all_verified");
    const std::string n = Plain(At(ver, "events"));
    std::uint64_t bad = 0;
    if (At(ver, "events").is_number_unsigned() && At(ver, "verified").is_number_unsigned()) {
      const std::uint64_t events = At(ver, "events").get<std::uint64_t>();
      const std::uint64_t verified = At(ver, "verified").get<std::uint64_t>();
      bad = events > verified ? events - verified : 0;
    }
    body += "<div id=\"verdict\">\n" +
            (all ? Verdict(true, "All " + n + " events verify",
                           "Each signature is valid and each event is included in the latest "
                           "signed checkpoint (size " + Plain(At(cp, "size")) + ").")
                 : Verdict(false,
                           bad > 0 ? std::to_string(bad) + " OF " + n + " EVENTS DO NOT VERIFY"
                                   : "THE CHECKPOINT DOES NOT VERIFY",
                           Str(cp, "problem", "see the verification column"))) +
            "</div>\n";
  } else {
    body += "<div id=\"verdict\">\n" +
            Verdict(false, "NOT VERIFIED", "this document carries no verification status") +
            "</div>\n";
  }
  body += "</header>\n<main>\n";

  if (cp.is_object()) {
    body += "<section id=\"checkpoint\">\n<h2>Latest signed checkpoint</h2>\n";
    KeyValueTable t("The checkpoint each event's inclusion is proved against");
    t.Row("Tree size", EV(At(cp, "size")), true);
    t.Row("Root (base64)", At(cp, "root").is_string() ? IdSpan(At(cp, "root")) : "-");
    t.Row("Note signature", OkBad(True(cp, "signature_valid"), "valid",
                                  "INVALID: " + Str(cp, "problem")));
    body += t.Html();
    if (At(cp, "note").is_string())
      body += "<pre class=\"note\">" + EV(At(cp, "note")) + "</pre>\n";
    body += "</section>\n";
  }

  body += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
  GridTable t("Every event of the case, in log order",
              {"Seq", "Time (UTC)", "Actor (role)", "Type", "Clear header", "Rules checked",
               "Corrections", "Verification"});
  t.Layout("timeline", {"seq", "time", "actor", "type", "h", "rules", "links", "ver"});
  for (const Json& e : entries) {
    const Json& seq = At(e, "seq");
    const std::string type = Str(e, "type");
    const bool retracted = !At(e, "retracted_by").is_null();
    std::string links;
    if (!At(e, "target").is_null())
      links += (type == "record.retracted" ? "retracts " : "corrects ") + SeqLink(At(e, "target"));
    for (const Json& c : Items(e, "corrected_by"))
      links += std::string(links.empty() ? "" : "<br>") + "corrected by " + SeqLink(c);
    if (retracted)
      links += std::string(links.empty() ? "" : "<br>") +
               "<span class=\"bad\">RETRACTED</span> by " + SeqLink(At(e, "retracted_by"));
    std::string rules;
    for (std::string_view r : projections::RulesCheckedOn(type))
      rules += (rules.empty() ? "" : ", ") + E(r);
    // Deliberately no "body": the timeline shows clear headers only.
    t.Row({"<a href=\"#seq-" + Anchor(Plain(seq)) + "\">" + EV(seq) + "</a>", EV(At(e, "time")),
           IdSpan(At(e, "actor")) + "<br>(" + EV(At(e, "role")) + ")",
           "<span class=\"type\">" + E(type) + "</span>" + (retracted ? " (retracted)" : ""),
           HeaderHtml(At(e, "h")), rules.empty() ? "-" : rules, links.empty() ? "-" : links,
           VerificationHtml(At(e, "verification"))},
          " id=\"seq-" + Anchor(Plain(seq)) + "\"" + (retracted ? " class=\"retracted\"" : ""));
  }
  body += t.Html("events") + "</section>\n";
  body += "</main>\n<footer>caseledger case history (docs/history.md). \"Rules checked\": the "
          "rules of law the policy engine checks before an event of that type is stored "
          "(docs/rules.md). \"Signature valid\": the node's Ed25519 signature over the event "
          "verifies under the log's verifier key. \"Included\": the event, hashed from its "
          "stored bytes, is proved by an RFC 9162 inclusion proof to be in the tree of the "
          "latest signed checkpoint.</footer>\n";
  return Page("Case history " + case_id, body);
}

namespace {

std::string StrList(const Json& a) {
  std::string out;
  for (const Json& v : AsArray(a)) out += (out.empty() ? "" : ", ") + EV(v);
  return out.empty() ? "-" : out;
}

std::string RequestLink(const Json& seq) {
  return "<a href=\"#request-" + Anchor(Plain(seq)) + "\">" + EV(seq) + "</a>";
}

std::string FindingsHtml(const Json& findings) {
  std::string out;
  for (const Json& f : AsArray(findings))
    out += "<li><strong>" + E(Str(f, "code")) + "</strong> (" + E(Str(f, "rule")) + ", seq " +
           EV(At(f, "seq")) + "): " + E(Str(f, "detail")) + "</li>";
  return out.empty() ? "<span class=\"ok\">none</span>" : "<ul>" + out + "</ul>";
}

std::string StepsHtml(const Json& steps, std::string_view what) {
  std::string out;
  for (const Json& x : AsArray(steps)) {
    std::string line = "seq " + EV(At(x, "seq")) + ", " + EV(At(x, "time"));
    if (what == "decision")
      line += ": " + std::string(True(x, "approved") ? "approved" : "rejected") + " by " +
              IdSpan(At(x, "actor")) + " (" + EV(At(x, "role")) + ")";
    else if (what == "made")
      line += " by " + IdSpan(At(x, "actor")) + " via " + EV(At(x, "channel"));
    else
      line += ": " + EV(At(x, "verdict")) + " by " + IdSpan(At(x, "actor"));
    out += "<li>" + line + "</li>";
  }
  return out.empty() ? "-" : "<ul>" + out + "</ul>";
}

}  // namespace

std::string RegisterHtml(const Json& doc) {
  const Json& entries = Items(doc, "disclosures");
  const Json& with = At(doc, "with_findings");
  const bool clean = with.is_number_integer() && with.get<std::int64_t>() == 0;
  std::string body;
  body += "<header>\n<h1>Disclosure register</h1>\n<p class=\"meta\">As of " +
          E(Str(doc, "as_of", "(time not reported)")) + " (UTC); legal-basis registry " +
          E(Str(doc, "registry_version", "(not reported)")) + "; " + EV(At(doc, "count")) +
          " disclosure requests. Each step is re-checked against the case as it stood just "
          "before it. Clear headers only: cases and users appear by pseudonymous id; a written "
          "balancing or necessity statement is for the reviewer to read in the case.</p>\n";
  body += "<div id=\"verdict\">\n" +
          Verdict(clean, clean ? "No automatic findings" : Plain(with) + " disclosures with findings",
                  clean ? "Every check below passed for every selected disclosure."
                        : "Listed under Findings; each names its rule and the step it is about.") +
          "</div>\n</header>\n";
  body += Nav({{"checks", "Checks"}, {"findings", "Findings"}, {"disclosures", "All disclosures"}});
  body += "<main>\n<section id=\"checks\">\n<h2>Checks</h2>\n";
  GridTable checks("What the register checks, and how often it was found",
                   {"Finding", "Rule", "What must hold", "Found"});
  for (const Json& c : Items(doc, "checks")) {
    const bool none = At(c, "found").is_number_integer() && At(c, "found").get<std::int64_t>() == 0;
    checks.Row({E(Str(c, "code")), E(Str(c, "rule")), E(Str(c, "checks")),
                none ? "0" : "<span class=\"bad\">" + EV(At(c, "found")) + "</span>"});
  }
  body += checks.Html("checks-table") + "</section>\n";

  body += "<section id=\"findings\">\n<h2>Findings</h2>\n";
  GridTable found("Disclosures with automatic findings",
                  {"Request", "Case", "Recipient", "Basis", "Status", "Migrated", "Findings"});
  for (const Json& d : entries) {
    if (Items(d, "findings").empty()) continue;
    found.Row({RequestLink(At(d, "request")), IdSpan(At(d, "case")), EV(At(d, "recipient")),
               EV(At(d, "basis")), EV(At(d, "status")),
               True(d, "legacy") ? "yes" : "no",
               FindingsHtml(At(d, "findings"))});
  }
  body += found.size() == 0 ? "<p>None.</p>\n" : found.Html("findings-table");
  body += "</section>\n";

  body += "<section id=\"disclosures\">\n<h2>All disclosures</h2>\n";
  GridTable all("Every disclosure request, in case and request order",
                {"Request", "Case", "Requested", "Recipient and basis", "Categories and purpose",
                 "Drew on", "Decisions", "Made", "Reviews", "Findings"});
  for (const Json& d : entries) {
    std::string drew;
    for (const Json& x : Items(d, "drew_on")) {
      drew += "<li>seq " + EV(At(x, "seq")) + " " + EV(At(x, "type"));
      if (At(x, "basis").is_string()) drew += " (" + EV(At(x, "from")) + ", " + EV(At(x, "basis")) + ")";
      drew += "</li>";
    }
    all.Row({RequestLink(At(d, "request")), IdSpan(At(d, "case")),
             EV(At(d, "time")) + " by " + IdSpan(At(d, "requester")) + " (" +
                 EV(At(d, "requester_role")) + ")",
             EV(At(d, "recipient")) + "<br>" + EV(At(d, "basis")) + " (registry " +
                 EV(At(d, "registry_version")) + ")" +
                 (At(d, "basis_citation").is_string() ? "<br><small>" + EV(At(d, "basis_citation")) + "</small>" : ""),
             StrList(At(d, "categories")) + "<br>purpose " + EV(At(d, "purpose")) +
                 (Str(d, "threshold").empty() ? "" : ", threshold " + E(Str(d, "threshold"))),
             drew.empty() ? "-" : "<ul>" + drew + "</ul>", StepsHtml(At(d, "decisions"), "decision"),
             StepsHtml(At(d, "made"), "made"), StepsHtml(At(d, "reviews"), "review"),
             FindingsHtml(At(d, "findings"))},
            " id=\"request-" + Anchor(Plain(At(d, "request"))) + "\"");
  }
  body += all.size() == 0 ? "<p>No disclosure requests.</p>\n" : all.Html("disclosures-table");
  body += "</section>\n</main>\n<footer>caseledger disclosure register (DESIGN §8, §10; "
          "docs/disclosures.md). Rendered from the register's JSON document; the same document "
          "is <code>caseledger disclosures --json</code> and <code>GET /v1/disclosures</code>."
          "</footer>\n";
  return Page(clean ? "Disclosure register: no automatic findings"
                    : "Disclosure register: " + Plain(with) + " disclosures with findings",
              body);
}

}  // namespace caseledger::app
