// racksim sim/scenario: the `collectives` section (docs/scenario-format.md "collectives") — the
// library whose cost constants apply (the system's, else by cluster kind, or none), its protocol,
// the algorithm for every kind or per kind (checked against what each kind supports,
// models/collective.hpp algorithms_for), and the pipeline chunk. Every key is optional.
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

#include <algorithm>

namespace racksim::scenario_sections {

namespace {

// The default collective library: the system's, else RCCL on the AMD preset kinds, else NCCL.
std::string default_library_for(const Scenario& s) {
  if (!s.system.empty()) return s.catalog.find_system(s.system)->library;
  if (s.scale_up_kind == "helios_rack" || s.scale_up_kind == "mi300x_node") return "rccl";
  return "nccl";
}

// `library: none`: no library constants at all — collectives pay their transfers only (what
// the alpha-beta oracles of the tests assume).
CollectiveLibrarySpec no_library() { return CollectiveLibrarySpec{"none", "no collective library (transfers only)", {}, {}, {}}; }

// collectives.library, then collectives.protocol (a protocol of that library, or auto).
void read_library(Scenario& s, MapReader& m) {
  CollectiveConfig& cc = s.collectives;
  auto lib_n = m.optional("library");
  const std::string lib_id = lib_n ? lib_n->as_string() : default_library_for(s);
  if (lib_id == "none") {
    cc.library = no_library();
  } else if (const CollectiveLibrarySpec* lib = s.catalog.find_library(lib_id)) {
    cc.library = *lib;
  } else {
    const std::string msg = fmt::format("unknown collective library '{}'; catalog libraries: {}, or none", lib_id,
                                        join_ids(s.catalog.library_ids()));
    if (lib_n) lib_n->fail(msg);
    throw InputError(s.cluster_where, "the default " + msg + "; set collectives.library");
  }
  std::vector<std::string> protocols = {"auto"};
  for (const auto& p : cc.library.protocols) protocols.push_back(p.name);
  if (auto p = m.optional("protocol")) cc.protocol = p->as_choice(protocols);
}

// collectives.<kind>: auto or an algorithm the kind supports (its row's values).
void read_kind_algorithm(CollectiveConfig& cc, MapReader& m, CollectiveKind kind) {
  const std::string key = to_string(kind);
  auto n = m.optional(key);
  if (!n) return;
  const std::vector<std::string>& valid = m.spec(key).choices;
  const std::string name = n->as_string();
  const auto a = collective_algorithm_from_string(name);
  if (!a) n->fail(fmt::format("unknown algorithm '{}'; expected one of: {}", name, join_ids(valid)));
  if (std::find(valid.begin(), valid.end(), name) == valid.end())
    n->fail(fmt::format("algorithm '{}' cannot run {}; {} supports: {}", name, key, key, join_ids(valid)));
  cc.per_kind[kind] = *a;
}

}  // namespace

void read_collectives(Scenario& s, const ConfigNode& top, const std::optional<ConfigNode>& collectives) {
  CollectiveConfig& cc = s.collectives;
  MapReader m(section_or_empty(collectives, top, "collectives"), scenario_keys(), "collectives");
  // The library first: protocols are checked against it. An algorithm the library has no
  // constants for runs with its ring constants (sim/engine/collective_method.cpp).
  read_library(s, m);
  cc.algorithm = *collective_algorithm_from_string(*m.text("algorithm"));
  for (auto kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                    CollectiveKind::AllToAll, CollectiveKind::Broadcast, CollectiveKind::Reduce})
    read_kind_algorithm(cc, m, kind);
  cc.chunk_size = Bytes(*m.number("chunk_size"));
  m.finish();
}

}  // namespace racksim::scenario_sections
