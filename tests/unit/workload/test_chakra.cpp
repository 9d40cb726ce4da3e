// Unit tests for sim/workload/chakra: the Chakra ET reader and writer (docs/chakra.md).
//
// Expected values come from outside racksim's reader:
//   - the sample traces (tests/data/chakra/, scenarios/traces/chakra/) were decoded with protoc
//     (`protoc --decode=ChakraProtoMsg.Node sim/proto/et_def.proto` on every length-delimited
//     message, split with a 20-line script; `protoc --decode_raw` shows the same field numbers).
//     The counts quoted in the comments below come from that decoding.
//   - the byte offsets are computed by this file's own frame walker (frames() below), which
//     reads the varint length prefixes without protobuf;
//   - hand-made traces are encoded by this file's own protobuf wire encoder (namespace wire),
//     written from the encoding rules (varint, zigzag, fixed32/64, length-delimited), so the
//     reader is checked against bytes it did not produce.
// No SimGrid here: simulated times are checked by the CLI tests (tests/cli/chakra_cli.cmake).
#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/workload.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace fs = std::filesystem;

namespace {

using test::input_error_of;

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/chakra/";
const std::string kScenarioTraces = std::string(RACKSIM_SOURCE_DIR) + "/scenarios/traces/chakra/";

std::string micro(const std::string& kind, int n) { return kData + "microbenchmarks/" + kind + "/" + std::to_string(n) + "npus_1MB/" + kind; }
const std::string kRing = kScenarioTraces + "custom_ring_allreduce_8npus_1MB/custom_allreduce";
const std::string kReal = kScenarioTraces + "real/chakra";

// Folders made by scratch(), removed when the test process ends.
struct ScratchFolders {
  std::vector<fs::path> made;
  ScratchFolders() = default;
  ScratchFolders(const ScratchFolders&) = delete;
  ScratchFolders& operator=(const ScratchFolders&) = delete;
  ~ScratchFolders() {
    std::error_code ec;
    for (const auto& p : made) fs::remove_all(p, ec);
  }
};

// A fresh, empty folder for one test case (test cases run in parallel processes).
fs::path scratch(const std::string& name) {
  static ScratchFolders folders;
  const fs::path p = fs::temp_directory_path() / ("racksim_test_chakra_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  folders.made.push_back(p);
  return p;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  REQUIRE(f);
}

// The byte offset and body length of every length-delimited message of a file (frame 0 is the
// GlobalMetadata), read without protobuf.
struct Frame {
  std::size_t offset = 0;  // of the length prefix
  std::size_t prefix = 0;  // bytes of the length prefix
  std::size_t length = 0;  // bytes of the message
};
std::vector<Frame> frames(const std::string& data) {
  std::vector<Frame> out;
  std::size_t i = 0;
  while (i < data.size()) {
    Frame f;
    f.offset = i;
    std::uint64_t len = 0;
    int shift = 0;
    for (;;) {
      const auto b = static_cast<unsigned char>(data.at(i++));
      len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    f.prefix = i - f.offset;
    f.length = static_cast<std::size_t>(len);
    i += f.length;
    out.push_back(f);
  }
  REQUIRE(i == data.size());
  return out;
}

ChakraSpec spec_of(const std::string& prefix) {
  ChakraSpec s;
  s.prefix = prefix;
  s.prefix_where = Location{"test", 1, 1, "workload.prefix"};
  return s;
}

Workload load(const ChakraSpec& s, const std::string& target = "mi300x") { return load_chakra(s, test::gpu(target)); }

// ---- a protobuf wire encoder, written from the encoding rules ---------------------------------

namespace wire {

void varint(std::string& s, std::uint64_t v) {
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
}
void key(std::string& s, int field, int wire_type) { varint(s, static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire_type)); }
void field_varint(std::string& s, int field, std::uint64_t v) {
  key(s, field, 0);
  varint(s, v);
}
void field_bytes(std::string& s, int field, const std::string& body) {
  key(s, field, 2);
  varint(s, body.size());
  s += body;
}
void field_fixed64(std::string& s, int field, std::uint64_t v) {
  key(s, field, 1);
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void field_fixed32(std::string& s, int field, std::uint32_t v) {
  key(s, field, 5);
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint64_t zigzag(std::int64_t v) { return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63); }

// AttributeProto: name = 1; the value fields of et_def.proto's oneof.
struct Attr {
  std::string bytes;
};
Attr attr(const std::string& name) {
  Attr a;
  field_bytes(a.bytes, 1, name);
  return a;
}
Attr int32(const std::string& n, std::int32_t v) {  // negative values sign-extended to 64 bits
  Attr a = attr(n);
  field_varint(a.bytes, 7, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  return a;
}
Attr int64(const std::string& n, std::int64_t v) { Attr a = attr(n); field_varint(a.bytes, 9, static_cast<std::uint64_t>(v)); return a; }
Attr uint32(const std::string& n, std::uint32_t v) { Attr a = attr(n); field_varint(a.bytes, 11, v); return a; }
Attr uint64(const std::string& n, std::uint64_t v) { Attr a = attr(n); field_varint(a.bytes, 13, v); return a; }
Attr sint32(const std::string& n, std::int32_t v) { Attr a = attr(n); field_varint(a.bytes, 15, zigzag(v)); return a; }
Attr sint64(const std::string& n, std::int64_t v) { Attr a = attr(n); field_varint(a.bytes, 17, zigzag(v)); return a; }
Attr fixed32(const std::string& n, std::uint32_t v) { Attr a = attr(n); field_fixed32(a.bytes, 19, v); return a; }
Attr fixed64(const std::string& n, std::uint64_t v) { Attr a = attr(n); field_fixed64(a.bytes, 21, v); return a; }
Attr sfixed32(const std::string& n, std::int32_t v) { Attr a = attr(n); field_fixed32(a.bytes, 23, static_cast<std::uint32_t>(v)); return a; }
Attr sfixed64(const std::string& n, std::int64_t v) { Attr a = attr(n); field_fixed64(a.bytes, 25, static_cast<std::uint64_t>(v)); return a; }
Attr boolean(const std::string& n, bool v) { Attr a = attr(n); field_varint(a.bytes, 27, v ? 1 : 0); return a; }
Attr string(const std::string& n, const std::string& v) { Attr a = attr(n); field_bytes(a.bytes, 29, v); return a; }
Attr dbl(const std::string& n, double v) {
  Attr a = attr(n);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  field_fixed64(a.bytes, 3, bits);
  return a;
}

// NodeType and CollectiveCommType values of et_def.proto.
enum Type { METADATA = 1, MEM_LOAD = 2, COMP = 4, SEND = 5, RECV = 6, COLL = 7, STORAGE = 8 };
enum Comm { ALL_REDUCE = 0, REDUCE = 1, ALL_GATHER = 2, BROADCAST = 5, ALL_TO_ALL = 6, REDUCE_SCATTER = 7, BARRIER = 9 };

struct Node {
  std::uint64_t id = 0;
  std::string name;
  int type = COMP;
  std::vector<std::uint64_t> data_deps;
  std::vector<std::uint64_t> ctrl_deps;
  std::uint64_t duration_micros = 0;
  std::vector<Attr> attrs;
};

// Node: id 1, name 2, type 3, ctrl_deps 4 (written unpacked), data_deps 5 (packed),
// duration_micros 7, attr 10.
std::string encode(const Node& n) {
  std::string s;
  field_varint(s, 1, n.id);
  field_bytes(s, 2, n.name);
  field_varint(s, 3, static_cast<std::uint64_t>(n.type));
  for (const auto d : n.ctrl_deps) field_varint(s, 4, d);
  if (!n.data_deps.empty()) {
    std::string packed;
    for (const auto d : n.data_deps) varint(packed, d);
    field_bytes(s, 5, packed);
  }
  if (n.duration_micros) field_varint(s, 7, n.duration_micros);
  for (const auto& a : n.attrs) field_bytes(s, 10, a.bytes);
  return s;
}

// A file: GlobalMetadata (version = 1) and the nodes, each after its varint length.
std::string file(const std::vector<Node>& nodes) {
  std::string meta;
  field_bytes(meta, 1, "0.0.4");
  std::string s;
  varint(s, meta.size());
  s += meta;
  for (const auto& n : nodes) {
    const std::string body = encode(n);
    varint(s, body.size());
    s += body;
  }
  return s;
}

// Writes one file per rank: <dir>/t.<rank>.et; returns the prefix.
std::string write(const fs::path& dir, const std::vector<std::vector<Node>>& ranks) {
  for (std::size_t r = 0; r < ranks.size(); ++r) spit(dir / ("t." + std::to_string(r) + ".et"), file(ranks[r]));
  return (dir / "t").string();
}

// Reads back what the encoder writes, for checking racksim's writer: the fields of a Node and
// its attributes by name, as raw varint / length-delimited values.
struct Decoded {
  std::map<int, std::vector<std::uint64_t>> varints;
  std::map<int, std::vector<std::string>> bytes;
};
Decoded decode(const std::string& msg) {
  Decoded d;
  std::size_t i = 0;
  auto rd = [&] {
    std::uint64_t v = 0;
    int shift = 0;
    for (;;) {
      const auto b = static_cast<unsigned char>(msg.at(i++));
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) return v;
    }
  };
  while (i < msg.size()) {
    const std::uint64_t k = rd();
    const int field = static_cast<int>(k >> 3);
    switch (k & 7) {
      case 0: d.varints[field].push_back(rd()); break;
      case 2: {
        const auto len = static_cast<std::size_t>(rd());
        d.bytes[field].push_back(msg.substr(i, len));
        i += len;
        break;
      }
      case 1: i += 8; break;
      case 5: i += 4; break;
      default: FAIL("unexpected wire type");
    }
  }
  return d;
}
// attr name -> its decoded AttributeProto
std::map<std::string, Decoded> attrs_of(const Decoded& node) {
  std::map<std::string, Decoded> out;
  const auto it = node.bytes.find(10);
  if (it == node.bytes.end()) return out;
  for (const auto& a : it->second) {
    const Decoded d = decode(a);
    out[d.bytes.at(1).at(0)] = d;
  }
  return out;
}

}  // namespace wire

// A collective node of a hand-made trace.
wire::Node coll(std::uint64_t id, int comm, std::vector<wire::Attr> more = {}) {
  wire::Node n;
  n.id = id;
  n.name = "coll" + std::to_string(id);
  n.type = wire::COLL;
  n.attrs = {wire::int64("comm_type", comm)};
  for (auto& a : more) n.attrs.push_back(std::move(a));
  return n;
}

wire::Node comp(std::uint64_t id, std::uint64_t micros, std::vector<std::uint64_t> data_deps = {}) {
  wire::Node n;
  n.id = id;
  n.name = "comp" + std::to_string(id);
  n.type = wire::COMP;
  n.duration_micros = micros;
  n.data_deps = std::move(data_deps);
  return n;
}

// Field-by-field equality of two workloads (everything the simulation reads; not `where`).
void check_same(const Workload& a, const Workload& b) {
  CHECK(a.name == b.name);
  REQUIRE(a.ranks == b.ranks);
  CHECK(a.streams == b.streams);
  REQUIRE(a.groups.size() == b.groups.size());
  for (std::size_t g = 0; g < a.groups.size(); ++g) {
    INFO("group " << a.groups[g].name);
    CHECK(a.groups[g].name == b.groups[g].name);
    CHECK(a.groups[g].ranks == b.groups[g].ranks);
    CHECK(a.groups[g].position == b.groups[g].position);
    CHECK(a.groups[g].dim == b.groups[g].dim);
  }
  REQUIRE(a.training.has_value() == b.training.has_value());
  if (a.training) {
    CHECK(a.training->tokens_per_step == b.training->tokens_per_step);
    CHECK(a.training->model_flops_per_step == b.training->model_flops_per_step);
    CHECK(a.training->hardware_flops_per_step == b.training->hardware_flops_per_step);
    CHECK(a.training->precision == b.training->precision);
    CHECK(a.training->pipeline_stages == b.training->pipeline_stages);
    CHECK(a.training->microbatches == b.training->microbatches);
    CHECK(a.training->last_backward_op == b.training->last_backward_op);
  }
  REQUIRE(a.programs.size() == b.programs.size());
  for (std::size_t r = 0; r < a.programs.size(); ++r) {
    REQUIRE(a.programs[r].size() == b.programs[r].size());
    for (std::size_t i = 0; i < a.programs[r].size(); ++i) {
      const Op& x = a.programs[r][i];
      const Op& y = b.programs[r][i];
      INFO("rank " << r << " op " << i << " '" << x.id << "'");
      CHECK(x.id == y.id);
      CHECK(x.kind == y.kind);
      CHECK(x.stream == y.stream);
      CHECK(x.deps == y.deps);
      REQUIRE(x.duration.has_value() == y.duration.has_value());
      if (x.duration) CHECK(x.duration->value() == y.duration->value());
      CHECK(x.flops.value() == y.flops.value());
      CHECK(x.precision == y.precision);
      CHECK(x.hbm_bytes.value() == y.hbm_bytes.value());
      REQUIRE(x.gemm.has_value() == y.gemm.has_value());
      if (x.gemm) {
        CHECK(x.gemm->m == y.gemm->m);
        CHECK(x.gemm->n == y.gemm->n);
        CHECK(x.gemm->k == y.gemm->k);
        CHECK(x.gemm->batch == y.gemm->batch);
        CHECK(x.gemm->trans_a == y.gemm->trans_a);
        CHECK(x.gemm->trans_b == y.gemm->trans_b);
      }
      REQUIRE(x.attention.has_value() == y.attention.has_value());
      if (x.attention) {
        CHECK(x.attention->batch == y.attention->batch);
        CHECK(x.attention->heads == y.attention->heads);
        CHECK(x.attention->seq == y.attention->seq);
        CHECK(x.attention->head_dim == y.attention->head_dim);
        CHECK(x.attention->kv_heads == y.attention->kv_heads);
        CHECK(x.attention->causal == y.attention->causal);
        CHECK(x.attention->backward == y.attention->backward);
      }
      CHECK(x.collective == y.collective);
      CHECK(x.algorithm == y.algorithm);
      CHECK(x.group == y.group);
      CHECK(x.sequence == y.sequence);
      CHECK(x.bytes == y.bytes);
      CHECK(x.peer == y.peer);
      CHECK(x.tag == y.tag);
      CHECK(x.label == y.label);
      CHECK(x.frees == y.frees);
      CHECK(x.dim == y.dim);
    }
  }
}

Workload round_trip(const Workload& w, const std::string& name) {
  const fs::path dir = scratch(name);
  write_chakra(w, dir.string(), "rt");
  return load(spec_of((dir / "rt").string()));
}

}  // namespace

// ---- the sample traces ------------------------------------------------------------------------

TEST_CASE("chakra: astra-sim's microbenchmarks read as one collective per rank", "[chakra]") {
  // Each <kind>.<r>.et is a GlobalMetadata (version "0.0.4") and one COMM_COLL_NODE (type 7)
  // with attributes is_cpu_op = false, comm_type (int64: 0 ALL_REDUCE, 2 ALL_GATHER,
  // 6 ALL_TO_ALL, 7 REDUCE_SCATTER) and comm_size = 1048576 (int64); no pg_name, so the group is
  // 'world'. racksim's all-gather bytes are the gathered output: comm_size x n.
  const std::vector<std::pair<std::string, CollectiveKind>> kinds = {{"all_reduce", CollectiveKind::AllReduce},
                                                                     {"all_gather", CollectiveKind::AllGather},
                                                                     {"reduce_scatter", CollectiveKind::ReduceScatter},
                                                                     {"all_to_all", CollectiveKind::AllToAll}};
  for (const auto& [name, kind] : kinds)
    for (const int n : {4, 8, 16}) {
      INFO(name << " " << n);
      const Workload w = load(spec_of(micro(name, n)));
      CHECK(w.name == name);
      REQUIRE(w.ranks == n);
      REQUIRE(w.groups.size() == 1);
      CHECK(w.groups[0].name == "world");
      CHECK(w.groups[0].ranks.size() == static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) {
        REQUIRE(w.programs[static_cast<std::size_t>(r)].size() == 1);
        const Op& op = w.programs[static_cast<std::size_t>(r)][0];
        CHECK(op.kind == OpKind::Collective);
        CHECK(op.collective == kind);
        CHECK(op.group == 0);
        CHECK(op.sequence == 0);
        CHECK(op.deps.empty());
        CHECK(op.bytes == (kind == CollectiveKind::AllGather ? 1048576ULL * static_cast<std::uint64_t>(n) : 1048576ULL));
        CHECK(op.algorithm == CollectiveAlgorithm::Auto);  // a plain Chakra trace names none: the run chooses
        CHECK(op.where.file == micro(name, n) + "." + std::to_string(r) + ".et");
      }
    }
}

TEST_CASE("chakra: the custom ring reads as sends, receives and reductions, with eager receives", "[chakra]") {
  // custom_allreduce.<r>.et: 35 nodes per rank (ids 0-34) - 14 COMM_SEND_NODE (comm_dst r+1,
  // comm_size 131072, comm_tag 0, int32), 14 COMM_RECV_NODE (comm_src r-1) and 7 COMP_NODE with
  // duration_micros 7, chained by data_deps: node k depends on node k-1.
  const Workload w = load(spec_of(kRing));
  REQUIRE(w.ranks == 8);
  for (int r = 0; r < 8; ++r) {
    const auto& ops = w.programs[static_cast<std::size_t>(r)];
    REQUIRE(ops.size() == 35);
    int sends = 0;
    int recvs = 0;
    int comps = 0;
    for (const Op& op : ops) {
      if (op.kind == OpKind::Send) {
        ++sends;
        CHECK(op.peer == (r + 1) % 8);
        CHECK(op.bytes == 131072);
        CHECK(op.tag == 0);
      } else if (op.kind == OpKind::Recv) {
        ++recvs;
        CHECK(op.peer == (r + 7) % 8);
        CHECK(op.bytes == 131072);
        // Eager: every receive is posted at the start.
        CHECK(op.deps.empty());
      } else {
        ++comps;
        CHECK(op.kind == OpKind::Compute);
        REQUIRE(op.duration.has_value());
        CHECK(op.duration->value() == Approx(7e-6).epsilon(1e-12));
      }
    }
    CHECK(sends == 14);
    CHECK(recvs == 14);
    CHECK(comps == 7);
  }
  // Nodes 0 send, 1 recv (after 0), 2 compute (after 1): the receive's dependency on the send
  // moves to the compute, which waits for both. Node 3 (send) waits for node 2.
  const auto& ops = w.programs[0];
  CHECK(ops[0].id == "COMM_SEND_NODE_tb0_step0#0");
  CHECK(ops[0].deps.empty());
  CHECK(ops[2].deps == std::vector<int>{0, 1});
  CHECK(ops[3].deps == std::vector<int>{2});
  CHECK(ops[5].deps == std::vector<int>{3, 4});
}

TEST_CASE("chakra: with rendezvous point-to-point the ring keeps its receive-after-send order", "[chakra]") {
  ChakraSpec s = spec_of(kRing);
  s.p2p = ChakraP2p::Rendezvous;
  const Workload w = load(s);
  // Node 1 (recv) depends on node 0 (send) as written: the simulation would deadlock, which is
  // why Chakra traces default to eager (checked by cli/chakra/ring_rendezvous_deadlocks).
  CHECK(w.programs[0][1].deps == std::vector<int>{0});
  CHECK(w.programs[0][2].deps == std::vector<int>{1});
}

TEST_CASE("chakra: the real trace maps CPU operators to delays and GPU kernels to streams", "[chakra]") {
  // chakra.0.et: 3,664 nodes (ids 216 ... 6347, in increasing order): 2,448 with is_cpu_op =
  // true (2,434 COMP_NODE + 14 COMM_COLL_NODE, the host side of the collectives), 1,209 GPU
  // COMP_NODE on tid 7 and 7 GPU COMM_COLL_NODE on tid 14: comm_type 5 (BROADCAST) of 212480 and
  // 424 B at nodes 5 and 11, comm_type 0 (ALL_REDUCE) of 8196000, 31502336, 26255360,
  // 26550272 and 9724160 B at nodes 1349, 1520, 1634, 2196 and 2996. No METADATA_NODE, no
  // num_ops; duration_micros sums to 52,252 over the CPU nodes and 292,828 over the GPU
  // COMP_NODEs.
  ChakraSpec s = spec_of(kReal);
  s.ctrl_deps = ChakraCtrlDeps::Ignore;
  s.broadcast_as_all_gather = true;
  const Workload w = load(s);
  REQUIRE(w.ranks == 1);
  const auto& ops = w.programs[0];
  REQUIRE(ops.size() == 3664);
  int delays = 0;
  int kernels = 0;
  double cpu_us = 0.0;
  double gpu_us = 0.0;
  std::vector<std::pair<std::size_t, std::uint64_t>> colls;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.kind == OpKind::Delay) {
      ++delays;
      cpu_us += op.duration->value() * 1e6;
      CHECK(w.streams[static_cast<std::size_t>(op.stream)] == "cpu");
    } else if (op.kind == OpKind::Compute) {
      ++kernels;
      REQUIRE(op.duration.has_value());  // no num_ops: the recorded duration
      gpu_us += op.duration->value() * 1e6;
      CHECK(w.streams[static_cast<std::size_t>(op.stream)] == "tid7");
    } else {
      REQUIRE(op.kind == OpKind::Collective);
      CHECK(w.streams[static_cast<std::size_t>(op.stream)] == "tid14");
      colls.emplace_back(i, op.bytes);
    }
  }
  CHECK(delays == 2448);
  CHECK(kernels == 1209);
  CHECK(cpu_us == Approx(52252.0).epsilon(1e-9));
  CHECK(gpu_us == Approx(292828.0).epsilon(1e-9));
  const std::vector<std::pair<std::size_t, std::uint64_t>> expected = {
      {5, 212480}, {11, 424}, {1349, 8196000}, {1520, 31502336}, {1634, 26255360}, {2196, 26550272}, {2996, 9724160}};
  CHECK(colls == expected);
  // The broadcasts run as all-gathers (broadcast_as: all_gather), the others as all-reduces, all
  // on 'world', numbered in program order.
  CHECK(ops[5].collective == CollectiveKind::AllGather);
  CHECK(ops[1349].collective == CollectiveKind::AllReduce);
  CHECK(ops[2996].sequence == 6);
  // Node 8 (id 618, tid 7) has data_deps [541] = node 6; the previous kernel of tid 7 is node 2
  // (id 430). Node 11 (id 622, tid 14) has data_deps [619, 541, 542] = nodes 9, 6, 7, and the
  // previous kernel of tid 14 is node 5.
  CHECK(ops[8].deps == std::vector<int>{2, 6});
  CHECK(ops[11].deps == std::vector<int>{5, 6, 7, 9});
  // Op ids are the node's name and id: names repeat in PyTorch traces.
  CHECK_THAT(ops[8].id, Catch::Matchers::EndsWith("#618"));
  CHECK(ops[0].id == "aten::flatten_dense_tensors(0)#216");
}

