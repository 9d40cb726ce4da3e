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

}  // namespace racksim
