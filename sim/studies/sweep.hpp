// racksim studies: sweeps — the grid of points, the results table and its files (docs/sweep.md).
//
// A sweep varies scenario keys over lists of values (`--axis key=v1,v2,...`); its points are the
// Cartesian product of the axes, numbered in row-major order (the last axis varies fastest).
// Each finished point is one row: the axis values, ok or failed (with why), and the metrics
// `racksim check` compares (check_metric_names()).
//
// Files in a sweep's folder:
//   sweep.json                  the manifest: scenario, --set overrides, axes, point count, and
//                               a hash of the scenario file. A rerun into the same folder must
//                               match it (then it resumes), or it is refused.
//   results.jsonl, results.csv  one row per finished point, appended as points finish (each row
//                               in one write), sorted by point once the sweep is complete.
//   shard-I-of-N.{jsonl,csv}    the same, for `--shard I/N` (points p with p mod N = I - 1);
//                               `racksim merge` joins them into results.{jsonl,csv}.
// results.jsonl holds the metrics at full precision and is what a resume or a merge reads;
// results.csv is the same table for spreadsheets. A line cut short by a kill (no final newline)
// is dropped on resume. Nothing here runs simulations or touches SimGrid.
#pragma once

#include "sim/output/sweep_table.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace racksim {

// Parses one --axis argument: "key=v1,v2,..." where each value is YAML text. Commas inside
// [...], {...} or quotes do not split. An integer range "A..B" or "A..B:S" (S > 0) expands to
// A, A+S, ... up to B. Throws InputError naming the argument on bad syntax, an empty key, an
// empty value, a bad range or a repeated value. A range of more than a million values, or an
// axis of more than `max_values`, is refused before its values are built.
[[nodiscard]] SweepAxis parse_axis(const std::string& arg, std::size_t max_values = 1'000'000);

// The largest sweep grid (points).
inline constexpr std::size_t kMaxSweepPoints = 10'000'000;

// Every --axis argument in order, each parsed with what the grid can still hold (`limit` over the
// product of the axes before it) as its most values, so that the values of a grid too large are
// never built: a command line of many huge ranges is refused at the first axis that passes the
// limit, in the memory of the axes before it. Throws InputError as parse_axis and grid_size do.
[[nodiscard]] std::vector<SweepAxis> parse_axes(const std::vector<std::string>& args, std::size_t limit = kMaxSweepPoints);

// The number of points of the grid; throws InputError when it exceeds `limit`.
[[nodiscard]] std::size_t grid_size(const std::vector<SweepAxis>& axes, std::size_t limit = kMaxSweepPoints);
// The axis values of point `p` (row-major, last axis fastest).
[[nodiscard]] std::vector<std::string> point_values(const std::vector<SweepAxis>& axes, std::size_t p);
// The --set assignments of point `p`: "key=value", in axis order.
[[nodiscard]] std::vector<std::string> point_overrides(const std::vector<SweepAxis>& axes, std::size_t p);

// `--shard I/N`: 1 <= I <= N. Throws InputError otherwise.
struct Shard {
  std::size_t index = 1;  // I
  std::size_t count = 1;  // N
  [[nodiscard]] bool holds(std::size_t point) const { return point % count == index - 1; }
  [[nodiscard]] bool whole() const { return count == 1; }
};
[[nodiscard]] Shard parse_shard(const std::string& text);

// The manifest (sweep.json).
struct SweepManifest {
  std::string scenario;               // as given on the command line
  std::uint64_t scenario_hash = 0;    // FNV-1a 64 of the scenario file's bytes
  std::vector<std::string> sets;      // --set overrides common to every point
  std::vector<SweepAxis> axes;
  std::size_t points = 0;
};
[[nodiscard]] std::string manifest_json(const SweepManifest& m);
// Reads sweep.json (`file` names it in errors).
[[nodiscard]] SweepManifest parse_manifest(const std::string& text, const std::string& file);
// "" when `b` describes the same sweep as `a`, else what differs (for the refusal message).
[[nodiscard]] std::string manifest_difference(const SweepManifest& a, const SweepManifest& b);
[[nodiscard]] std::uint64_t fnv1a64(const std::string& bytes);

// One row as a results.jsonl line (ending in '\n'; metrics at full precision).
[[nodiscard]] std::string row_jsonl(const SweepRow& r);
// One row as a results.csv line (ending in '\n'); columns as csv_header().
[[nodiscard]] std::string row_csv(const SweepRow& r, const std::vector<SweepAxis>& axes);
// "point,<axis keys...>,status,error,<metric names...>\n".
[[nodiscard]] std::string csv_header(const std::vector<SweepAxis>& axes);

// Reads a results.jsonl (or shard) file's text. A last line without its newline (cut short by a
// kill) is dropped and counted in `dropped_partial`. Every row must belong to the manifest's
// grid (point < points, values equal to the grid's); a point may appear twice only with the
// same content (kept once). Throws InputError naming file and line otherwise.
struct ReadRows {
  std::vector<SweepRow> rows;   // in file order, duplicates removed
  bool dropped_partial = false;
};
[[nodiscard]] ReadRows parse_rows(const std::string& text, const std::string& file, const SweepManifest& m);

// The rows sorted by point; a point present twice with different content is an InputError
// naming both files.
struct RowSource {
  std::string file;
  std::vector<SweepRow> rows;
};
[[nodiscard]] std::vector<SweepRow> merge_rows(const std::vector<RowSource>& sources);

// The whole table as results.jsonl and results.csv text (rows in the order given).
[[nodiscard]] std::string table_jsonl(const std::vector<SweepRow>& rows);
[[nodiscard]] std::string table_csv(const std::vector<SweepRow>& rows, const std::vector<SweepAxis>& axes);

// File names in a sweep folder.
[[nodiscard]] std::string results_stem(const Shard& s);  // "results" or "shard-I-of-N"

// Missing points of the grid, as a short text ("3 points: 4, 9, 17" or "120 points: 4, 9, ...").
[[nodiscard]] std::string describe_missing(const std::vector<std::size_t>& missing);

// A Slurm job-array script running the sweep as `tasks` shards (one array task each, tasks
// numbered 1..N like --shard), then telling how to merge. `racksim` is the binary to call and
// `args` the sweep's arguments (scenario, --axis, --set, --out with absolute paths), each quoted
// for the shell here. `jobs`: parallel points per task (--cpus-per-task).
[[nodiscard]] std::string slurm_script(const std::string& racksim, const std::vector<std::string>& args,
                                       const std::string& out_dir, std::size_t tasks, int jobs,
                                       const std::string& job_name);
// Quotes a word for a POSIX shell ('...' with embedded quotes escaped).
[[nodiscard]] std::string shell_quote(const std::string& word);

}  // namespace racksim