TEST_CASE("chakra: replicate runs the one rank of the real trace as identical ranks", "[chakra]") {
  ChakraSpec s = spec_of(kReal);
  s.ctrl_deps = ChakraCtrlDeps::Ignore;
  s.broadcast_as_all_gather = true;
  s.replicate = 8;
  s.replicate_where = Location{"test", 3, 1, "workload.replicate"};
  const Workload w = load(s);
  REQUIRE(w.ranks == 8);
  CHECK(w.groups[0].ranks.size() == 8);
  for (int r = 1; r < 8; ++r) CHECK(w.programs[static_cast<std::size_t>(r)].size() == 3664);
  CHECK(w.programs[7][1349].bytes == 8196000);
  CHECK(w.ranks_where.key == "workload.replicate");
}

TEST_CASE("chakra: the real trace's ctrl_deps are refused unless ignored, with the reason", "[chakra]") {
  // Node 0 (id 216, 'aten::flatten_dense_tensors(0)') has ctrl_deps [3]; no node has id 3 (the
  // PyTorch converter's parent operator, not written). It sits after the GlobalMetadata frame.
  const std::vector<Frame> fr = frames(slurp(kReal + ".0.et"));
  const InputError e = input_error_of([&] { (void)load(spec_of(kReal)); });
  CHECK(e.where().file == kReal + ".0.et");
  CHECK(e.where().key == "node 0 (id 216, byte offset " + std::to_string(fr[1].offset) + ")");
  CHECK_THAT(e.what(), Contains("ctrl_deps names node id 3, which no node of this file has") &&
                           Contains("set 'ctrl_deps: ignore'"));
}

