// racksim sim/scenario: the `simulation` section (docs/scenario-format.md, top-level keys) — what
// running out of HBM does, whether a training step may be simulated reduced
// (sim/engine/reduction.hpp, docs/scale.md), whether collective calls that contend with nothing
// may be timed in closed form (sim/engine/isolation.hpp), and the memory a run may be estimated to need.
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

namespace racksim::scenario_sections {

void read_simulation(Scenario& s, const ConfigNode& node) {
  MapReader m(node, scenario_keys(), "simulation");
  s.oom_is_error = *m.text("out_of_memory") == "error";
  if (auto o = m.optional("fidelity")) {
    s.full_fidelity = read_text(*o, m.spec("fidelity")) == "full";
    s.fidelity_where = o->location();
  }
  s.collective_transfers = *m.text("collective_timing") == "transfers";
  s.memory_limit = Bytes(*m.number("memory_limit"));
  m.finish();
}

}  // namespace racksim::scenario_sections
