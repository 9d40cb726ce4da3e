// racksim models: network parts as the catalog describes them — NICs, switches, links.
//
// These are data, not behaviour: the topology builders turn them into graph vertices and edges,
// and the engine turns those into SimGrid links. Rates are per direction. Latencies are one-way
// and per traversal (a NIC's latency is paid once at each end; a switch's once per hop).
// Sources: models/catalog/{nics,switches,links}.yaml, each value with its provenance.
#pragma once

#include "core/units.hpp"
#include "models/gpu.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

struct NicSpec {
  std::string id;
  std::string name;
  std::string vendor;
  BytesPerSecond line_rate;
  BytesPerSecond host_interface_bandwidth;
  Seconds latency;
  std::optional<Watts> power;
  std::optional<Seconds> message_overhead;  // per message (transfer) the NIC starts: doorbell, WQE, completion
  bool ultra_ethernet = false;              // runs the Ultra Ethernet transport (UEC); false: RoCE only
  std::map<std::string, Provenance> provenance;
};

struct PortConfig {
  int ports = 0;
  BytesPerSecond speed;
};

struct SwitchSpec {
  std::string id;
  std::string name;
  std::string vendor;
  std::vector<PortConfig> port_configs;  // the ways the chip's SerDes can be grouped
  Seconds latency;
  std::optional<BytesPerSecond> capacity;
  std::optional<Watts> power;
  // In-network reduction (NVLink SHARP / NVLS): the rate at which the switch reduces and
  // multicasts one GPU port's data, per direction. Absent: the switch cannot reduce.
  std::optional<BytesPerSecond> reduction_bandwidth;
  std::map<std::string, Provenance> provenance;

  // Ports of exactly `speed` in one of the chip's configurations, if it has one.
  [[nodiscard]] std::optional<int> ports_at(BytesPerSecond speed) const;
  // Highest-speed port configuration no faster than `speed` (lanes a wide link is split into).
  [[nodiscard]] std::optional<PortConfig> best_config_for(BytesPerSecond speed) const;
};

struct LinkSpec {
  std::string id;
  std::string name;
  BytesPerSecond bandwidth;  // per direction, per link or lane
  Seconds latency;           // one-way, per hop (cable, PHY, FEC)
  std::optional<double> usable_fraction;
  std::map<std::string, Provenance> provenance;
};

// A collective library's cost constants (the NCCL/RCCL tuning model), per protocol and algorithm.
// The engine pays `base` once per collective and the hop latency of the level before each step.
struct LibraryLatency {
  Seconds base;
  Seconds hop_scale_up;
  Seconds hop_scale_out;
};

struct LibraryProtocol {
  std::string name;                               // "simple", "ll", ...
  double bandwidth_fraction = 1.0;                // payload share of the bytes on the wire
  std::map<std::string, LibraryLatency> latency;  // by algorithm name; an algorithm absent is not offered with this protocol
};

struct CollectiveLibrarySpec {
  std::string id;                                 // "nccl", "rccl"
  std::string name;
  std::vector<LibraryProtocol> protocols;
  // The algorithms the library's own selection considers (its tuner): what `auto` chooses among.
  // Others listed under the protocols run only when a scenario or op names them. Empty: all.
  std::vector<std::string> chooses;
  std::map<std::string, Provenance> provenance;
};

// A node or rack as sold: its GPUs, their scale-up domain and NICs (models/catalog/systems.yaml).
struct SystemSpec {
  std::string id;                // helios, mi300x-platform, hgx-h100, ...
  std::string name;
  std::string vendor;
  std::string domain = "node";   // "node" | "rack": what one system is called (names GPUs)
  std::string gpu;               // catalog GPU id
  int gpus = 0;                  // GPUs in the system = one scale-up domain
  int trays = 1;                 // switched: GPUs are named by tray
  std::string scale_up_kind;     // "switched" | "full_mesh"
  std::string link;              // catalog link id of the scale-up link (lane)
  int links_per_gpu = 0;         // switched: links (lanes) from each GPU into the switch
  int links_per_pair = 1;        // full_mesh: links between each pair
  std::string scale_up_switch;   // switched: catalog switch id
  int switch_chips = 1;          // switched: chips making up the logical switch
  std::string nic;               // catalog NIC id of the scale-out NIC
  int nics_per_gpu = 0;
  std::string rack;              // power.yaml rack entry id
  std::string library;           // collective library id (collectives.yaml)
  std::map<std::string, Provenance> provenance;
};

}  // namespace racksim
