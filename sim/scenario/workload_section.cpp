// racksim sim/scenario: the `workload` section (docs/scenario-format.md "workload") — its kind,
// and the kind's keys: a native trace file (checked to be readable now), or the keys the chakra
// reader and the training generator read themselves (sim/workload, their rows in
// sim/workload/workload_keys.cpp).
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

#include <unistd.h>

namespace racksim::scenario_sections {

void read_workload(Scenario& s, const ConfigNode& workload, const std::string& base_dir, const std::string& data_dir) {
  MapReader wm(workload, scenario_keys(), "workload");
  s.workload.where = workload.location();
  s.workload.kind = wm.read_kind();
  if (s.workload.kind == "trace") {
    const ConfigNode file_n = wm.required("file");
    s.workload.file = resolve_path(base_dir, file_n.as_string());
    // access(), not an open: opening a FIFO would wait for a writer. What the file is, and its
    // size, the trace reader checks (core/input_file.hpp).
    if (::access(s.workload.file.c_str(), R_OK) != 0)
      file_n.fail(fmt::format("cannot open trace file '{}' (does it exist and is it readable?)", s.workload.file));
  } else if (s.workload.kind == "chakra") {
    s.workload.chakra = read_chakra_spec(wm, base_dir, s.catalog);
  } else if (s.workload.kind == "inference_serving") {
    s.workload.serving = read_serving_spec(wm, s.gpu, base_dir, data_dir);
  } else {
    s.workload.transformer = read_transformer_spec(wm, s.gpu, data_dir);
  }
  wm.finish();
}

}  // namespace racksim::scenario_sections
