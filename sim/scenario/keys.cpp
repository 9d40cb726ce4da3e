// racksim sim/scenario: the table of a scenario's keys (see keys.hpp). One row per key (per kind
// where a key's rules differ between the kinds of its map). A default given here as a value or a
// preset is the one the reader applies; a described default is applied by the section's reader.
// docs/scenario-format.md documents each map; its "Type" and "Default" cells are these rows'.
#include "sim/scenario/keys.hpp"

#include "models/collective.hpp"
#include "sim/workload/requests.hpp"
#include "sim/workload/serving_spec.hpp"
#include "sim/workload/workload_keys.hpp"

namespace racksim {

namespace {

using Kinds = std::vector<std::string>;

std::vector<KeySpec> top_keys() {
  return {
      KeySpec("schema_version").integer(1, 1000).required().describe("The format version; must be 1"),
      KeySpec("name").text().required().describe("Names the run, its summary and its default output folder"),
      KeySpec("description").text().optional().describe("Free text"),
      KeySpec("catalog").as_list().with_note(" of paths").optional().describe("Extra catalog files"),
      KeySpec("cluster").as_map().required().describe("The cluster"),
      KeySpec("workload").as_map().required().describe("What runs on it"),
      KeySpec("simulation").as_map().optional().describe("How it is simulated"),
      KeySpec("power").as_map().optional().describe("Power caps, rack entry, site model, periods"),
      KeySpec("cooling").as_map().optional().describe("The cooling loop and changes to it"),
      KeySpec("collectives").as_map().optional().describe("How collectives run"),
      KeySpec("faults").as_list().optional().describe("Links and switches that fail or slow down"),
  };
}

std::vector<KeySpec> cluster_keys() {
  const std::string one_of = "one of `system` and `scale_up`";
  return {
      KeySpec("cluster.domains").integer(1, 1'000'000).required().describe("Scale-up domains (racks or nodes)"),
      KeySpec("cluster.system").id("system").default_is(one_of).describe("A catalog system in place of scale_up"),
      KeySpec("cluster.scale_up").as_map().default_is(one_of).describe("One domain, part by part"),
      KeySpec("cluster.scale_out").as_map().required().describe("What joins the domains"),
  };
}

std::vector<KeySpec> scale_up_keys() {
  const Kinds switched{"switched"}, helios{"helios_rack"}, both_switched{"switched", "helios_rack"};
  const Kinds mesh{"full_mesh"}, mi300x{"mi300x_node"}, both_mesh{"full_mesh", "mi300x_node"};
  const std::string p = "cluster.scale_up.";
  // Real scale-up links carry 16 GB/s (PCIe 3 x16) to 3.6 TB/s (Helios) per GPU and cross in
  // nanoseconds to microseconds; the ranges leave room for what-ifs and refuse unit mistakes,
  // whose collectives would take longer than any run can simulate (docs/scale.md).
  const std::string bw_range = "expected a bandwidth from 1 GB/s to 1 PB/s, got '{text}'";
  const std::string lat_range = "expected a latency from 0 to 1 s, got '{text}'";
  return {
      KeySpec(p + "kind").one_of({"helios_rack", "mi300x_node", "switched", "full_mesh"}).required()
          .describe("The domain's shape, preset or generic"),
      KeySpec(p + "gpus").integer(1, 100'000).required().for_kinds(switched).describe("GPUs per domain"),
      KeySpec(p + "gpus").integer(2, 64).required().for_kinds(mesh).describe("GPUs per domain"),
      KeySpec(p + "trays").integer(1, 100'000).with_note("; must divide `gpus`").default_value("1").for_kinds(switched)
          .describe("Trays per domain (names only)"),
      KeySpec(p + "gpu").id("GPU").required().for_kinds({"switched", "full_mesh"}).describe("The GPU"),
      KeySpec(p + "gpu").id("GPU").preset("mi455x").for_kinds(helios).describe("The GPU"),
      KeySpec(p + "gpu").id("GPU").preset("mi300x").for_kinds(mi300x).describe("The GPU"),
      KeySpec(p + "link").id("link").required().for_kinds({"switched", "full_mesh"}).describe("The link or lane type"),
      KeySpec(p + "link").id("link").preset("ualoe_lane_200g").for_kinds(helios).describe("The lane type"),
      KeySpec(p + "link").id("link").preset("xgmi_mi300x").for_kinds(mi300x).describe("The link type"),
      KeySpec(p + "switch").id("switch").required().for_kinds(switched).describe("The switch chip"),
      KeySpec(p + "switch").id("switch").preset("tomahawk6").for_kinds(helios).describe("The switch chip"),
      KeySpec(p + "switch_chips").integer(1, 100'000).default_value("1").for_kinds(switched)
          .describe("Switch chips per domain, their ports added up"),
      KeySpec(p + "switch_chips").integer(1, 100'000).preset("12").for_kinds(helios)
          .describe("Switch chips per domain, their ports added up"),
      KeySpec(p + "links_per_pair").integer(1, 64).default_value("1").for_kinds(both_mesh)
          .describe("Parallel links between each pair of GPUs"),
      KeySpec(p + "bandwidth").quantity(UnitFamily::BytesPerSecond).at_least(1e9).at_most(1e15).range_message(bw_range)
          .default_is("the GPU's `scale_up_bandwidth`").for_kinds(both_switched)
          .describe("Raw bandwidth per GPU per direction"),
      KeySpec(p + "bandwidth").quantity(UnitFamily::BytesPerSecond).at_least(1e9).at_most(1e15).range_message(bw_range)
          .default_is("the link's `bandwidth`")
          .for_kinds(both_mesh).describe("Raw bandwidth per link per direction"),
      KeySpec(p + "efficiency").fraction().default_is("the link's `usable_fraction`, or 1")
          .describe("Usable share of the bandwidth"),
      KeySpec(p + "latency").quantity(UnitFamily::Seconds).at_least(0).at_most(1.0).range_message(lat_range)
          .default_is("the link's `latency`")
          .describe("One-way latency of a link"),
      KeySpec(p + "switch_latency").quantity(UnitFamily::Seconds).at_least(0).at_most(1.0).range_message(lat_range)
          .default_is("the switch's `latency`")
          .for_kinds(both_switched).describe("Port-to-port latency of the switch"),
  };
}

std::vector<KeySpec> scale_out_keys() {
  const Kinds fabrics{"rail_leaf_spine", "fat_tree"}, fat_tree{"fat_tree"};
  const std::string p = "cluster.scale_out.";
  const std::string ratio = "expected an oversubscription ratio from 1 (non-blocking) to 64, got {value}";
  return {
      KeySpec(p + "kind").one_of({"none", "rail_leaf_spine", "fat_tree"}).required().describe("The fabric"),
      KeySpec(p + "nic").id("NIC").default_is("required; with `cluster.system`, the system's NIC").for_kinds(fabrics)
          .describe("The NIC"),
      KeySpec(p + "nics_per_gpu").integer(1, 64).default_is("required; with `cluster.system`, the system's count")
          .for_kinds(fabrics).describe("NICs per GPU"),
      KeySpec(p + "cable").id("link").required().for_kinds(fabrics).describe("The cable (its latency)"),
      KeySpec(p + "leaf").id("switch").required().for_kinds(fabrics).describe("The leaf switch"),
      KeySpec(p + "spine").id("switch").required().for_kinds(fabrics).describe("The spine switch"),
      KeySpec(p + "planes").integer(1, 64).with_note("; must divide `nics_per_gpu`").default_value("1").for_kinds(fabrics)
          .describe("Independent leaf/spine networks"),
      KeySpec(p + "oversubscription").number().at_least(1).at_most(64).range_message(ratio).default_value("1")
          .for_kinds(fabrics).describe("Leaf down:up ratio"),
      KeySpec(p + "tiers").integer(2, 3).default_value("2").for_kinds(fat_tree).describe("Switch tiers"),
      KeySpec(p + "core").id("switch").default_is("required with `tiers: 3`; not accepted with 2").for_kinds(fat_tree)
          .describe("The core switch"),
      KeySpec(p + "core_oversubscription").number().at_least(1).at_most(64).range_message(ratio)
          .default_is("`1` with `tiers: 3`; not accepted with 2").for_kinds(fat_tree)
          .describe("Spine down:up ratio towards the core"),
      KeySpec(p + "multipath").one_of({"ecmp", "spray", "adaptive"})
          .default_is("`spray` with the `uet` transport, `ecmp` with `roce`").for_kinds(fabrics)
          .describe("How a flow uses equal-cost paths"),
      KeySpec(p + "ecmp_seed").integer(0).default_value("0").for_kinds(fabrics).describe("Seeds the ECMP hash"),
      KeySpec(p + "transport").as_map().default_is("every key at its default").for_kinds(fabrics)
          .describe("The scale-out transport"),
      KeySpec(p + "transport.protocol").one_of({"roce", "uet"})
          .default_is("`uet` when the NIC runs Ultra Ethernet, else `roce`").describe("The transport protocol"),
      KeySpec(p + "transport.mtu").integer(256, 9216).with_note(" (`roce`: at most 4096)").default_value("4096")
          .describe("Payload bytes per packet"),
      KeySpec(p + "transport.loss_rate").number().at_least(0).below(0.5)
          .range_message("expected a packet loss rate per hop from 0 to below 0.5, got {value}").default_value("0")
          .describe("Probability that a packet is lost on one hop"),
      KeySpec(p + "transport.link_level_retry").flag().default_value("false").describe("Link-level retry on every hop"),
  };
}

std::vector<KeySpec> power_keys() {
  return {
      KeySpec("power.gpu_cap").quantity(UnitFamily::Watts).at_least(0).with_note(", above the GPU's idle power").optional()
          .describe("Cap on each GPU's board power"),
      KeySpec("power.rack_cap").quantity(UnitFamily::Watts).at_least(0).with_note(", above the rack's idle power")
          .optional().describe("Cap on each rack's AC power"),
      KeySpec("power.site_cap").quantity(UnitFamily::Watts).at_least(0).with_note(", above the site's idle power")
          .optional().describe("Cap on the whole site's power"),
      KeySpec("power.rack").id("rack").with_note(" (`power.yaml` `racks:`), or `none`")
          .default_is("the system's rack entry with `cluster.system`; `helios` for `helios_rack`, `mi300x-platform` for "
                      "`mi300x_node`, none for `switched` and `full_mesh`")
          .describe("The parts of a domain besides its GPUs"),
      KeySpec("power.pue").number().at_least(1).at_most(5).with_note("; not with `cooling_plant`")
          .range_message("expected a PUE from 1 (no overhead) to 5, got {value}").default_value("1.10")
          .describe("Site power over IT power"),
      KeySpec("power.cooling_plant").as_map().optional().describe("A cooling plant in place of a PUE"),
      KeySpec("power.cooling_plant.cop").number().above(0)
          .range_message("expected a coefficient of performance above 0, got {value}").required()
          .describe("Coefficient of performance of heat rejection"),
      KeySpec("power.cooling_plant.fixed").quantity(UnitFamily::Watts).at_least(0).default_value("0 W")
          .describe("Constant plant overhead"),
      KeySpec("power.control_period").quantity(UnitFamily::Seconds).at_least(1e-6).at_most(10.0)
          .with_note("; above the GPU's DVFS transition latency")
          .range_message("expected a control period from 1 us to 10 s, got {value}").default_value("1 ms")
          .describe("How often the governor acts"),
      KeySpec("power.sample_period").quantity(UnitFamily::Seconds).at_least(0)
          .with_note(", a whole multiple of `control_period`").default_is("`control_period`")
          .describe("The window of a timeseries.csv row"),
  };
}

std::vector<KeySpec> cooling_keys() {
  return {
      KeySpec("cooling.loop").id("cooling loop").with_note(" (`cooling.yaml` `cooling_loops:`), or `none`")
          .default_is("the rack entry's `cooling`; none without a rack entry").describe("The cooling loop"),
      KeySpec("cooling.inlet_temperature").quantity(UnitFamily::Celsius).with_note(", or a catalog inlet class id")
          .default_is("the loop's `inlet`").describe("Coolant supply temperature"),
      KeySpec("cooling.flow").quantity(UnitFamily::VolumeFlow).above(0).default_is("the loop's `flow`")
          .describe("Coolant flow per domain"),
      KeySpec("cooling.coolant").id("coolant").default_is("the loop's").describe("The coolant"),
      KeySpec("cooling.cold_plate").id("cold plate").default_is("the loop's").describe("The cold plate"),
      KeySpec("cooling.cdu").id("CDU").default_is("the loop's").describe("The CDU"),
      KeySpec("cooling.plates_in_series").integer(1, 1'000'000).with_note("; must divide the GPUs per domain")
          .default_is("the loop's `series`").describe("GPU plates in series per branch"),
  };
}

std::vector<std::string> algorithm_names(std::vector<CollectiveAlgorithm> algos) {
  std::vector<std::string> out;
  for (auto a : algos) out.push_back(to_string(a));
  return out;
}

std::vector<KeySpec> collectives_keys() {
  using A = CollectiveAlgorithm;
  std::vector<KeySpec> rows{
      KeySpec("collectives.algorithm")
          .one_of(algorithm_names({A::Ring, A::Direct, A::Tree, A::HalvingDoubling, A::Hierarchical, A::Nvls, A::Auto}))
          .default_value("auto").describe("The algorithm of every kind that supports it"),
  };
  for (auto kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                    CollectiveKind::AllToAll, CollectiveKind::Broadcast, CollectiveKind::Reduce}) {
    std::vector<A> valid = algorithms_for(kind);
    valid.push_back(A::Auto);
    rows.push_back(KeySpec("collectives." + to_string(kind)).one_of(algorithm_names(valid)).default_is("`algorithm`")
                       .describe("The algorithm of this kind"));
  }
  rows.push_back(KeySpec("collectives.protocol").text().with_note(": `auto` or a protocol of the library").default_value("auto")
                     .describe("The library's protocol"));
  rows.push_back(KeySpec("collectives.chunk_size").quantity(UnitFamily::Bytes).at_least(1)
                     .range_message("expected a chunk size of at least 1 byte, got '{text}'").default_value("1 MiB")
                     .describe("The pipeline slice of tree, broadcast and reduce"));
  rows.push_back(KeySpec("collectives.library").id("library").with_note(", or `none`")
                     .default_is("the system's library; `rccl` for `helios_rack` and `mi300x_node`; `nccl` for "
                                 "`switched` and `full_mesh`")
                     .describe("The cost constants"));
  return rows;
}

std::vector<KeySpec> fault_keys() {
  const std::string one_of = "one of `link` and `switch`";
  return {
      KeySpec("faults[].at").quantity(UnitFamily::Seconds).at_least(0).at_most(1e6)
          .range_message("expected a time from 0 to 1000000 s (the longest simulated time), got '{text}'").required()
          .describe("When the fault starts"),
      KeySpec("faults[].link").as_list().with_note(" of two node names").default_is(one_of)
          .describe("The link(s) between two nodes"),
      KeySpec("faults[].switch").text().with_note(" (a node name)").default_is(one_of).describe("Every link of a switch"),
      KeySpec("faults[].state").one_of({"down", "degraded"}).required().describe("Down, or a share of the bandwidth left"),
      KeySpec("faults[].fraction").number().above(0).below(1)
          .range_message("expected the share of the bandwidth left, greater than 0 and less than 1 (use state: down for "
                         "0), got {value}")
          .default_is("required with `degraded`; not accepted with `down`").describe("The share of the bandwidth left"),
  };
}

std::vector<KeySpec> simulation_and_workload_keys() {
  return {
      KeySpec("simulation.out_of_memory").one_of({"error", "warn"}).default_value("error")
          .describe("Whether running out of HBM stops the run"),
      KeySpec("simulation.fidelity").one_of({"auto", "full"}).default_value("auto")
          .describe("Reduced simulation where exact, or every rank and flow"),
      KeySpec("simulation.collective_timing").one_of({"auto", "transfers"}).default_value("auto")
          .describe("Calls that provably contend with nothing timed in closed form, or every transfer simulated"),
      KeySpec("simulation.memory_limit").quantity(UnitFamily::Bytes).at_least(1e6).at_most(1e15)
          .range_message("expected a memory limit from 1 MB to 1 PB, got '{text}'").default_value("16 GB")
          .describe("The most memory a run may be estimated to need"),
      KeySpec("workload.kind").one_of({"trace", "chakra", "transformer_training", "inference_serving"}).required()
          .describe("Where the op graphs come from"),
      KeySpec("workload.file").text().with_note(" (a path)").required().for_kinds({"trace"}).describe("The trace file"),
  };
}

KeyTable build() {
  std::vector<KeySpec> rows;
  for (auto part : {top_keys(), cluster_keys(), scale_up_keys(), scale_out_keys(), power_keys(), cooling_keys(),
                    collectives_keys(), fault_keys(), simulation_and_workload_keys()})
    rows.insert(rows.end(), part.begin(), part.end());
  KeyTable t("scenario", std::move(rows));
  t.set_title("faults[]", "fault");
  t.append(chakra_keys());
  t.append(transformer_keys());
  t.append(serving_keys());
  t.append(request_keys());
  return t;
}

}  // namespace

const KeyTable& scenario_keys() {
  static const KeyTable t = build();
  return t;
}

}  // namespace racksim