TEST_CASE("chakra: a BROADCAST is refused unless broadcast_as is set", "[chakra]") {
  // Node 5 (id 435) is the first GPU COMM_COLL_NODE: comm_type 5 = BROADCAST.
  const std::vector<Frame> fr = frames(slurp(kReal + ".0.et"));
  ChakraSpec s = spec_of(kReal);
  s.ctrl_deps = ChakraCtrlDeps::Ignore;
  const InputError e = input_error_of([&] { (void)load(s); });
  CHECK(e.where().key == "node 5 (id 435, byte offset " + std::to_string(fr[6].offset) + ")");
  CHECK_THAT(e.what(), Contains("comm_type BROADCAST (5): racksim has no broadcast") && Contains("broadcast_as: all_gather"));
}

// ---- damaged files ------------------------------------------------------------------------------

TEST_CASE("chakra: truncated and corrupt files name the file, the node and its byte offset", "[chakra]") {
  const fs::path dir = scratch("damaged");
  const std::string ring = slurp(kRing + ".0.et");
  const std::vector<Frame> fr = frames(ring);
  REQUIRE(fr.size() == 36);  // GlobalMetadata + 35 nodes
  const std::string path = (dir / "t.0.et").string();
  const std::string prefix = (dir / "t").string();

  SECTION("cut inside node 17's message") {
    // Frame 18 is node 17; keep its length prefix and half of its bytes.
    const Frame& f = fr[18];
    const std::size_t cut = f.offset + f.prefix + f.length / 2;
    spit(path, ring.substr(0, cut));
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK(e.where().file == path);
    CHECK(e.where().key == "node 17 (byte offset " + std::to_string(f.offset) + ")");
    CHECK_THAT(e.what(), Contains(std::to_string(f.length) + "-byte Node message but only " +
                                  std::to_string(f.length / 2) + " bytes remain (the file is truncated)"));
  }
  SECTION("cut inside the GlobalMetadata's length prefix") {
    // The metadata (29 KB of astra-sim's collective XML) has a multi-byte length prefix.
    REQUIRE(fr[0].prefix > 1);
    spit(path, ring.substr(0, 1));
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK(e.where().key == "GlobalMetadata (byte offset 0)");
    CHECK_THAT(e.what(), Contains("the length prefix is cut off or is not a varint"));
  }
  SECTION("cut inside a node's length prefix") {
    const std::string real = slurp(kReal + ".0.et");
    const std::vector<Frame> rf = frames(real);
    const Frame& f = rf[101];  // node 100
    REQUIRE(f.prefix > 1);
    spit(path, real.substr(0, f.offset + 1));
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK(e.where().key == "node 100 (byte offset " + std::to_string(f.offset) + ")");
    CHECK_THAT(e.what(), Contains("the length prefix is cut off"));
  }
  SECTION("bytes that are not a Node") {
    // Node 3's body replaced by 0xFF bytes: an unterminated varint field key.
    std::string bad = ring;
    const Frame& f = fr[4];
    for (std::size_t i = 0; i < f.length; ++i) bad[f.offset + f.prefix + i] = static_cast<char>(0xFF);
    spit(path, bad);
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK(e.where().key == "node 3 (byte offset " + std::to_string(f.offset) + ")");
    CHECK_THAT(e.what(), Contains("do not parse as a Chakra Node message"));
  }
  SECTION("an empty file") {
    spit(path, "");
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK_THAT(e.what(), Contains("the file is empty"));
  }
}

