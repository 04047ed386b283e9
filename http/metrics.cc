#include "http/metrics.h"

#include <cstdio>
#include <tuple>

namespace caseledger::http {

namespace {

std::string Seconds(std::uint64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(micros) / 1e6);
  return buf;
}

std::string RouteLabel(std::string_view route) {
  return route.empty() ? std::string("unmatched") : std::string(route);
}

template <std::size_t N>
void HistogramLines(std::string& out, const std::string& name,
                    const std::string& labels,
                    const std::array<std::uint64_t, N>& bounds,
                    const std::array<std::uint64_t, N>& cumulative,
                    std::uint64_t count, const std::string& sum, bool seconds) {
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < N; ++i) {
    const std::string le = seconds ? Seconds(bounds[i]) : std::to_string(bounds[i]);
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " +
           std::to_string(cumulative[i]) + "\n";
  }
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count) + "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + sum + "\n";
  out += name + "_count" + braces + " " + std::to_string(count) + "\n";
}

}  // namespace

void Metrics::ObserveRequest(std::string_view method, std::string_view route,
                             int status, std::uint64_t micros) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(method), RouteLabel(route), status}];
  Histogram& h = latency_[RouteLabel(route)];
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i)
    if (micros <= kLatencyBounds[i]) ++h.buckets[i];
  ++h.count;
  h.sum_micros += micros;
}

void Metrics::ObserveRefusal(std::string_view rule) {
  std::lock_guard lock(mu_);
  ++refusals_[std::string(rule)];
}

void Metrics::ObserveAccessRecord() {
  std::lock_guard lock(mu_);
  ++access_records_;
}

namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void RenderWitnessing(std::string& out, const app::WitnessingSnapshot& w) {
  out += "# HELP caseledger_witness_quorum Witness cosignatures a checkpoint needs to be served as witnessed.\n";
  out += "# TYPE caseledger_witness_quorum gauge\n";
  out += "caseledger_witness_quorum " + std::to_string(w.quorum) + "\n";
  out += "# HELP caseledger_witnessed_size Size of the newest checkpoint with a witness quorum (0: none).\n";
  out += "# TYPE caseledger_witnessed_size gauge\n";
  out += "caseledger_witnessed_size " + std::to_string(w.witnessed_size) + "\n";
  out += "# HELP caseledger_witness_lag_entries Events the log is ahead of its newest witnessed checkpoint.\n";
  out += "# TYPE caseledger_witness_lag_entries gauge\n";
  out += "caseledger_witness_lag_entries " +
         std::to_string(w.log_size > w.witnessed_size ? w.log_size - w.witnessed_size : 0) + "\n";
  out += "# HELP caseledger_witness_lag_seconds How long the log has been ahead of its newest witnessed checkpoint.\n";
  out += "# TYPE caseledger_witness_lag_seconds gauge\n";
  out += "caseledger_witness_lag_seconds " + std::to_string(w.lag_seconds) + "\n";
  out += "# HELP caseledger_witness_cosigned_size The size each witness last cosigned for this log.\n";
  out += "# TYPE caseledger_witness_cosigned_size gauge\n";
  for (const app::WitnessState& x : w.witnesses)
    out += "caseledger_witness_cosigned_size{witness=\"" + LabelValue(x.name) + "\"} " +
           std::to_string(x.cosigned_size) + "\n";
  out += "# HELP caseledger_witness_cosignatures_total Cosignatures received and stored since start, by witness.\n";
  out += "# TYPE caseledger_witness_cosignatures_total counter\n";
  for (const app::WitnessState& x : w.witnesses)
    out += "caseledger_witness_cosignatures_total{witness=\"" + LabelValue(x.name) + "\"} " +
           std::to_string(x.successes) + "\n";
  out += "# HELP caseledger_witness_failures_total Failed add-checkpoint rounds since start, by witness.\n";
  out += "# TYPE caseledger_witness_failures_total counter\n";
  for (const app::WitnessState& x : w.witnesses)
    out += "caseledger_witness_failures_total{witness=\"" + LabelValue(x.name) + "\"} " +
           std::to_string(x.failures) + "\n";
  out += "# HELP caseledger_witness_conflict 1 when a witness holds another history of this log (a fork or rollback).\n";
  out += "# TYPE caseledger_witness_conflict gauge\n";
  for (const app::WitnessState& x : w.witnesses)
    out += "caseledger_witness_conflict{witness=\"" + LabelValue(x.name) + "\"} " +
           (x.conflict ? "1" : "0") + "\n";
}

}  // namespace

