// racksim studies: what the cases files of `racksim validate --training` (training_cases.hpp) and
// `racksim validate --inference` (inference_cases.hpp) share: the file's frame (meta.sources, the
// cases, their ids once each), small readers of their keys, the scenario file a mapping writes, the
// summary (per-source medians of |error|, the worst case, the bias) and the parts of the table and
// JSON that do not depend on the kind of case.
//
// The templates take the kind's own types: a case has `id`, `where`, `source`; a mapping has
// `overrides`, `approximations`, `not_expressible` and `expressible()`; a result has `c`,
// `mapping`, `outcome`, `failure`, `error`. Each kind keeps its own reading of a case, its
// mapping, its outcome and its per-case columns.
//
// Pure: no SimGrid, no scenario reader, no processes, no printing (sim/studies/README.md).
#pragma once

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

// `v` joined by `sep`.
[[nodiscard]] std::string join_texts(const std::vector<std::string>& v, const char* sep = ", ");

// The median of `v` (0 for none).
[[nodiscard]] double median_of(std::vector<double> v);

// ---- reading ---------------------------------------------------------------------------------

// The `name` of each entry of a table, in order (the vocabulary a reader accepts).
template <class T, std::size_t N>
std::vector<std::string> names_of(const T (&table)[N]) {
  std::vector<std::string> v;
  for (const auto& e : table) v.emplace_back(e.name);
  return v;
}

// A count of 1 or more (up to 2^50).
[[nodiscard]] std::int64_t positive_count(const ConfigNode& n);
// An optional count; when given, its location is recorded in `where` under `key`.
[[nodiscard]] std::optional<std::int64_t> optional_count(MapReader& r, const char* key,
                                                         std::map<std::string, Location>& where);
// A case's `also`: a map of other published figures; `example` shows one in the message.
[[nodiscard]] std::vector<std::pair<std::string, double>> read_also(const ConfigNode& n, const char* example);
// A case's `source`, which must be an id of meta.sources.
[[nodiscard]] std::string read_source(const ConfigNode& src, const std::set<std::string>& source_ids);

// A cases file: `meta` (title, description, sources: id -> provenance(node)) and `cases`, each
// read by read_case(node, source ids); a case id given twice, or no case, is an InputError.
// `what` names the top-level map in messages ("training-step cases file").
template <class CaseFile, class ReadCase, class Provenance>
CaseFile read_case_file(const ConfigDoc& doc, const char* what, ReadCase read_case, Provenance provenance) {
  CaseFile f;
  f.file = doc.file();
  MapReader top(doc.root(), what);
  MapReader meta(top.required("meta"), "meta");
  if (auto t = meta.optional("title")) (void)t->as_string();
  if (auto d = meta.optional("description")) (void)d->as_string();
  const ConfigNode sources = meta.required("sources");
  if (!sources.is_map()) sources.fail("expected a map of source id -> where its numbers come from");
  std::set<std::string> ids;
  for (const auto& [k, v] : sources.entries()) {
    f.sources.emplace_back(k, provenance(v));
    ids.insert(k);
  }
  meta.finish();
  const ConfigNode cases = top.required("cases");
  std::map<std::string, Location> seen;
  for (const auto& item : cases.items()) {
    auto c = read_case(item, ids);
    if (auto it = seen.find(c.id); it != seen.end())
      item.child("id").fail(fmt::format("case id '{}' is given twice (first at {})", c.id, it->second.str()));
    seen[c.id] = c.where;
    f.cases.push_back(std::move(c));
  }
  if (f.cases.empty()) cases.fail("expected at least one case");
  top.finish();
  return f;
}

// ---- the mapped scenario ---------------------------------------------------------------------

// A scenario file (schema_version 1, `name`, `description`) with the dotted-key overrides set in
// order, as YAML text (without the comment line each kind puts first).
[[nodiscard]] std::string scenario_yaml_of(const std::string& name, const std::string& description,
                                           const std::vector<std::pair<std::string, std::string>>& overrides);

// ---- the summary -----------------------------------------------------------------------------

// The comparison over every case. `optimistic` and `pessimistic` split the compared cases by
// what each kind calls optimistic (training: predicted faster; inference: more throughput or
// less latency).
template <class Result>
struct CaseSummary {
  struct Group {
    std::string source;
    std::size_t cases = 0;  // compared
    double median_abs_error = 0.0;
  };
  std::vector<Group> per_source;  // in the file's order of sources
  std::size_t compared = 0;
  double median_abs_error = 0.0;  // over every compared case
  const Result* worst = nullptr;
  std::size_t optimistic = 0;
  std::size_t pessimistic = 0;
  std::size_t not_expressible = 0;
  std::size_t failed = 0;
};