TEST_CASE("chakra: rank files must start at 0 and have no gap", "[chakra]") {
  const fs::path dir = scratch("gap");
  const std::string one = wire::file({coll(0, wire::ALL_REDUCE, {wire::int64("comm_size", 1024)})});
  SECTION("none") {
    const InputError e = input_error_of([&] { (void)load(spec_of((dir / "t").string())); });
    CHECK_THAT(e.what(), Contains("no Chakra ET file " + (dir / "t").string() + ".0.et"));
    CHECK(e.where().key == "workload.prefix");
  }
  SECTION("a gap") {
    for (const int r : {0, 1, 3}) spit(dir / ("t." + std::to_string(r) + ".et"), one);
    spit(dir / "t.02.et", one);  // leading zero: not a rank file
    const InputError e = input_error_of([&] { (void)load(spec_of((dir / "t").string())); });
    CHECK_THAT(e.what(), Contains((dir / "t").string() + ".2.et is missing") && Contains("t.3.et exists"));
  }
}

// ---- attributes, dependencies, node types ----------------------------------------------------

TEST_CASE("chakra: integer attributes are read whatever their variant", "[chakra]") {
  const fs::path dir = scratch("variants");
  // Rank 0: five all-reduces whose comm_size uses five variants, a send (comm_dst int32, size
  // uint64, tag sint32), a compute of num_ops (double) and tensor_size (fixed64).
  // Rank 1: the same all-reduces with the other variants, the matching recv (comm_src sint64,
  // size fixed64, tag uint32).
  std::vector<wire::Node> r0 = {
      coll(0, wire::ALL_REDUCE, {wire::int32("comm_size", 1000)}),
      coll(1, wire::ALL_REDUCE, {wire::uint32("comm_size", 2000)}),
      coll(2, wire::ALL_REDUCE, {wire::sint64("comm_size", 3000)}),
      coll(3, wire::ALL_REDUCE, {wire::fixed32("comm_size", 4000)}),
      coll(4, wire::ALL_REDUCE, {wire::sfixed64("comm_size", 5000000000LL)}),
  };
  std::vector<wire::Node> r1 = {
      coll(0, wire::ALL_REDUCE, {wire::uint64("comm_size", 1000)}),
      coll(1, wire::ALL_REDUCE, {wire::sint32("comm_size", 2000)}),
      coll(2, wire::ALL_REDUCE, {wire::fixed64("comm_size", 3000)}),
      coll(3, wire::ALL_REDUCE, {wire::sfixed32("comm_size", 4000)}),
      coll(4, wire::ALL_REDUCE, {wire::int64("comm_size", 5000000000LL)}),
  };
  wire::Node send{5, "send", wire::SEND, {}, {}, 0, {wire::int32("comm_dst", 1), wire::uint64("comm_size", 65536), wire::sint32("comm_tag", 9)}};
  wire::Node recv{5, "recv", wire::RECV, {}, {}, 0, {wire::sint64("comm_src", 0), wire::fixed64("comm_size", 65536), wire::uint32("comm_tag", 9)}};
  wire::Node gemm{6, "gemm", wire::COMP, {}, {}, 0,
                  {wire::dbl("num_ops", 2.5e12), wire::fixed64("tensor_size", 1u << 30), wire::boolean("is_cpu_op", false)}};
  r0.push_back(send);
  r0.push_back(gemm);
  r1.push_back(recv);
  const Workload w = load(spec_of(wire::write(dir, {r0, r1})));
  const std::vector<std::uint64_t> sizes = {1000, 2000, 3000, 4000, 5000000000ULL};
  for (int r = 0; r < 2; ++r)
    for (std::size_t i = 0; i < 5; ++i) CHECK(w.programs[static_cast<std::size_t>(r)][i].bytes == sizes[i]);
  const Op& s = w.programs[0][5];
  CHECK(s.kind == OpKind::Send);
  CHECK(s.peer == 1);
  CHECK(s.bytes == 65536);
  CHECK(s.tag == 9);
  const Op& rv = w.programs[1][5];
  CHECK(rv.kind == OpKind::Recv);
  CHECK(rv.peer == 0);
  CHECK(rv.tag == 9);
  const Op& g = w.programs[0][6];
  CHECK(g.kind == OpKind::Compute);
  CHECK_FALSE(g.duration.has_value());
  CHECK(g.flops.value() == 2.5e12);
  CHECK(g.hbm_bytes.value() == 1073741824.0);
  CHECK(g.precision == Precision::bf16);  // the default `precision` of FLOP-counted nodes

  SECTION("a string where an integer is expected") {
    const fs::path d2 = scratch("variants_bad");
    const std::string prefix = wire::write(d2, {{coll(0, wire::ALL_REDUCE, {wire::string("comm_size", "1 MB")})}});
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK(e.where().key == "node 0 (id 0, byte offset " + std::to_string(frames(slurp(prefix + ".0.et"))[1].offset) + ")");
    CHECK_THAT(e.what(), Contains("attribute 'comm_size' is a string_val; expected an integer (int32, int64"));
  }
  SECTION("a negative size") {
    const fs::path d2 = scratch("variants_negative");
    const std::string prefix = wire::write(d2, {{coll(0, wire::ALL_REDUCE, {wire::sint64("comm_size", -5)})}});
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(prefix)); }).what(),
               Contains("attribute 'comm_size' = -5 is negative"));
  }
}

