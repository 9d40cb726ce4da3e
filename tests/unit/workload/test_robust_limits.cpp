// Unit tests: the workload readers' limits (issue 19; core/limits.hpp, docs/limits.md) — native
// trace ranks, op counts, group memberships, durations, bytes and FLOP; Chakra nodes whose
// duration_micros or comm_size is 2^64 - 1. Each refused before anything is built, naming the
// place, the value and the limit.
#include "core/error.hpp"
#include "core/limits.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/workload.hpp"

#include "catalog_support.hpp"
#include "test_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

using namespace racksim;
using Catch::Matchers::Contains;
using test::input_error_of;

namespace {

// A one-program native trace of `ranks` ranks running `ops` (YAML flow maps, one per line).
std::string trace(int ranks, const std::string& ops) {
  return "racksim_trace: 1\nname: t\nranks: " + std::to_string(ranks) + "\nprograms:\n  - ranks: all\n    ops:\n" + ops;
}

InputError trace_error(const std::string& name, const std::string& text) {
  const test::TempFile f(name, text);
  return input_error_of([&] { (void)load_native_trace(f.path); });
}

}  // namespace

TEST_CASE("native trace: a delay or compute longer than 10^6 s is refused", "[workload][robust]") {
  // A 10 h delay (36,000 s) is within the limit; 2e6 s is not.
  const test::TempFile ok("robust-delay-ok", trace(1, "      - {kind: delay, duration: 10 h}\n"));
  CHECK(load_native_trace(ok.path).programs[0][0].duration->value() == Approx(36000.0));
  const InputError e = trace_error("robust-delay", trace(1, "      - {kind: delay, duration: 2e6 s}\n"));
  CHECK(e.where().key == "programs[0].ops[0].duration");
  CHECK_THAT(e.expected(), Contains("2e6 s is longer than one op may last; expected 0 s to 1e+06 s"));
  const InputError c = trace_error("robust-compute", trace(1, "      - {kind: compute, duration: 1e300 s}\n"));
  CHECK_THAT(c.expected(), Contains("1e300 s is longer than one op may last"));
}

TEST_CASE("native trace: byte counts above 1 PiB and FLOP above 10^21 are refused", "[workload][robust]") {
  // 2 PiB = 2^51 B, twice the limit.
  InputError e = trace_error("robust-bytes", trace(2, "      - {kind: all_reduce, group: world, bytes: 2 PiB}\n"));
  CHECK(e.where().key == "programs[0].ops[0].bytes");
  CHECK_THAT(e.expected(), Contains("2 PiB is more bytes than one op may move or hold; expected 0 B to 1 PiB (1125899906842624 B"));
  e = trace_error("robust-flops", trace(1, "      - {kind: compute, flops: 1e22 FLOP, precision: bf16}\n"));
  CHECK_THAT(e.expected(), Contains("does 1e+22 FLOP; expected at most 1e+21 FLOP per op"));
  // A GEMM of 2^40 x 2^40 x 2^40 does 2 x 2^120 FLOP.
  e = trace_error("robust-gemm", trace(1, "      - {kind: compute, precision: bf16, gemm: {m: 1099511627776, n: 1099511627776, "
                                          "k: 1099511627776}}\n"));
  CHECK_THAT(e.expected(), Contains("expected at most 1e+21 FLOP per op"));
}

TEST_CASE("native trace: ranks, ops and group memberships are counted before anything is built", "[workload][robust]") {
  // 2^20 + 1 ranks: one more than limits::kMaxTraceRanks.
  InputError e = trace_error("robust-ranks", trace(1048577, "      - {kind: delay, duration: 1 s}\n"));
  CHECK(e.where().key == "ranks");
  CHECK_THAT(e.expected(), Contains("1048576"));
  // 2^20 ranks x 3 ops = 3,145,728 ops > 2^21 (2,097,152): refused at the op list.
  e = trace_error("robust-ops", trace(1048576, "      - {kind: delay, duration: 1 s}\n      - {kind: delay, duration: 1 s}\n"
                                               "      - {kind: delay, duration: 1 s}\n"));
  CHECK(e.where().key == "programs[0].ops");
  CHECK_THAT(e.expected(), Contains("3 ops on each of 1048576 ranks bring the trace to 3145728 ops; a trace has at most 2097152 ops"));
  // 40 groups (and 'world') of 2^20 ranks: 41 x 2^20 = 42,991,616 > 2^25 (33,554,432) memberships.
  std::string groups = "groups:\n";
  for (int g = 0; g < 40; ++g) groups += "  g" + std::to_string(g) + ": all\n";
  e = trace_error("robust-groups", "racksim_trace: 1\nname: t\nranks: 1048576\n" + groups +
                                       "programs:\n  - ranks: [0]\n    ops:\n      - {kind: delay, duration: 1 s}\n");
  CHECK(e.where().key == "groups");
  CHECK_THAT(e.expected(), Contains("41 groups of 1048576 ranks are more group memberships than racksim holds: at most 33554432"));
}

