// racksim models: scale-out transport efficiency — how much of a link's line rate is payload.
//
// What it models (flow level; no packets are simulated):
//   header efficiency  h = mtu / (mtu + overhead), overhead = per_packet_overhead(protocol)
//   end-to-end loss    P = 1 - (1 - p)^hops        p: loss per link hop, hops: links NIC to NIC
//   go-back-N (RoCEv2) window W = ceil(line_rate * rtt / mtu) packets (the bandwidth-delay product)
//                      wire packets per delivered packet E = 1 + P * W / (1 - P)
//                      Derivation: a packet succeeds with 1 - P and costs 1 slot; on a loss the
//                      sender has W packets in flight and resends all of them, so the attempt
//                      costs W slots and the packet starts over: E = (1 - P) + P (W + E), hence
//                      E = 1 + P W / (1 - P). Same as Bertsekas & Gallager, Data Networks (2nd
//                      ed., sec. 2.4.2), go-back-n efficiency (1 + (beta - 1) P) / (1 - P) with
//                      beta = W. loss efficiency = 1 / E.
//   selective (UET)    only the lost packet is resent: E = 1 / (1 - P), loss efficiency = 1 - P.
//   link-level retry   every hop resends its own corrupted frames, so no loss reaches the
//                      transport; a hop delivers (1 - p) of its line rate: loss efficiency 1 - p.
//   total              h * loss efficiency; the engine multiplies every scale-out link by it.
// Worked example (RoCEv2, MTU 4096, p = 1e-5, 5 hops, 100 GB/s, 10 us RTT):
//   h = 4096 / 4178 = 0.980373; P = 1 - (1 - 1e-5)^5 = 4.9999e-5; W = ceil(1e6 / 4096) = 245;
//   E = 1 + 245 * 4.9999e-5 / 0.99995 = 1.012250; loss efficiency 0.987898; total 0.968509.
// Accuracy: an upper bound on goodput. It ignores congestion control, timeouts (go-back-N is
// assumed to detect a loss within one RTT, by NAK) and ACK traffic on the reverse path, and it
// assumes independent losses (no bursts). Good to a few percent while
// P * W << 1; beyond that real RoCE collapses faster (timeouts). Sources per number below.
#include "models/transport.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace racksim {

namespace {

// Ethernet framing on the wire: preamble + SFD 8, MAC header 14, FCS 4, minimum inter-packet
// gap 12 (IEEE 802.3 clauses 3 and 4) = 38 B. No VLAN tag (add 4 B if the fabric uses one).
constexpr int kEthernetFraming = 8 + 14 + 4 + 12;
constexpr int kIpv4 = 20;  // RFC 791, no options
constexpr int kUdp = 8;    // RFC 768

// RoCEv2 (InfiniBand Architecture Specification Vol. 1, Annex A17 "RoCEv2"): IB Base Transport
// Header 12 + invariant CRC 4 over UDP/IPv4 = 38 + 20 + 8 + 12 + 4 = 82 B. An RDMA WRITE's first
// packet also carries a 16 B RETH; it is ignored: once per message, it costs 16 B per MB-sized
// transfer (< 0.002 %), well below this model's accuracy.
constexpr int kRoceOverhead = kEthernetFraming + kIpv4 + kUdp + 12 + 4;

// Ultra Ethernet Transport (UEC Specification 1.0, 2025) over UDP/IPv4: a packet delivery (PDS)
// header of about 12 B and a semantic (SES) standard header of about 44 B. ESTIMATE: these
// sizes are our reading of the specification's header layouts, not checked against a wire
// capture; UET also defines smaller optimized SES headers and a native-IP mode without UDP,
// either of which would make it cheaper. 38 + 20 + 8 + 12 + 44 = 122 B.
constexpr int kUetOverhead = kEthernetFraming + kIpv4 + kUdp + 12 + 44;

}  // namespace

std::string to_string(TransportProtocol p) {
  switch (p) {
    case TransportProtocol::Roce: return "roce";
    case TransportProtocol::Uet: return "uet";
  }
  return "?";
}

std::optional<TransportProtocol> transport_protocol_from_string(const std::string& s) {
  if (s == "roce") return TransportProtocol::Roce;
  if (s == "uet") return TransportProtocol::Uet;
  return std::nullopt;
}

int per_packet_overhead(TransportProtocol p) {
  return p == TransportProtocol::Roce ? kRoceOverhead : kUetOverhead;
}

TransportEffect transport_efficiency(const TransportParams& t, BytesPerSecond line_rate, Seconds rtt, int hops) {
  if (t.mtu < 1) throw Error(fmt::format("transport MTU must be at least 1 byte, not {}", t.mtu));
  if (!(t.loss_rate >= 0.0 && t.loss_rate < 0.5))
    throw Error(fmt::format("transport loss rate must be in [0, 0.5), not {}", t.loss_rate));
  if (hops < 1) throw Error(fmt::format("a transport path crosses at least one link, not {}", hops));
  TransportEffect e;
  const double mtu = t.mtu;
  e.header_efficiency = mtu / (mtu + per_packet_overhead(t.protocol));
  const double p = t.loss_rate;
  if (p == 0.0) {
    e.recovery = "none (no loss)";
  } else if (t.link_level_retry) {
    e.recovery = "link-level retry";
    e.loss_efficiency = 1.0 - p;
  } else {
    const double loss = 1.0 - std::pow(1.0 - p, hops);  // end to end
    if (t.protocol == TransportProtocol::Roce) {
      e.recovery = "go-back-N";
      const double window = std::max(1.0, std::ceil(line_rate.value() * rtt.value() / mtu - 1e-9));
      e.loss_efficiency = 1.0 / (1.0 + loss * window / (1.0 - loss));
    } else {
      e.recovery = "selective retransmit";
      e.loss_efficiency = 1.0 - loss;
    }
  }
  e.total = e.header_efficiency * e.loss_efficiency;
  return e;
}

}  // namespace racksim