TEST_CASE("chakra: a dependency on an unknown node id is an error", "[chakra]") {
  const fs::path dir = scratch("unknown_dep");
  const std::string prefix = wire::write(dir, {{comp(10, 5), comp(11, 5, {10, 99})}});
  const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
  CHECK(e.where().file == prefix + ".0.et");
  CHECK_THAT(e.where().key, Contains("node 1 (id 11, byte offset"));
  CHECK_THAT(e.what(), Contains("'comp11': data_deps names node id 99, which no node of this file has"));
}

TEST_CASE("chakra: a node that depends on itself is an error", "[chakra]") {
  const fs::path dir = scratch("self_dep");
  wire::Node n = comp(4, 5, {4});
  const std::string prefix = wire::write(dir, {{n}});
  CHECK_THAT(input_error_of([&] { (void)load(spec_of(prefix)); }).what(),
             Contains("data_deps names the node itself (id 4)"));
}

TEST_CASE("chakra: dependency cycles are found before the simulation", "[chakra]") {
  const fs::path dir = scratch("cycle");
  SECTION("through data_deps") {
    // 1 -> 2 -> 3 -> 1 (each after the next one); node 0 stands apart.
    const std::string prefix = wire::write(dir, {{comp(0, 1), comp(1, 1, {3}), comp(2, 1, {1}), comp(3, 1, {2})}});
    const InputError e = input_error_of([&] { (void)load(spec_of(prefix)); });
    CHECK_THAT(e.what(), Contains("dependency cycle: node 1 (id 1, 'comp1') after node 3 (id 3, 'comp3') after node 2 (id 2, "
                                  "'comp2') after node 1 (id 1, 'comp1')"));
    CHECK_THAT(e.where().key, Contains("node 1 (id 1,"));
  }
  SECTION("through the order of a GPU stream") {
    // Both on tid 7: the stream runs node 0 before node 1, but node 0 waits for node 1.
    wire::Node a = comp(0, 1, {1});
    wire::Node b = comp(1, 1);
    a.attrs = {wire::int64("tid", 7)};
    b.attrs = {wire::int64("tid", 7)};
    const std::string prefix = wire::write(dir, {{a, b}});
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(prefix)); }).what(),
               Contains("dependency cycle: node 0 (id 0, 'comp0') after node 1 (id 1, 'comp1') after node 0") &&
                   Contains("the order of each GPU stream (tid)"));
  }
  SECTION("through ctrl_deps") {
    wire::Node a = comp(0, 1);
    wire::Node b = comp(1, 1, {0});
    a.ctrl_deps = {1};
    const std::string prefix = wire::write(dir, {{a, b}});
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(prefix)); }).what(), Contains("dependency cycle"));
    ChakraSpec s = spec_of(prefix);
    s.ctrl_deps = ChakraCtrlDeps::Ignore;
    CHECK(load(s).programs[0][1].deps == std::vector<int>{0});
  }
}

