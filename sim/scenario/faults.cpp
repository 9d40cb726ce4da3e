// racksim sim/scenario: the `faults` section (docs/scenario-format.md "faults") — links or
// switches that go down, or keep a share of their bandwidth, from a simulated time on. Only the
// shape is checked here; the node names are resolved against the topology when the run builds
// it (sim/engine/platform.cpp).
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

namespace racksim::scenario_sections {

namespace {

// link: [a, b] (two different nodes) or switch: name, into `f`.
void read_fault_target(FaultSpec& f, MapReader& m, const ConfigNode& item) {
  auto link_n = m.optional("link");
  auto sw_n = m.optional("switch");
  if (link_n && sw_n) sw_n->fail("a fault names either a link or a switch, not both");
  if (!link_n && !sw_n) item.fail("a fault needs 'link: [<node>, <node>]' or 'switch: <name>'");
  if (!link_n) {
    f.node_a = read_text(*sw_n, m.spec("switch"));
    return;
  }
  const auto ends = link_n->is_sequence() ? link_n->items() : std::vector<ConfigNode>{};
  if (ends.size() != 2)
    link_n->fail("expected the link as a list of its two end nodes, [<node>, <node>] (for example [node0.gpu0, node0.switch])");
  f.node_a = ends[0].as_string();
  f.node_b = ends[1].as_string();
  if (f.node_a == f.node_b) ends[1].fail(fmt::format("the two ends of a link must differ, got '{}' twice", f.node_a));
}

// state: down (nothing left) or degraded with the fraction left.
void read_fault_state(FaultSpec& f, MapReader& m, const ConfigNode& item) {
  const std::string state = *m.text("state");
  auto frac = m.optional("fraction");
  if (state == "down") {
    if (frac) frac->fail("'fraction' applies to state: degraded only; a part that is down carries nothing");
    f.fraction = 0.0;
    return;
  }
  if (!frac) item.fail("a degraded fault needs 'fraction': the share of the bandwidth left, greater than 0 and less than 1");
  f.fraction = read_number(*frac, m.spec("fraction"));
}

}  // namespace

void read_faults(Scenario& s, const ConfigNode& list) {
  if (!list.is_sequence())
    list.fail("expected a list of faults, each {at: <time>, link: [<node>, <node>] or switch: <name>, state: down | "
              "degraded, fraction: <share left> (degraded only)}");
  for (const auto& item : list.items()) {
    MapReader m(item, scenario_keys(), "faults[]");
    FaultSpec f;
    f.where = item.location();
    f.at = Seconds(*m.number("at"));
    read_fault_target(f, m, item);
    read_fault_state(f, m, item);
    m.finish();
    s.faults.push_back(f);
  }
}

}  // namespace racksim::scenario_sections
