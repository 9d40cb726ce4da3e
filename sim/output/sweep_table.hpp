// racksim sim: the results table of a sweep (`racksim sweep`, `racksim merge`) — one row per
// point of the sweep's grid, in point order. sim/studies/sweep.cpp reads and writes it (results.csv and
// results.jsonl, docs/sweep.md); sim/output/report.cpp draws it (report.html).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

// One --axis: a scenario key and the values it takes, as the user wrote them (YAML text).
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

struct SweepRow {
  std::size_t point = 0;                 // index in the grid (the last axis varies fastest)
  std::vector<std::string> values;       // one per axis, in axis order
  bool ok = true;                        // false: the point's run failed (error says why)
  std::string error;
  std::vector<std::pair<std::string, double>> metrics;  // check_metric_names() order, those that exist
};

struct SweepTable {
  std::string scenario;                  // the swept scenario's file name (never an absolute path)
  std::vector<SweepAxis> axes;
  std::size_t points = 0;                // the grid's size (rows may hold fewer while it runs)
  std::vector<SweepRow> rows;            // sorted by point, no duplicates
};

}  // namespace racksim
