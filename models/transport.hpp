// racksim models: the scale-out transport at flow level — what share of a link's line rate
// carries payload, given the packet format, the loss rate and how losses are recovered.
//
// The implementation and the worked examples are in transport.cpp and docs/fabrics.md.
//   header efficiency   payload / (payload + per-packet headers and framing) at the MTU
//   loss recovery       RoCEv2 go-back-N resends the whole window in flight after a loss;
//                       Ultra Ethernet selective retransmit resends only the lost packet;
//                       link-level retry (LLR) resends a corrupted frame on the hop itself, so
//                       end-to-end loss disappears at the cost of the hop's retransmissions
// The engine multiplies every scale-out link's bandwidth by `total`.
#pragma once

#include "core/units.hpp"

#include <optional>
#include <string>

namespace racksim {

enum class TransportProtocol { Roce, Uet };
[[nodiscard]] std::string to_string(TransportProtocol p);
[[nodiscard]] std::optional<TransportProtocol> transport_protocol_from_string(const std::string& s);

struct TransportParams {
  TransportProtocol protocol = TransportProtocol::Roce;
  int mtu = 4096;                 // payload bytes per packet (RoCE: 256..4096; UET up to 9000 jumbo)
  double loss_rate = 0.0;         // probability that a packet is lost on one link hop, [0, 0.5)
  bool link_level_retry = false;  // LLR on every scale-out hop
};

struct TransportEffect {
  double header_efficiency = 1.0;  // payload / wire bytes per packet
  double loss_efficiency = 1.0;    // goodput share left after recovery of losses
  double total = 1.0;              // the product: multiplies scale-out link bandwidth
  std::string recovery;            // "go-back-N", "selective retransmit", "link-level retry", "none (no loss)"
};

// Bytes on the wire per packet beyond its payload: framing, network and transport headers
// (transport.cpp derives them; Ultra Ethernet's is an estimate).
[[nodiscard]] int per_packet_overhead(TransportProtocol p);

// `line_rate` and `rtt` (round trip between NICs) size the window in flight (bandwidth-delay
// product) that go-back-N resends; `hops` is the number of links a packet crosses NIC to NIC.
[[nodiscard]] TransportEffect transport_efficiency(const TransportParams& t, BytesPerSecond line_rate, Seconds rtt,
                                                   int hops);

}  // namespace racksim
