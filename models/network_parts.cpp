#include "models/network_parts.hpp"

namespace racksim {

std::optional<int> SwitchSpec::ports_at(BytesPerSecond speed) const {
  for (const auto& c : port_configs)
    if (c.speed == speed) return c.ports;
  return std::nullopt;
}

std::optional<PortConfig> SwitchSpec::best_config_for(BytesPerSecond speed) const {
  std::optional<PortConfig> best;
  for (const auto& c : port_configs)
    if (c.speed <= speed && (!best || c.speed > best->speed)) best = c;
  return best;
}

}  // namespace racksim