namespace {

namespace fs = std::filesystem;

// The few protobuf wire rules a Chakra file needs: varints and length-delimited fields.
void varint(std::string& s, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) s += static_cast<char>((v & 0x7f) | 0x80);
  s += static_cast<char>(v);
}
void field_varint(std::string& s, int field, std::uint64_t v) {
  varint(s, static_cast<std::uint64_t>(field) << 3);
  varint(s, v);
}
void field_bytes(std::string& s, int field, const std::string& body) {
  varint(s, static_cast<std::uint64_t>(field) << 3 | 2U);
  varint(s, body.size());
  s += body;
}

// A one-rank foreign trace <dir>/t.0.et (GlobalMetadata version "0.0.4") holding one node:
// Node id 1, name 2, type 3, duration_micros 7, attr 10; AttributeProto name 1, uint64_val 13,
// int64_val 9. Returns the prefix.
std::string one_node_trace(const std::string& name, int type, std::uint64_t duration_micros,
                           const std::vector<std::pair<std::string, std::uint64_t>>& uint64_attrs) {
  const fs::path dir = fs::temp_directory_path() / ("racksim-test-robust-" + name + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string node;
  field_varint(node, 1, 7);
  field_bytes(node, 2, "n");
  field_varint(node, 3, static_cast<std::uint64_t>(type));
  field_varint(node, 7, duration_micros);
  for (const auto& [k, v] : uint64_attrs) {
    std::string a;
    field_bytes(a, 1, k);
    field_varint(a, k == "comm_type" ? 9 : 13, v);
    field_bytes(node, 10, a);
  }
  std::string meta;
  field_bytes(meta, 1, "0.0.4");
  std::string file;
  varint(file, meta.size());
  file += meta;
  varint(file, node.size());
  file += node;
  std::ofstream(dir / "t.0.et", std::ios::binary) << file;
  return (dir / "t").string();
}

InputError chakra_error(const std::string& prefix) {
  ChakraSpec s;
  s.prefix = prefix;
  s.prefix_where = Location{"test", 1, 1, "workload.prefix"};
  s.files = s.ranks = 1;
  const InputError e = input_error_of([&] { (void)load_chakra(s, test::gpu("mi300x")); });
  fs::remove_all(fs::path(prefix).parent_path());
  return e;
}

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};  // 2^64 - 1
constexpr int kComp = 4;   // NodeType COMP_NODE
constexpr int kColl = 7;   // NodeType COMM_COLL_NODE

}  // namespace

TEST_CASE("Chakra: duration_micros or comm_size of 2^64 - 1 is refused, naming the node and field", "[workload][robust]") {
  // Both ran for minutes and then died in the allocator; 2^64 - 1 us is 1.8e13 s.
  InputError e = chakra_error(one_node_trace("duration", kComp, kAllOnes, {}));
  CHECK_THAT(e.where().key, Contains("node 0 (id 7") && Contains("byte offset"));
  CHECK_THAT(e.expected(),
             Contains("duration_micros = 18446744073709551615 is out of range; expected 0 to 1000000000000 (10^6 s"));
  e = chakra_error(one_node_trace("comm-size", kColl, 0, {{"comm_type", 0}, {"comm_size", kAllOnes}}));
  CHECK_THAT(e.expected(), Contains("attribute 'comm_size' = 18446744073709551615 is out of range; expected a byte count from "
                                    "0 to 1125899906842624 (1 PiB"));
  // num_ops of 2^64 - 1 (1.8e19) is within 10^21 FLOP; tensor_size of 2^64 - 1 B is not within 1 PiB.
  e = chakra_error(one_node_trace("tensor", kComp, 0, {{"num_ops", 1}, {"tensor_size", kAllOnes}}));
  CHECK_THAT(e.expected(), Contains("attribute 'tensor_size' = 1.8446744073709552e+19 is out of range; expected 0 to 1.1259e+15"));
}
