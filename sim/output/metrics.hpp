// racksim output: the metrics of a run that `racksim check` compares and `racksim sweep`
// tabulates (docs/check.md lists them), and their exact text form between a child process and
// its parent.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct RunResult;

// The metrics `racksim check` compares, in the order it reports them.
[[nodiscard]] const std::vector<std::string>& check_metric_names();

// The metrics of one run that exist for it (docs/check.md), in check_metric_names() order.
[[nodiscard]] std::vector<std::pair<std::string, double>> check_metrics(const RunResult& r);

// Metrics as text between a child process and its parent: one "name value" line each, the value
// as a hexadecimal float (exact, whatever the locale); and back.
[[nodiscard]] std::string encode_metric_lines(const std::vector<std::pair<std::string, double>>& m);
[[nodiscard]] std::vector<std::pair<std::string, double>> decode_metric_lines(const std::string& text);

}  // namespace racksim
