// HTML reports for people (DESIGN §10: "JSON for machines, HTML for people"):
// the compliance audit, the statistics per year and the timeline of one case,
// each rendered from the very JSON document the CLI's --json and the HTTP
// routes return, so the two can never tell different stories.
// Every page is self-contained: one inline <style>, no JavaScript, no external
// resource (a Content-Security-Policy of default-src 'none' makes the browser
// refuse any), printable, with captions and header scopes on every table.
// Every value taken from a document is escaped (HtmlEscape). The renderers
// read clear headers and codes only: a history entry's "body" is never shown.
// Pure functions of their argument; thread-safe. docs/audit.md,
// docs/statistics.md, docs/history.md.
#pragma once

#include <string>
#include <string_view>

#include "ledger/canonical_json.h"

namespace caseledger::app {

// `text` with & < > " ' replaced by character references, safe in element
// content and in quoted attribute values. Bytes that are not valid UTF-8
// are replaced by U+FFFD.
std::string HtmlEscape(std::string_view text);

// The compliance audit: the JSON of BuildAudit (app/audit.h, docs/audit.md),
// as `caseledger audit --json` prints it and GET /v1/audit returns it.
// Headline "The log verifies" or "THE LOG DOES NOT VERIFY: first bad seq N".
// Sections (stable ids): integrity, flags (one flag-<FLAG> per flag, one
// flag-<FLAG>-<kind> per kind), refusals, erasures, retention, response-24h,
// timing. Missing parts of the document are shown as missing, never guessed.
std::string AuditHtml(const Json& audit);

// The statistics: {"years":[YearStats::ToJson(), …]} (GET /v1/stats), with
// or without "v" and "min_cell" (`caseledger stats --json`). One section
// id="year-<Y>" per year; a suppressed cell (null) is shown as "< 5", a
// suppressed share as "not shown"; the goals of the source papers beside
// their figures.
std::string StatsHtml(const Json& stats);

// The timeline of one case: the document of BuildCaseHistory (app/history.h),
// or the body of GET /v1/cases/{case}/history (with or without
// AddVerification: an entry without "verification" is shown as not checked).
// One row id="seq-<N>" per event: time, actor, role, type, clear header,
// the rules checked on its type, correction and retraction links (#seq-N
// both ways), and the verification status. Bodies are never rendered.
std::string CaseHistoryHtml(const Json& doc);

// The disclosure register: the document of projections::RegisterJson
// (GET /v1/disclosures, `caseledger disclosures --json`). Headline "No
// automatic findings" or "N disclosures with findings"; sections (stable
// ids): checks (every check with its rule and count), findings (each
// disclosure with a finding), disclosures (every entry, one row
// id="request-<seq>"). docs/disclosures.md.
std::string RegisterHtml(const Json& doc);

}  // namespace caseledger::app