TEST_CASE("chakra: node types map to ops; METADATA_NODE passes its dependencies on", "[chakra]") {
  const fs::path dir = scratch("types");
  wire::Node meta{1, "marker", wire::METADATA, {0}, {}, 0, {}};
  wire::Node load_n{2, "load", wire::MEM_LOAD, {1}, {}, 0, {wire::uint64("tensor_size", 1 << 20)}};
  wire::Node cpu{3, "host", wire::COMP, {2}, {}, 40, {wire::boolean("is_cpu_op", true)}};
  wire::Node bytes_only{4, "copy", wire::COMP, {}, {}, 0, {wire::uint64("tensor_size", 4096)}};
  const std::string prefix = wire::write(dir, {{comp(0, 10), meta, load_n, cpu, bytes_only}});
  const Workload w = load(spec_of(prefix));
  const auto& ops = w.programs[0];
  REQUIRE(ops.size() == 4);  // the METADATA_NODE is no op
  CHECK(ops[0].duration->value() == Approx(10e-6).epsilon(1e-12));
  // MEM_LOAD_NODE: HBM traffic only, after node 0 through the metadata node.
  CHECK(ops[1].kind == OpKind::Compute);
  CHECK(ops[1].hbm_bytes.value() == 1048576.0);
  CHECK(ops[1].flops.value() == 0.0);
  CHECK_FALSE(ops[1].duration.has_value());
  CHECK(ops[1].deps == std::vector<int>{0});
  // A CPU node: a delay of its duration.
  CHECK(ops[2].kind == OpKind::Delay);
  CHECK(ops[2].duration->value() == Approx(40e-6).epsilon(1e-12));
  CHECK(w.streams[static_cast<std::size_t>(ops[2].stream)] == "cpu");
  // A COMP_NODE with tensor_size and neither num_ops nor duration: bytes only.
  CHECK(ops[3].hbm_bytes.value() == 4096.0);
  CHECK_FALSE(ops[3].duration.has_value());

  SECTION("unsupported node types and collectives name what racksim runs") {
    const fs::path d2 = scratch("types_bad");
    wire::Node storage{0, "ckpt", wire::STORAGE, {}, {}, 0, {}};
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(wire::write(d2, {{storage}}))); }).what(),
               Contains("node type STORAGE_NODE is not supported"));
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(wire::write(d2, {{coll(0, wire::REDUCE, {wire::int64("comm_size", 8)})}}))); })
                   .what(),
               Contains("comm_type REDUCE (1) is not supported"));
    CHECK_THAT(input_error_of([&] { (void)load(spec_of(wire::write(d2, {{coll(0, wire::ALL_REDUCE)}}))); }).what(),
               Contains("needs the attribute 'comm_size'"));
  }
}

TEST_CASE("chakra: BARRIER is an all-reduce of one byte per member", "[chakra]") {
  const fs::path dir = scratch("barrier");
  std::vector<std::vector<wire::Node>> ranks(4, {coll(0, wire::BARRIER)});
  const Workload w = load(spec_of(wire::write(dir, ranks)));
  for (const auto& p : w.programs) {
    CHECK(p[0].collective == CollectiveKind::AllReduce);
    CHECK(p[0].algorithm == CollectiveAlgorithm::Auto);
    CHECK(p[0].bytes == 4);  // 4 members: 4 chunks of 1 byte, none empty
  }
}

TEST_CASE("chakra: pg_name names a group of the scenario", "[chakra]") {
  const fs::path dir = scratch("groups");
  auto ar = [](const std::string& pg) { return coll(0, wire::ALL_REDUCE, {wire::int64("comm_size", 4096), wire::string("pg_name", pg)}); };
  const std::string prefix = wire::write(dir, {{ar("tp0")}, {ar("tp0")}, {ar("tp1")}, {ar("tp1")}});
  ChakraSpec s = spec_of(prefix);
  s.groups = {{"tp0", {0, 1}, Location{}}, {"tp1", {2, 3}, Location{}}};
  const Workload w = load(s);
  REQUIRE(w.groups.size() == 3);
  CHECK(w.groups[1].name == "tp0");
  CHECK(w.programs[0][0].group == 1);
  CHECK(w.programs[3][0].group == 2);
  CHECK(w.groups[2].position[3] == 1);

  SECTION("an undefined group") {
    s.groups.pop_back();
    CHECK_THAT(input_error_of([&] { (void)load(s); }).what(),
               Contains("pg_name 'tp1' names a process group the scenario does not define (groups: world, tp0)"));
  }
  SECTION("a rank outside its group") {
    s.groups = {{"tp0", {0, 1}, Location{}}, {"tp1", {1, 3}, Location{}}};
    CHECK_THAT(input_error_of([&] { (void)load(s); }).what(),
               Contains("rank 2 runs a collective on group 'tp1' but is not a member of it (members: 1, 3)"));
  }
}

TEST_CASE("chakra: sends and receives are matched across ranks", "[chakra]") {
  const fs::path dir = scratch("p2p");
  wire::Node send{0, "s", wire::SEND, {}, {}, 0, {wire::int32("comm_dst", 1), wire::int64("comm_size", 100)}};
  wire::Node recv{0, "r", wire::RECV, {}, {}, 0, {wire::int32("comm_src", 0), wire::int64("comm_size", 200)}};
  CHECK_THAT(input_error_of([&] { (void)load(spec_of(wire::write(dir, {{send}, {recv}}))); }).what(),
             Contains("recv 'r#0' on rank 1 expects 200 B but the matching send 's#0' on rank 0 sends 100 B"));
  wire::Node to_self{0, "s", wire::SEND, {}, {}, 0, {wire::int32("comm_dst", 0), wire::int64("comm_size", 100)}};
  CHECK_THAT(input_error_of([&] { (void)load(spec_of(wire::write(dir, {{to_self}, {recv}}))); }).what(),
             Contains("comm_dst = 0: rank 0 sends to or receives from itself"));
}

