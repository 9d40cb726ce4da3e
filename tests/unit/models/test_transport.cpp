// Unit tests for models/transport: header efficiency from the per-packet overhead, and the loss
// recovery of go-back-N (RoCEv2), selective retransmit (UET) and link-level retry. Every expected
// value is derived by hand in a comment from the formulas in models/transport.cpp.
#include "models/transport.hpp"

#include "core/error.hpp"

#include <cmath>

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

TransportParams params(TransportProtocol p, int mtu, double loss, bool llr = false) {
  TransportParams t;
  t.protocol = p;
  t.mtu = mtu;
  t.loss_rate = loss;
  t.link_level_retry = llr;
  return t;
}

const BytesPerSecond k100GBps(100e9);
const Seconds k10us(10e-6);

}  // namespace

TEST_CASE("transport: protocol names round-trip", "[transport]") {
  CHECK(to_string(TransportProtocol::Roce) == "roce");
  CHECK(to_string(TransportProtocol::Uet) == "uet");
  CHECK(transport_protocol_from_string("roce") == TransportProtocol::Roce);
  CHECK(transport_protocol_from_string("uet") == TransportProtocol::Uet);
  CHECK_FALSE(transport_protocol_from_string("RoCE").has_value());
  CHECK_FALSE(transport_protocol_from_string("tcp").has_value());
}

TEST_CASE("transport: per-packet overheads", "[transport]") {
  // RoCEv2: preamble/SFD 8 + Ethernet 14 + FCS 4 + gap 12 + IPv4 20 + UDP 8 + BTH 12 + ICRC 4 = 82.
  CHECK(per_packet_overhead(TransportProtocol::Roce) == 82);
  // UET (estimate): 38 framing + IPv4 20 + UDP 8 + PDS 12 + SES 44 = 122.
  CHECK(per_packet_overhead(TransportProtocol::Uet) == 122);
}

TEST_CASE("transport: RoCE header efficiency at MTU 4096 and 1024 without loss", "[transport]") {
  // 4096 / (4096 + 82) = 4096 / 4178 = 0.980373...
  const TransportEffect big = transport_efficiency(params(TransportProtocol::Roce, 4096, 0.0), k100GBps, k10us, 5);
  CHECK(big.header_efficiency == Approx(0.9803734));
  CHECK(big.loss_efficiency == 1.0);
  CHECK(big.total == Approx(0.9803734));
  CHECK(big.recovery == "none (no loss)");
  // 1024 / 1106 = 0.925859...
  const TransportEffect small = transport_efficiency(params(TransportProtocol::Roce, 1024, 0.0), k100GBps, k10us, 5);
  CHECK(small.header_efficiency == Approx(0.9258590));
}

TEST_CASE("transport: UET jumbo frames", "[transport]") {
  // 9000 / (9000 + 122) = 9000 / 9122 = 0.986626...
  const TransportEffect e = transport_efficiency(params(TransportProtocol::Uet, 9000, 0.0), k100GBps, k10us, 3);
  CHECK(e.header_efficiency == Approx(0.9866257));
}

TEST_CASE("transport: go-back-N resends the window after each loss", "[transport]") {
  // p = 1e-5 per hop, 5 hops: P = 1 - (1 - 1e-5)^5 = 4.99990e-5.
  // W = ceil(1e11 B/s * 1e-5 s / 4096) = ceil(244.14) = 245 packets.
  // E = 1 + P W / (1 - P) = 1 + 245 * 4.99990e-5 / 0.99995 = 1.0122504; loss eff. = 1 / E = 0.9878979.
  // total = 0.9803734 * 0.9878979 = 0.9685088.
  const TransportEffect e = transport_efficiency(params(TransportProtocol::Roce, 4096, 1e-5), k100GBps, k10us, 5);
  CHECK(e.recovery == "go-back-N");
  CHECK(e.loss_efficiency == Approx(0.9878979));
  CHECK(e.total == Approx(0.9685088));
  // Ten times the RTT: W = ceil(2441.4) = 2442; E = 1 + 2442 * 4.99990e-5 / 0.99995 = 1.1221037;
  // loss eff. = 0.8911833. A longer pipe costs more on each loss.
  const TransportEffect far = transport_efficiency(params(TransportProtocol::Roce, 4096, 1e-5), k100GBps,
                                                   Seconds(100e-6), 5);
  CHECK(far.loss_efficiency == Approx(0.8911833));
}

TEST_CASE("transport: selective retransmit resends only the lost packet", "[transport]") {
  // Same loss: E = 1 / (1 - P), loss eff. = 1 - P = 1 - 4.99990e-5 = 0.9999500.
  const TransportEffect e = transport_efficiency(params(TransportProtocol::Uet, 4096, 1e-5), k100GBps, k10us, 5);
  CHECK(e.recovery == "selective retransmit");
  CHECK(e.loss_efficiency == Approx(0.99995001));
  // header 4096 / 4218 = 0.9710763; total 0.9710763 * 0.9999500 = 0.9710277.
  CHECK(e.total == Approx(0.9710277));
}

TEST_CASE("transport: link-level retry removes end-to-end loss", "[transport]") {
  // Each hop resends its own frames: a hop delivers 1 - p = 0.999 of its rate, whatever the
  // number of hops or the window; RoCE's go-back-N never fires.
  const TransportEffect e = transport_efficiency(params(TransportProtocol::Roce, 4096, 1e-3, true), k100GBps, k10us, 5);
  CHECK(e.recovery == "link-level retry");
  CHECK(e.loss_efficiency == Approx(0.999));
  CHECK(e.total == Approx(0.9803734 * 0.999));
  // Without LLR the same loss under go-back-N: P = 1 - 0.999^5 = 4.990010e-3; W = 245;
  // E = 1 + 245 * 4.990010e-3 / 0.995010 = 2.2286836; loss eff. = 0.4486954.
  const TransportEffect gbn = transport_efficiency(params(TransportProtocol::Roce, 4096, 1e-3), k100GBps, k10us, 5);
  CHECK(gbn.loss_efficiency == Approx(0.4486954));
}

TEST_CASE("transport: invalid parameters throw", "[transport]") {
  CHECK_THROWS_AS(transport_efficiency(params(TransportProtocol::Roce, 0, 0.0), k100GBps, k10us, 5), Error);
  CHECK_THROWS_AS(transport_efficiency(params(TransportProtocol::Roce, 4096, 0.5), k100GBps, k10us, 5), Error);
  CHECK_THROWS_AS(transport_efficiency(params(TransportProtocol::Roce, 4096, -1e-3), k100GBps, k10us, 5), Error);
  CHECK_THROWS_AS(transport_efficiency(params(TransportProtocol::Roce, 4096, 1e-5), k100GBps, k10us, 0), Error);
}