// The summary of `results`; optimistic(r) says whether a compared case is optimistic.
template <class Result, class Optimistic>
CaseSummary<Result> summarize_cases(const std::vector<Result>& results,
                                    const std::vector<std::pair<std::string, std::string>>& sources,
                                    Optimistic optimistic) {
  CaseSummary<Result> s;
  std::vector<double> all;
  for (const auto& [id, text] : sources) {
    typename CaseSummary<Result>::Group g;
    g.source = id;
    std::vector<double> errs;
    for (const auto& r : results)
      if (r.outcome && r.c->source == id) errs.push_back(std::fabs(r.error));
    g.cases = errs.size();
    g.median_abs_error = median_of(errs);
    if (g.cases > 0) s.per_source.push_back(g);
  }
  for (const auto& r : results) {
    if (!r.mapping.expressible()) ++s.not_expressible;
    else if (!r.outcome) ++s.failed;
    if (!r.outcome) continue;
    all.push_back(std::fabs(r.error));
    (optimistic(r) ? s.optimistic : s.pessimistic) += 1;
    if (!s.worst || std::fabs(r.error) > std::fabs(s.worst->error)) s.worst = &r;
  }
  s.compared = all.size();
  s.median_abs_error = median_of(all);
  return s;
}

// ---- the report ------------------------------------------------------------------------------

// The table's "median |error| per source:" section, through its line for all the cases.
template <class Result>
std::string medians_section(const CaseSummary<Result>& s, double budget) {
  std::string out = "\nmedian |error| per source:\n";
  for (const auto& g : s.per_source)
    out += fmt::format("  {:<32} {:>4} cases  {:>6.1f}%\n", g.source, g.cases, 100.0 * g.median_abs_error);
  const bool pass = s.compared > 0 && s.median_abs_error <= budget;
  out += fmt::format("  {:<32} {:>4} cases  {:>6.1f}% (budget {:.1f}%): {}\n", "all", s.compared,
                     100.0 * s.median_abs_error, 100.0 * budget, pass ? "within budget" : "PAST BUDGET");
  return out;
}

// The table's closing sections: each approximation of the simulated cases with its count (under
// `approximations_heading`), the cases not expressible, the cases not simulated.
template <class Result>
std::string case_lists_section(const std::vector<Result>& results, const CaseSummary<Result>& s,
                               const char* approximations_heading) {
  std::string out;
  std::vector<std::pair<std::string, int>> approx;  // each approximation and its cases, in first-seen order
  for (const auto& r : results) {
    if (!r.outcome) continue;
    for (const auto& a : r.mapping.approximations) {
      auto it = std::find_if(approx.begin(), approx.end(), [&](const auto& p) { return p.first == a; });
      if (it == approx.end()) approx.emplace_back(a, 1);
      else ++it->second;
    }
  }
  if (!approx.empty()) {
    out += fmt::format("\n{}:\n", approximations_heading);
    for (const auto& [a, n] : approx) out += fmt::format("  {:>4}  {}\n", n, a);
  }
  if (s.not_expressible > 0) {
    out += "\nnot expressible in racksim (not simulated):\n";
    for (const auto& r : results)
      if (!r.mapping.expressible())
        out += fmt::format("  {}: {}\n", r.c->id, join_texts(r.mapping.not_expressible, "; "));
  }
  if (s.failed > 0) {
    out += "\nnot simulated (the run refused or failed):\n";
    for (const auto& r : results)
      if (r.mapping.expressible() && !r.outcome) out += fmt::format("  {}: {}\n", r.c->id, r.failure);
  }
  return out;
}

// The JSON's fields before "cases": the files, the budget, the summary, the worst case and the
// medians per source (the object is open).
template <class Result>
void summary_json_fields(JsonWriter& j, const CaseSummary<Result>& s, double budget,
                         const std::vector<std::string>& files) {
  j.key("files").begin_array();
  for (const auto& f : files) j.value(f);
  j.end_array();
  j.field("budget", budget).field("median_abs_error", s.median_abs_error);
  j.field("within_budget", s.compared > 0 && s.median_abs_error <= budget);
  j.field("compared", static_cast<std::uint64_t>(s.compared))
      .field("optimistic", static_cast<std::uint64_t>(s.optimistic));
  j.field("pessimistic", static_cast<std::uint64_t>(s.pessimistic));
  j.field("not_expressible", static_cast<std::uint64_t>(s.not_expressible))
      .field("failed", static_cast<std::uint64_t>(s.failed));
  j.key("worst");
  if (s.worst) j.begin_object().field("id", s.worst->c->id).field("error", s.worst->error).end_object();
  else j.null();
  j.key("per_source").begin_array();
  for (const auto& g : s.per_source)
    j.begin_object()
        .field("source", g.source)
        .field("cases", static_cast<std::uint64_t>(g.cases))
        .field("median_abs_error", g.median_abs_error)
        .end_object();
  j.end_array();
}

// A case's JSON status: not_expressible, simulated or not_simulated.
template <class Result>
const char* case_status(const Result& r) {
  return !r.mapping.expressible() ? "not_expressible" : r.outcome ? "simulated" : "not_simulated";
}

// A case's JSON fields after its outcome: the failure, why not expressible, the approximations
// and the overrides (the case's object is open).
template <class Result>
void case_json_tail(JsonWriter& j, const Result& r) {
  if (!r.failure.empty()) j.field("failure", r.failure);
  j.key("not_expressible_because").begin_array();
  for (const auto& w : r.mapping.not_expressible) j.value(w);
  j.end_array();
  j.key("approximations").begin_array();
  for (const auto& a : r.mapping.approximations) j.value(a);
  j.end_array();
  j.key("overrides").begin_object();
  for (const auto& [key, v] : r.mapping.overrides) j.field(key, v);
  j.end_object();
}

}  // namespace racksim