TEST_CASE("chakra: recorded_on scales duration-only GPU compute to the target GPU", "[chakra]") {
  const fs::path dir = scratch("scaling");
  wire::Node flops{1, "gemm", wire::COMP, {}, {}, 0, {wire::int64("num_ops", 1000000000000LL), wire::int64("tensor_size", 1000)}};
  wire::Node host{2, "host", wire::COMP, {}, {}, 1000, {wire::boolean("is_cpu_op", true)}};
  const std::string prefix = wire::write(dir, {{comp(0, 1000), flops, host}});
  ChakraSpec s = spec_of(prefix);
  s.recorded_on = test::gpu("mi300x");
  // BF16 dense: MI300X 1307.4 TFLOP/s, MI355X 2500 TFLOP/s (models/catalog/gpus.yaml):
  // 1000 us x 1307.4 / 2500 = 522.96 us.
  Workload w = load(s, "mi355x");
  CHECK(w.programs[0][0].duration->value() == Approx(522.96e-6).epsilon(1e-12));
  // FLOP-counted kernels go through the target's model, and host time is not scaled.
  CHECK(w.programs[0][1].flops.value() == 1e12);
  CHECK(w.programs[0][2].duration->value() == Approx(1000e-6).epsilon(1e-12));
  // By HBM bandwidth: MI300X 5.3 TB/s, MI355X 8.0 TB/s: 1000 us x 5.3 / 8 = 662.5 us.
  s.scale_by_hbm = true;
  w = load(s, "mi355x");
  CHECK(w.programs[0][0].duration->value() == Approx(662.5e-6).epsilon(1e-12));
  // Without recorded_on: as recorded.
  CHECK(load(spec_of(prefix), "mi355x").programs[0][0].duration->value() == Approx(1000e-6).epsilon(1e-12));
}

// ---- scenario keys ------------------------------------------------------------------------------

TEST_CASE("chakra: the scenario keys of a chakra workload", "[chakra]") {
  auto read = [](const std::string& yaml) {
    const ConfigDoc doc = ConfigDoc::load_string(yaml, "scenario.yaml");
    MapReader m(doc.root(), "workload");
    (void)m.required("kind");
    ChakraSpec s = read_chakra_spec(m, std::string(RACKSIM_TEST_DATA) + "/chakra", test::shipped());
    m.finish();
    return s;
  };
  SECTION("a relative prefix is resolved against the scenario's folder; the files are counted") {
    const ChakraSpec s = read("kind: chakra\nprefix: microbenchmarks/all_to_all/16npus_1MB/all_to_all\n");
    CHECK(s.prefix == micro("all_to_all", 16));
    CHECK(s.files == 16);
    CHECK(s.ranks == 16);
    CHECK(s.ctrl_deps == ChakraCtrlDeps::Follow);
    CHECK(s.p2p == ChakraP2p::Auto);
  }
  SECTION("all options") {
    const ChakraSpec s = read(
        "kind: chakra\nprefix: microbenchmarks/all_reduce/4npus_1MB/all_reduce\nrecorded_on: h100\nscale_by: fp8\n"
        "precision: fp8\nctrl_deps: ignore\np2p: eager\nbroadcast_as: all_gather\ngroups: {pair: [\"0-1\"], odd: [1, 3], all4: all}\n");
    REQUIRE(s.recorded_on.has_value());
    CHECK(s.recorded_on->id == "h100");
    CHECK(s.scale_precision == Precision::fp8);
    CHECK(s.precision == Precision::fp8);
    CHECK(s.ctrl_deps == ChakraCtrlDeps::Ignore);
    CHECK(s.p2p == ChakraP2p::Eager);
    CHECK(s.broadcast_as_all_gather);
    REQUIRE(s.groups.size() == 3);
    CHECK(s.groups[0].ranks == std::vector<int>{0, 1});
    CHECK(s.groups[1].ranks == std::vector<int>{1, 3});
    CHECK(s.groups[2].ranks == std::vector<int>{0, 1, 2, 3});
  }
  SECTION("errors name the key") {
    const std::string base = "kind: chakra\nprefix: microbenchmarks/all_reduce/4npus_1MB/all_reduce\n";
    InputError e = input_error_of([&] { (void)read(base + "replicate: 8\n"); });
    CHECK(e.where().key == "replicate");
    CHECK_THAT(e.what(), Contains("has 4 rank files; remove 'replicate'"));
    e = input_error_of([&] { (void)read(base + "recorded_on: mi999x\n"); });
    CHECK(e.where().line == 3);
    CHECK_THAT(e.what(), Contains("unknown GPU 'mi999x'; catalog GPUs: ") && Contains("mi300x"));
    e = input_error_of([&] { (void)read(base + "scale_by: bf16\n"); });
    CHECK_THAT(e.what(), Contains("'scale_by' needs 'recorded_on'"));
    e = input_error_of([&] { (void)read(base + "groups: {pair: [2, 7]}\n"); });
    CHECK_THAT(e.what(), Contains("rank 7 does not exist: the trace has 4 ranks (0 to 3)"));
    e = input_error_of([&] { (void)read(base + "groups: {world: all}\n"); });
    CHECK_THAT(e.what(), Contains("the group 'world' is predefined"));
    e = input_error_of([&] { (void)read(base + "ctrl_deps: maybe\n"); });
    CHECK_THAT(e.what(), Contains("unknown value 'maybe'; expected one of: follow, ignore"));
    e = input_error_of([&] { (void)read("kind: chakra\nprefix: nothing/here\n"); });
    CHECK(e.where().key == "prefix");
    CHECK_THAT(e.what(), Contains("no Chakra ET file"));
  }
}

// ---- the writer ---------------------------------------------------------------------------------

TEST_CASE("chakra: write then read gives back every native trace field by field", "[chakra]") {
  const std::vector<std::string> traces = {
      kData + "native-all-kinds.yaml",
      std::string(RACKSIM_SOURCE_DIR) + "/scenarios/traces/helios-step.yaml",
      std::string(RACKSIM_SOURCE_DIR) + "/scenarios/traces/mi300x-collectives.yaml",
      std::string(RACKSIM_TEST_DATA) + "/unit/trace_valid.yaml",
      std::string(RACKSIM_TEST_DATA) + "/sim/memory.yaml",
  };
  int i = 0;
  for (const auto& t : traces) {
    INFO(t);
    const Workload w = load_native_trace(t);
    check_same(w, round_trip(w, "native" + std::to_string(i++)));
  }
}

TEST_CASE("chakra: write then read keeps what the native format cannot express", "[chakra]") {
  // Training metadata, parallel dimensions, GEMM transposes, grouped-query and backward
  // attention, an unsorted dependency list, and bytes that do not divide by the group size.
  Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  w.training = TrainingInfo{1048576.0, 3.3e18, 4.4e18, Precision::fp8, 4, 16, {14, 13, 12, -1}};
  w.groups[1].dim = ParallelDim::TP;
  w.groups[2].dim = ParallelDim::DP;
  Op& qkv = w.programs[0][1];
  REQUIRE(qkv.gemm.has_value());
  qkv.gemm->trans_b = true;
  Op& attn = w.programs[0][2];
  REQUIRE(attn.attention.has_value());
  attn.attention->kv_heads = 8;
  attn.attention->backward = true;
  w.programs[1][10].dim = ParallelDim::PP;
  w.programs[2][3].deps = {2, 1};
  check_same(w, round_trip(w, "extras"));
}

TEST_CASE("chakra: an attention's sliding window survives the round trip", "[chakra][window]") {
  // racksim.attention carries an eighth integer, the window, only when there is one (files of
  // windowless attention are as before).
  Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  Op* attn = nullptr;
  for (auto& op : w.programs[0])
    if (op.attention) attn = &op;
  REQUIRE(attn != nullptr);
  attn->attention->causal = true;
  attn->attention->window = 64;
  const Workload back = round_trip(w, "window");
  const Op* got = nullptr;
  for (const auto& op : back.programs[0])
    if (op.attention) got = &op;
  REQUIRE(got != nullptr);
  CHECK(got->attention->window == 64);
  CHECK(got->attention->causal);
}