std::string Metrics::Render(const Sampled& s) const {
  std::string out;
  std::lock_guard lock(mu_);
  out += "# HELP caseledger_http_requests_total HTTP requests answered, by method, route pattern and status.\n";
  out += "# TYPE caseledger_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out += "caseledger_http_requests_total{method=\"" + method + "\",route=\"" + route +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP caseledger_http_request_duration_seconds Time from a request read to its response, by route pattern.\n";
  out += "# TYPE caseledger_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_)
    HistogramLines(out, "caseledger_http_request_duration_seconds", "route=\"" + route + "\"",
                   kLatencyBounds, h.buckets, h.count, Seconds(h.sum_micros), true);
  out += "# HELP caseledger_policy_refusals_total Commands refused by a rule of law since start, by rule id.\n";
  out += "# TYPE caseledger_policy_refusals_total counter\n";
  for (const auto& [rule, n] : refusals_)
    out += "caseledger_policy_refusals_total{rule=\"" + rule + "\"} " + std::to_string(n) + "\n";
  out += "# HELP caseledger_access_records_total access.read records appended since start.\n";
  out += "# TYPE caseledger_access_records_total counter\n";
  out += "caseledger_access_records_total " + std::to_string(access_records_) + "\n";
  out += "# HELP caseledger_auth_failures_total Failed authentications since start.\n";
  out += "# TYPE caseledger_auth_failures_total counter\n";
  out += "caseledger_auth_failures_total " + std::to_string(s.auth_failures) + "\n";
  out += "# HELP caseledger_auth_throttled_total Authentications refused by throttling since start.\n";
  out += "# TYPE caseledger_auth_throttled_total counter\n";
  out += "caseledger_auth_throttled_total " + std::to_string(s.auth_throttled) + "\n";
  out += "# HELP caseledger_log_size Events in the log.\n";
  out += "# TYPE caseledger_log_size gauge\n";
  out += "caseledger_log_size " + std::to_string(s.log_size) + "\n";
  out += "# HELP caseledger_appends_total Events appended since start (incl. refusal and access records).\n";
  out += "# TYPE caseledger_appends_total counter\n";
  out += "caseledger_appends_total " + std::to_string(s.writer.events) + "\n";
  out += "# HELP caseledger_key_stores_total Keystore transactions (each fsync'd) storing new data keys, pool bindings and top-ups, since start.\n";
  out += "# TYPE caseledger_key_stores_total counter\n";
  out += "caseledger_key_stores_total " + std::to_string(s.writer.key_stores) + "\n";
  out += "# HELP caseledger_key_pool_free Data keys stored ahead of need, ready for new subjects.\n";
  out += "# TYPE caseledger_key_pool_free gauge\n";
  out += "caseledger_key_pool_free " + std::to_string(s.key_pool_free) + "\n";
  out += "# HELP caseledger_writer_refused_total Commands the writer refused since start.\n";
  out += "# TYPE caseledger_writer_refused_total counter\n";
  out += "caseledger_writer_refused_total " + std::to_string(s.writer.refused) + "\n";
  out += "# HELP caseledger_writer_state Whether the writer can append: 1 for its current state "
         "(degraded: writes suspended after a storage failure; failed: restart required).\n";
  out += "# TYPE caseledger_writer_state gauge\n";
  for (auto state : {ledger::WriterHealth::State::kOk, ledger::WriterHealth::State::kDegraded,
                     ledger::WriterHealth::State::kFailed}) {
    out += "caseledger_writer_state{state=\"" + std::string(ledger::StateName(state)) + "\"} " +
           (s.health.state == state ? "1" : "0") + "\n";
  }
  out += "# HELP caseledger_writer_suspensions_total Times writes were suspended by a storage failure since start.\n";
  out += "# TYPE caseledger_writer_suspensions_total counter\n";
  out += "caseledger_writer_suspensions_total " + std::to_string(s.health.suspensions) + "\n";
  out += "# HELP caseledger_storage_failures_total Failed commits, key stores and disk probes since start.\n";
  out += "# TYPE caseledger_storage_failures_total counter\n";
  out += "caseledger_storage_failures_total " + std::to_string(s.health.storage_failures) + "\n";
  out += "# HELP caseledger_writer_probes_total Disk probes while writes were suspended, since start.\n";
  out += "# TYPE caseledger_writer_probes_total counter\n";
  out += "caseledger_writer_probes_total " + std::to_string(s.health.probes) + "\n";
  out += "# HELP caseledger_batch_size_events Events per group commit.\n";
  out += "# TYPE caseledger_batch_size_events histogram\n";
  HistogramLines(out, "caseledger_batch_size_events", "", ledger::WriterStats::kBatchSizeBounds,
                 s.writer.batch_sizes, s.writer.batches, std::to_string(s.writer.events), false);
  out += "# HELP caseledger_commit_duration_seconds Duration of a group commit incl. fsync.\n";
  out += "# TYPE caseledger_commit_duration_seconds histogram\n";
  HistogramLines(out, "caseledger_commit_duration_seconds", "",
                 ledger::WriterStats::kCommitMicrosBounds, s.writer.commit_durations,
                 s.writer.batches, Seconds(s.writer.commit_micros), true);
  if (s.witnessing) RenderWitnessing(out, *s.witnessing);
  if (!s.tasks.empty()) {
    // One gauge per field of the tasks, labelled by task.
    auto task_gauge = [&](const char* name, const char* help,
                          std::uint64_t ProgressBoard::Task::*field) {
      out += std::string("# HELP ") + name + " " + help + "\n";
      out += std::string("# TYPE ") + name + " gauge\n";
      for (const ProgressBoard::Task& t : s.tasks)
        out += std::string(name) + "{task=\"" + LabelValue(t.name) + "\"} " +
               std::to_string(t.*field) + "\n";
    };
    task_gauge("caseledger_task_progress_done",
               "Units a long task of the server has done in its current or last run, by task.",
               &ProgressBoard::Task::done);
    task_gauge("caseledger_task_progress_total",
               "Units of that run (0: not known, or nothing to do), by task.",
               &ProgressBoard::Task::total);
  }
  return out;
}

}  // namespace caseledger::http