TEST_CASE("chakra: names that are not UTF-8 are written repaired, so the files read back", "[chakra]") {
  // proto3 string fields must be UTF-8: a parser (racksim's own) refuses a file whose names are
  // not. A trace's names come from the user; each invalid byte is written as U+FFFD (EF BF BD),
  // as summary.json writes them (core/utf8.hpp).
  Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  w.name = "step\xff";
  w.programs[0][0].id = "op\xfe";
  w.programs[0][0].label = "\xc3";  // a lead byte with no continuation
  const Workload back = round_trip(w, "utf8");
  CHECK(back.name == "step\xef\xbf\xbd");
  CHECK(back.programs[0][0].id == "op\xef\xbf\xbd");
  CHECK(back.programs[0][0].label == "\xef\xbf\xbd");
  REQUIRE(back.programs.size() == w.programs.size());
  CHECK(back.programs[0].size() == w.programs[0].size());
}

TEST_CASE("chakra: a Chakra trace read, written and read again stays the same", "[chakra]") {
  ChakraSpec s = spec_of(kRing);
  const Workload w = load(s);
  check_same(w, round_trip(w, "ring"));
}

TEST_CASE("chakra: the writer fills the fields other Chakra tools read", "[chakra]") {
  const Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  const fs::path dir = scratch("writer_fields");
  write_chakra(w, dir.string(), "x");
  const std::string data = slurp((dir / "x.0.et").string());
  const std::vector<Frame> fr = frames(data);
  // GlobalMetadata + one node per op of rank 0 (12 + 2 + 1 = 15 ops).
  REQUIRE(fr.size() == 1 + w.programs[0].size());
  auto node = [&](std::size_t i) {
    const Frame& f = fr[i + 1];
    return wire::decode(data.substr(f.offset + f.prefix, f.length));
  };
  auto find = [&](const std::string& id) {
    for (std::size_t i = 0; i < w.programs[0].size(); ++i)
      if (w.programs[0][i].id == id) return i;
    FAIL("no op " << id);
    return std::size_t{0};
  };
  // Node: id 1, name 2, type 3, data_deps 5 (packed), duration_micros 7; AttributeProto: int64_val
  // 9, uint64_val 13, bool_val 27, string_val 29.
  {
    const std::size_t i = find("mlp");  // 7.1 TFLOP bf16 + 300 MB
    const wire::Decoded d = node(i);
    CHECK(d.varints.at(1).at(0) == i);
    CHECK(d.bytes.at(2).at(0) == "mlp");
    CHECK(d.varints.at(3).at(0) == wire::COMP);
    const auto a = wire::attrs_of(d);
    CHECK(a.at("num_ops").varints.at(9).at(0) == 7100000000000ULL);
    CHECK(a.at("tensor_size").varints.at(13).at(0) == 300000000ULL);
    CHECK(a.at("is_cpu_op").varints.at(27).at(0) == 0);
  }
  {
    // GEMM m 4096, n 12288, k 4096, batch 2, bf16 (models/kernel.hpp): FLOPs 2 m n k batch =
    // 824,633,720,832; bytes batch (m k + k n) x 2 + batch m n x 2 = 268,435,456 + 201,326,592.
    const auto a = wire::attrs_of(node(find("qkv")));
    CHECK(a.at("num_ops").varints.at(9).at(0) == 824633720832ULL);
    CHECK(a.at("tensor_size").varints.at(13).at(0) == 469762048ULL);
  }
  {
    // Causal flash attention b 2, h 32, s 4096, d 128, fp8: 4 b h s^2 d / 2 = 274,877,906,944
    // FLOPs; b s d (2h + 2h) x 1 byte = 2 x 4096 x 128 x 128 = 134,217,728 bytes.
    const auto a = wire::attrs_of(node(find("attn")));
    CHECK(a.at("num_ops").varints.at(9).at(0) == 274877906944ULL);
    CHECK(a.at("tensor_size").varints.at(13).at(0) == 134217728ULL);
  }
  {
    const wire::Decoded d = node(find("host"));  // delay of 7 us: a CPU node
    CHECK(d.varints.at(7).at(0) == 7);
    CHECK(wire::attrs_of(d).at("is_cpu_op").varints.at(27).at(0) == 1);
  }
  {
    const wire::Decoded d = node(find("ag"));  // all-gather of 64 MiB on 'left' (2 ranks)
    CHECK(d.varints.at(3).at(0) == wire::COLL);
    const auto a = wire::attrs_of(d);
    CHECK(a.at("comm_type").varints.at(9).at(0) == wire::ALL_GATHER);
    CHECK(a.at("comm_size").varints.at(9).at(0) == 33554432ULL);  // each rank's part: 64 MiB / 2
    CHECK(a.at("pg_name").bytes.at(29).at(0) == "left");
  }
  {
    const wire::Decoded d = node(find("halo_out"));  // send of 16 MB to rank 1, tag 1
    CHECK(d.varints.at(3).at(0) == wire::SEND);
    const auto a = wire::attrs_of(d);
    CHECK(a.at("comm_dst").varints.at(7).at(0) == 1);
    CHECK(a.at("comm_src").varints.at(7).at(0) == 0);
    CHECK(a.at("comm_tag").varints.at(7).at(0) == 1);
    CHECK(a.at("comm_size").varints.at(9).at(0) == 16000000ULL);
  }
}

TEST_CASE("chakra: files racksim wrote are checked against each other", "[chakra]") {
  const Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  const fs::path dir = scratch("tampered");
  write_chakra(w, dir.string(), "x");
  SECTION("a rank file missing at the end") {
    fs::remove(dir / "x.3.et");
    CHECK_THAT(input_error_of([&] { (void)load(spec_of((dir / "x").string())); }).what(),
               Contains("racksim.ranks = 4 but 3 rank files exist"));
  }
  SECTION("a file of another export") {
    Workload other = w;
    other.name = "other";
    const fs::path d2 = scratch("tampered_other");
    write_chakra(other, d2.string(), "x");
    fs::copy_file(d2 / "x.2.et", dir / "x.2.et", fs::copy_options::overwrite_existing);
    CHECK_THAT(input_error_of([&] { (void)load(spec_of((dir / "x").string())); }).what(),
               Contains("attribute 'racksim.workload' differs from rank 0's file"));
  }
  SECTION("replicate and groups do not apply") {
    ChakraSpec s = spec_of((dir / "x").string());
    s.groups = {{"g", {0}, Location{"scenario.yaml", 9, 3, "workload.groups.g"}}};
    CHECK_THAT(input_error_of([&] { (void)load(s); }).what(), Contains("defines its own groups"));
  }
}

TEST_CASE("chakra: write_chakra refuses a name that is no file name", "[chakra]") {
  const Workload w = load_native_trace(kData + "native-all-kinds.yaml");
  const fs::path dir = scratch("bad_name");
  CHECK_THROWS_AS(write_chakra(w, dir.string(), "a/b"), OutputError);
  CHECK_THROWS_AS(write_chakra(w, dir.string(), ""), OutputError);
  CHECK(find_chakra_files((dir / "a").string()).empty());
}
