// racksim sim: the Chakra ET reader and writer (docs/chakra.md).
//
// Reading, in order:
//   1. the rank files <prefix>.0.et ... <prefix>.<N-1>.et (no gap), each parsed message by
//      message with a CodedInputStream: varint length, GlobalMetadata, then varint length + Node
//      until the end. A cut-off length, a length past the end of the file or bytes that do not
//      parse name the file, the node index and its byte offset.
//   2. files racksim wrote (GlobalMetadata attribute racksim.format) are read back exactly: one
//      op per node with every field from the racksim.* attributes, dependencies = data_deps as
//      written. Any other file is mapped by node type (table in docs/chakra.md); its
//      dependencies are data_deps (+ ctrl_deps unless `ctrl_deps: ignore`), GPU nodes that share
//      a `tid` run in file order (a GPU stream), and METADATA_NODEs pass their dependencies on.
//   3. unknown dependency ids and cycles (dependencies and stream order together) are errors,
//      found before the simulation; then, for eager point-to-point semantics (astra-sim's: a send
//      completes when its data arrived, whether or not the receive was posted), every receive is
//      posted at the start and its dependencies move to its dependents. racksim's engine pairs
//      a send with a posted receive at once, so a dependent starts at
//      max(arrival, the receive's own dependencies): exactly when the eager receive completes.
//   4. validate_workload: collective sequences agree, every send has its receive.
//
// Worked example (tests/unit/workload/test_chakra.cpp, scenarios/chakra-allreduce-8.yaml): an astra-sim
// microbenchmark all_reduce.<r>.et holds one COMM_COLL_NODE per rank with comm_type 0 and
// comm_size 1048576: 8 ranks each run a ring all-reduce of 1 MiB on group 'world'; on the
// MI300X node (48 GB/s per xGMI link, 100 ns) that takes 14 x (100 ns + 131072 B / 48 GB/s)
// = 39.629333 us.
#include "sim/workload/chakra.hpp"

#include "core/atomic_file.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/utf8.hpp"
#include "sim/workload/workload_keys.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <proto/et_def.pb.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <queue>
#include <set>

namespace racksim {

namespace fs = std::filesystem;
namespace pb = ChakraProtoMsg;

namespace {

// The GlobalMetadata attribute that marks files racksim wrote, and its format version.
constexpr const char* kFormatAttr = "racksim.format";
constexpr std::int64_t kFormat = 1;
constexpr const char* kChakraVersion = "0.0.4";  // the schema version astra-sim's examples carry

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string node_type_name(int t) {
  return pb::NodeType_IsValid(t) ? pb::NodeType_Name(static_cast<pb::NodeType>(t)) : fmt::format("unknown node type {}", t);
}

std::string comm_type_name(std::int64_t t) {
  return (t >= 0 && t <= INT_MAX && pb::CollectiveCommType_IsValid(static_cast<int>(t)))
             ? fmt::format("{} ({})", pb::CollectiveCommType_Name(static_cast<pb::CollectiveCommType>(t)), t)
             : fmt::format("{} (not a CollectiveCommType)", t);
}

std::optional<ParallelDim> dim_from_string(const std::string& s) {
  for (const ParallelDim d : {ParallelDim::None, ParallelDim::TP, ParallelDim::PP, ParallelDim::DP, ParallelDim::EP, ParallelDim::CP})
    if (to_string(d) == s) return d;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// One node's identity for messages, and its attributes
// ---------------------------------------------------------------------------------------------

struct NodeRef {
  const std::string* file = nullptr;
  int index = 0;             // 0-based, among the nodes of the file (the GlobalMetadata excluded)
  std::uint64_t id = 0;
  std::size_t offset = 0;    // byte offset of the node's length prefix
  std::string name;

  [[nodiscard]] Location where() const {
    return Location{*file, 0, 0, fmt::format("node {} (id {}, byte offset {})", index, id, offset)};
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where(), name.empty() ? what : fmt::format("'{}': {}", name, what));
  }
};

const char* value_case_name(const pb::AttributeProto& a) {
  using A = pb::AttributeProto;
  switch (a.value_case()) {
    case A::kDoubleVal: return "double_val";
    case A::kDoubleList: return "double_list";
    case A::kFloatVal: return "float_val";
    case A::kFloatList: return "float_list";
    case A::kInt32Val: return "int32_val";
    case A::kInt32List: return "int32_list";
    case A::kInt64Val: return "int64_val";
    case A::kInt64List: return "int64_list";
    case A::kUint32Val: return "uint32_val";
    case A::kUint32List: return "uint32_list";
    case A::kUint64Val: return "uint64_val";
    case A::kUint64List: return "uint64_list";
    case A::kSint32Val: return "sint32_val";
    case A::kSint32List: return "sint32_list";
    case A::kSint64Val: return "sint64_val";
    case A::kSint64List: return "sint64_list";
    case A::kFixed32Val: return "fixed32_val";
    case A::kFixed32List: return "fixed32_list";
    case A::kFixed64Val: return "fixed64_val";
    case A::kFixed64List: return "fixed64_list";
    case A::kSfixed32Val: return "sfixed32_val";
    case A::kSfixed32List: return "sfixed32_list";
    case A::kSfixed64Val: return "sfixed64_val";
    case A::kSfixed64List: return "sfixed64_list";
    case A::kBoolVal: return "bool_val";
    case A::kBoolList: return "bool_list";
    case A::kStringVal: return "string_val";
    case A::kStringList: return "string_list";
    case A::kBytesVal: return "bytes_val";
    case A::kBytesList: return "bytes_list";
    case A::VALUE_NOT_SET: return "no value";
  }
  return "an unknown value";
}

bool is_int_case(const pb::AttributeProto& a) {
  using A = pb::AttributeProto;
  switch (a.value_case()) {
    case A::kInt32Val:
    case A::kInt64Val:
    case A::kUint32Val:
    case A::kUint64Val:
    case A::kSint32Val:
    case A::kSint64Val:
    case A::kFixed32Val:
    case A::kFixed64Val:
    case A::kSfixed32Val:
    case A::kSfixed64Val: return true;
    default: return false;
  }
}

constexpr const char* kIntVariants = "an integer (int32, int64, uint32, uint64, sint32, sint64, fixed32, fixed64, sfixed32 or sfixed64)";

// The attributes of one message by name. Only the names racksim reads are checked for
// duplicates (others are kept for other tools and never looked at).
class Attrs {
public:
  Attrs(const google::protobuf::RepeatedPtrField<pb::AttributeProto>& list, std::function<void(const std::string&)> fail)
      : fail_(std::move(fail)) {
    for (const auto& a : list) {
      const auto [it, fresh] = by_name_.emplace(a.name(), &a);
      if (!fresh) dup_.insert(a.name());
    }
  }

  [[nodiscard]] const pb::AttributeProto* find(const std::string& name) const {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    if (dup_.count(name)) fail(fmt::format("attribute '{}' appears more than once", name));
    return it->second;
  }
  [[nodiscard]] bool has(const std::string& name) const { return find(name) != nullptr; }

  // Any integer variant; uint64 values above 2^63 - 1 are out of range.
  [[nodiscard]] std::optional<std::int64_t> get_int(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    using A = pb::AttributeProto;
    switch (a->value_case()) {
      case A::kInt32Val: return a->int32_val();
      case A::kInt64Val: return a->int64_val();
      case A::kUint32Val: return static_cast<std::int64_t>(a->uint32_val());
      case A::kSint32Val: return a->sint32_val();
      case A::kSint64Val: return a->sint64_val();
      case A::kFixed32Val: return static_cast<std::int64_t>(a->fixed32_val());
      case A::kSfixed32Val: return a->sfixed32_val();
      case A::kSfixed64Val: return a->sfixed64_val();
      case A::kUint64Val:
      case A::kFixed64Val: {
        const std::uint64_t v = a->value_case() == A::kUint64Val ? a->uint64_val() : a->fixed64_val();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          fail(fmt::format("attribute '{}' = {} is out of range (at most 2^63 - 1)", name, v));
        return static_cast<std::int64_t>(v);
      }
      default:
        fail(fmt::format("attribute '{}' is a {}; expected {}", name, value_case_name(*a), kIntVariants));
    }
  }
  // An integer in [lo, hi].
  [[nodiscard]] std::optional<std::int64_t> get_int(const std::string& name, std::int64_t lo, std::int64_t hi) const {
    const auto v = get_int(name);
    if (v && (*v < lo || *v > hi)) fail(fmt::format("attribute '{}' = {} is out of range; expected {} to {}", name, *v, lo, hi));
    return v;
  }
  // A non-negative count of bytes or operations: any integer variant, or a double/float, at most
  // `max` (core/limits.hpp).
  [[nodiscard]] std::optional<double> get_count(const std::string& name, double max) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    double v = 0.0;
    if (a->value_case() == pb::AttributeProto::kDoubleVal) v = a->double_val();
    else if (a->value_case() == pb::AttributeProto::kFloatVal) v = static_cast<double>(a->float_val());
    else if (a->value_case() == pb::AttributeProto::kUint64Val) v = static_cast<double>(a->uint64_val());
    else if (a->value_case() == pb::AttributeProto::kFixed64Val) v = static_cast<double>(a->fixed64_val());
    else if (is_int_case(*a)) v = static_cast<double>(*get_int(name));
    else fail(fmt::format("attribute '{}' is a {}; expected a number ({}, or a double_val or float_val)", name, value_case_name(*a), kIntVariants));
    if (!(v >= 0.0) || !std::isfinite(v)) fail(fmt::format("attribute '{}' = {} must be a finite number >= 0", name, v));
    if (v > max) fail(fmt::format("attribute '{}' = {} is out of range; expected 0 to {:g} (docs/limits.md)", name, v, max));
    return v;
  }
  // A byte count as an exact integer: any integer variant from 0 to limits::kMaxOpBytes (1 PiB).
  [[nodiscard]] std::optional<std::uint64_t> get_bytes(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    std::uint64_t v = 0;
    if (a->value_case() == pb::AttributeProto::kUint64Val) {
      v = a->uint64_val();
    } else if (a->value_case() == pb::AttributeProto::kFixed64Val) {
      v = a->fixed64_val();
    } else {
      const std::int64_t i = *get_int(name);
      if (i < 0) fail(fmt::format("attribute '{}' = {} is negative; expected a byte count >= 0", name, i));
      v = static_cast<std::uint64_t>(i);
    }
    if (v > limits::kMaxOpBytes)
      fail(fmt::format("attribute '{}' = {} is out of range; expected a byte count from 0 to {} (1 PiB; docs/limits.md)", name, v,
                       limits::kMaxOpBytes));
    return v;
  }
  [[nodiscard]] std::optional<double> get_double(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    if (a->value_case() != pb::AttributeProto::kDoubleVal)
      fail(fmt::format("attribute '{}' is a {}; expected a double_val", name, value_case_name(*a)));
    return a->double_val();
  }
  // A double_val in [0, max] (a count of FLOP or bytes, a duration in seconds).
  [[nodiscard]] std::optional<double> get_double(const std::string& name, double max) const {
    const auto v = get_double(name);
    if (v && !(*v >= 0.0 && *v <= max))
      fail(fmt::format("attribute '{}' = {} is out of range; expected 0 to {:g} (docs/limits.md)", name, *v, max));
    return v;
  }
  // bool_val, or an integer 0 / 1.
  [[nodiscard]] std::optional<bool> get_bool(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    if (a->value_case() == pb::AttributeProto::kBoolVal) return a->bool_val();
    const auto v = get_int(name);
    if (*v != 0 && *v != 1) fail(fmt::format("attribute '{}' = {}; expected a bool_val or the integer 0 or 1", name, *v));
    return *v == 1;
  }
  [[nodiscard]] std::optional<std::string> get_string(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    if (a->value_case() != pb::AttributeProto::kStringVal)
      fail(fmt::format("attribute '{}' is a {}; expected a string_val", name, value_case_name(*a)));
    return a->string_val();
  }
  [[nodiscard]] std::optional<std::vector<std::string>> get_strings(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    if (a->value_case() != pb::AttributeProto::kStringList)
      fail(fmt::format("attribute '{}' is a {}; expected a string_list", name, value_case_name(*a)));
    return std::vector<std::string>(a->string_list().values().begin(), a->string_list().values().end());
  }
  // Any integer list variant.
  [[nodiscard]] std::optional<std::vector<std::int64_t>> get_ints(const std::string& name) const {
    const pb::AttributeProto* a = find(name);
    if (!a) return std::nullopt;
    using A = pb::AttributeProto;
    std::vector<std::int64_t> out;
    auto take = [&](const auto& values) {
      for (const auto v : values) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::uint64_t>) {
          if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            fail(fmt::format("attribute '{}' holds {}, out of range (at most 2^63 - 1)", name, v));
        }
        out.push_back(static_cast<std::int64_t>(v));
      }
    };
    switch (a->value_case()) {
      case A::kInt32List: take(a->int32_list().values()); break;
      case A::kInt64List: take(a->int64_list().values()); break;
      case A::kUint32List: take(a->uint32_list().values()); break;
      case A::kUint64List: take(a->uint64_list().values()); break;
      case A::kSint32List: take(a->sint32_list().values()); break;
      case A::kSint64List: take(a->sint64_list().values()); break;
      case A::kFixed32List: take(a->fixed32_list().values()); break;
      case A::kFixed64List: take(a->fixed64_list().values()); break;
      case A::kSfixed32List: take(a->sfixed32_list().values()); break;
      case A::kSfixed64List: take(a->sfixed64_list().values()); break;
      default: fail(fmt::format("attribute '{}' is a {}; expected a list of integers", name, value_case_name(*a)));
    }
    return out;
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    fail_(what);  // throws InputError at the node
    throw Error("internal error: " + what);
  }

  std::map<std::string, const pb::AttributeProto*> by_name_;
  std::set<std::string> dup_;
  std::function<void(const std::string&)> fail_;
};

// ---------------------------------------------------------------------------------------------
// Files and framing
// ---------------------------------------------------------------------------------------------

struct EtFile {
  std::string path;
  pb::GlobalMetadata meta;
  std::vector<pb::Node> nodes;
  std::vector<std::size_t> offsets;  // byte offset of each node's length prefix
};

// protobuf logs some parse problems (invalid UTF-8 in a string) to stderr; racksim reports its
// own error instead, and library code never prints.
class QuietProtobuf {
public:
  QuietProtobuf() : old_(google::protobuf::SetLogHandler(nullptr)) {}
  ~QuietProtobuf() { google::protobuf::SetLogHandler(old_); }
  QuietProtobuf(const QuietProtobuf&) = delete;
  QuietProtobuf& operator=(const QuietProtobuf&) = delete;

private:
  google::protobuf::LogHandler* old_;
};

// Reads a rank file: its GlobalMetadata, and its nodes unless metadata_only.
EtFile read_et_file(const std::string& path, bool metadata_only) {
  EtFile f;
  f.path = path;
  static_assert(limits::kMaxChakraFileBytes <= static_cast<std::uint64_t>(INT_MAX), "CodedInputStream takes an int size");
  const std::string data = read_input_file(path, limits::kMaxChakraFileBytes, "Chakra ET file");
  if (data.empty())
    throw InputError(Location{path, 0, 0, "GlobalMetadata (byte offset 0)"},
                     "the file is empty; a Chakra ET file starts with a varint length and a GlobalMetadata message");
  google::protobuf::io::CodedInputStream cin(reinterpret_cast<const std::uint8_t*>(data.data()), static_cast<int>(data.size()));
  // Reads one framed message; false at the end of the file. `what` names it in messages.
  auto read_one = [&](google::protobuf::MessageLite& msg, const std::string& what, const char* type) {
    const auto offset = static_cast<std::size_t>(cin.CurrentPosition());
    if (offset == data.size()) return false;
    const Location where{path, 0, 0, fmt::format("{} (byte offset {})", what, offset)};
    std::uint32_t len = 0;
    if (!cin.ReadVarint32(&len))
      throw InputError(where, "the length prefix is cut off or is not a varint (the file is truncated or corrupt)");
    const std::size_t remaining = data.size() - static_cast<std::size_t>(cin.CurrentPosition());
    if (len > remaining)
      throw InputError(where, fmt::format("the length prefix announces a {}-byte {} message but only {} bytes remain "
                                          "(the file is truncated)",
                                          len, type, remaining));
    const auto limit = cin.PushLimit(static_cast<int>(len));
    if (!msg.ParseFromCodedStream(&cin) || !cin.ConsumedEntireMessage())
      throw InputError(where, fmt::format("its {} bytes do not parse as a Chakra {} message (the file is corrupt, or is not "
                                          "a Chakra ET file)",
                                          len, type));
    cin.PopLimit(limit);
    return true;
  };
  const QuietProtobuf quiet;
  read_one(f.meta, "GlobalMetadata", "GlobalMetadata");
  if (metadata_only) return f;
  for (;;) {
    pb::Node node;
    const auto offset = static_cast<std::size_t>(cin.CurrentPosition());
    if (f.nodes.size() == limits::kMaxOpsPerRank && offset < data.size())
      throw InputError(Location{path, 0, 0, fmt::format("node {} (byte offset {})", f.nodes.size(), offset)},
                       fmt::format("the file has more than {} nodes; a rank runs at most {} ops (docs/limits.md)",
                                   limits::kMaxOpsPerRank, limits::kMaxOpsPerRank));
    if (!read_one(node, fmt::format("node {}", f.nodes.size()), "Node")) break;
    f.nodes.push_back(std::move(node));
    f.offsets.push_back(offset);
  }
  return f;
}

std::string rank_file(const std::string& prefix, int rank) { return fmt::format("{}.{}.et", prefix, rank); }

// ---------------------------------------------------------------------------------------------
// Graph checks
// ---------------------------------------------------------------------------------------------

// A topological order of nodes 0..n-1 under `deps` (indices), smallest index first among the
// ready ones. A cycle is reported with the nodes on it.
std::vector<int> topological_order(const std::vector<std::vector<int>>& deps, const std::function<std::string(int)>& describe,
                                   const std::function<Location(int)>& where, const std::string& what) {
  const std::size_t n = deps.size();
  std::vector<int> missing(n, 0);
  std::vector<std::vector<int>> children(n);
  for (std::size_t i = 0; i < n; ++i) {
    missing[i] = static_cast<int>(deps[i].size());
    for (const int d : deps[i]) children[static_cast<std::size_t>(d)].push_back(static_cast<int>(i));
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (missing[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    const int v = ready.top();
    ready.pop();
    order.push_back(v);
    for (const int c : children[static_cast<std::size_t>(v)])
      if (--missing[static_cast<std::size_t>(c)] == 0) ready.push(c);
  }
  if (order.size() == n) return order;
  // Every node left has a dependency left: walk them until one repeats.
  int v = -1;
  for (std::size_t i = 0; i < n && v < 0; ++i)
    if (missing[i] > 0) v = static_cast<int>(i);
  std::vector<int> path;
  std::vector<int> seen_at(n, -1);
  while (seen_at[static_cast<std::size_t>(v)] < 0) {
    seen_at[static_cast<std::size_t>(v)] = static_cast<int>(path.size());
    path.push_back(v);
    for (const int d : deps[static_cast<std::size_t>(v)])
      if (missing[static_cast<std::size_t>(d)] > 0) {
        v = d;
        break;
      }
  }
  std::string cycle;
  for (auto i = static_cast<std::size_t>(seen_at[static_cast<std::size_t>(v)]); i < path.size(); ++i)
    cycle += describe(path[i]) + " after ";
  cycle += describe(v);
  throw InputError(where(v), fmt::format("dependency cycle: {} ({}); no order can run these nodes", cycle, what));
}

// ---------------------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------------------

class ChakraReader {
public:
  ChakraReader(const ChakraSpec& spec, const GpuSpec& target) : spec_(spec), target_(target) {}

  Workload read() {
    const std::vector<std::string> paths = chakra_rank_files(spec_.prefix, spec_.prefix_where);
    if (spec_.replicate > 0 && paths.size() > 1)
      throw InputError(spec_.replicate_where,
                       fmt::format("'replicate' runs a one-rank trace as {} identical ranks, but '{}' has {} rank files "
                                   "({} ... {}); remove 'replicate' to run them as they are",
                                   spec_.replicate, spec_.prefix, paths.size(), paths.front(), paths.back()));
    files_.reserve(paths.size());
    // The GlobalMetadata of every file first (which writer, and for racksim's files whether
    // they agree); then one file at a time, its nodes dropped once mapped to ops.
    for (const auto& p : paths) files_.push_back(read_et_file(p, true));
    exact_ = is_racksim(0);
    for (std::size_t r = 1; r < files_.size(); ++r)
      if (is_racksim(r) != exact_)
        throw InputError(Location{files_[r].path, 0, 0, "GlobalMetadata (byte offset 0)"},
                         fmt::format("{} written by racksim but {} is{}: the rank files of one trace come from one writer",
                                     exact_ ? "rank 0's file was" : "rank 0's file was not", files_[r].path,
                                     exact_ ? " not" : ""));
    w_.source = spec_.prefix;
    w_.ranks_where = spec_.replicate > 0 ? spec_.replicate_where : spec_.prefix_where;
    const int file_ranks = static_cast<int>(files_.size());
    w_.ranks = spec_.replicate > 0 ? spec_.replicate : file_ranks;
    eager_ = spec_.p2p == ChakraP2p::Eager || (spec_.p2p == ChakraP2p::Auto && !exact_);
    if (exact_) read_racksim_metadata();
    else set_up_foreign();
    w_.programs.assign(static_cast<std::size_t>(w_.ranks), {});
    std::size_t total = 0;
    for (int r = 0; r < file_ranks; ++r) {
      EtFile& f = files_[static_cast<std::size_t>(r)];
      f = read_et_file(f.path, false);
      w_.programs[static_cast<std::size_t>(r)] = exact_ ? read_exact(r) : read_foreign(r);
      f.nodes = {};
      f.offsets = {};
      // Counted as each file is read, and for `replicate` before the copies are made.
      const std::size_t ops = w_.programs[static_cast<std::size_t>(r)].size();
      const std::size_t copies = r == 0 && spec_.replicate > 0 ? static_cast<std::size_t>(spec_.replicate) : 1;
      total += ops * copies;
      if (total > limits::kMaxTraceOps)
        throw InputError(copies > 1 ? spec_.replicate_where : Location{f.path, 0, 0, ""},
                         copies > 1 ? fmt::format("{} ops per rank x {} ranks make {} ops; a trace has at most {} ops "
                                                  "(docs/limits.md)", ops, copies, total, limits::kMaxTraceOps)
                                    : fmt::format("the ranks up to this file have {} ops; a trace has at most {} ops "
                                                  "(docs/limits.md)", total, limits::kMaxTraceOps));
    }
    for (int r = file_ranks; r < w_.ranks; ++r) w_.programs[static_cast<std::size_t>(r)] = w_.programs[0];
    validate_workload(w_);
    return std::move(w_);
  }

private:
  // ------------------------------------------------------------------- common

  bool is_racksim(std::size_t r) const {
    const EtFile& f = files_[r];
    const Attrs a(f.meta.attr(), [&](const std::string& m) { meta_fail(r, m); });
    const auto fmt_v = a.get_int(kFormatAttr);
    if (!fmt_v) return false;
    if (*fmt_v != kFormat)
      meta_fail(r, fmt::format("{} = {}: this racksim reads Chakra files it wrote in format {} only", kFormatAttr, *fmt_v, kFormat));
    return true;
  }

  [[noreturn]] void meta_fail(std::size_t r, const std::string& what) const {
    throw InputError(Location{files_[r].path, 0, 0, "GlobalMetadata (byte offset 0)"}, what);
  }

  NodeRef ref(std::size_t r, std::size_t i) const {
    const EtFile& f = files_[r];
    const pb::Node& n = f.nodes[i];
    return NodeRef{&f.path, static_cast<int>(i), n.id(), f.offsets[i], n.name()};
  }

  int stream_index(const std::string& name) {
    for (std::size_t i = 0; i < w_.streams.size(); ++i)
      if (w_.streams[i] == name) return static_cast<int>(i);
    w_.streams.push_back(name);
    return static_cast<int>(w_.streams.size() - 1);
  }

  int group_index(const std::string& name) const {
    for (std::size_t i = 0; i < w_.groups.size(); ++i)
      if (w_.groups[i].name == name) return static_cast<int>(i);
    return -1;
  }

  std::string group_names() const {
    std::vector<std::string> names;
    for (const auto& g : w_.groups) names.push_back(g.name);
    return join(names);
  }

  // Node ids -> indices of one file; duplicates are an error.
  std::map<std::uint64_t, int> index_ids(std::size_t r) const {
    std::map<std::uint64_t, int> by_id;
    const EtFile& f = files_[r];
    for (std::size_t i = 0; i < f.nodes.size(); ++i) {
      const auto [it, fresh] = by_id.emplace(f.nodes[i].id(), static_cast<int>(i));
      if (!fresh)
        ref(r, i).fail(fmt::format("node id {} is used twice in this file (also by node {}); node ids must be unique per file",
                                   f.nodes[i].id(), it->second));
    }
    return by_id;
  }

  // The nodes a node depends on (indices), from data_deps and, unless ignored, ctrl_deps.
  std::vector<int> node_deps(std::size_t r, std::size_t i, const std::map<std::uint64_t, int>& by_id) const {
    const pb::Node& n = files_[r].nodes[i];
    std::vector<int> deps;
    auto add = [&](std::uint64_t id, const char* field) {
      if (id == n.id()) {
        ref(r, i).fail(std::string(field) == "ctrl_deps"
                           ? fmt::format("ctrl_deps names the node itself (id {}). Traces converted from PyTorch store the "
                                         "calling operator in ctrl_deps, not an order; set 'ctrl_deps: ignore' in the "
                                         "scenario's workload to replay by data_deps only, as Chakra's own feeder does",
                                         id)
                           : fmt::format("data_deps names the node itself (id {}): a node cannot wait for itself", id));
      }
      const auto it = by_id.find(id);
      if (it == by_id.end()) {
        std::string hint;
        if (std::string(field) == "ctrl_deps")
          hint = "; traces converted from PyTorch store the calling operator in ctrl_deps, which the converter may not "
                 "have written: set 'ctrl_deps: ignore' in the scenario's workload to replay by data_deps only, as "
                 "Chakra's own feeder does";
        ref(r, i).fail(fmt::format("{} names node id {}, which no node of this file has{}", field, id, hint));
      }
      deps.push_back(it->second);
    };
    for (const auto id : n.data_deps()) add(id, "data_deps");
    if (spec_.ctrl_deps == ChakraCtrlDeps::Follow)
      for (const auto id : n.ctrl_deps()) add(id, "ctrl_deps");
    return deps;
  }

  std::vector<int> check_order(std::size_t r, const std::vector<std::vector<int>>& deps, const std::string& what) const {
    return topological_order(
        deps,
        [&](int i) {
          const pb::Node& n = files_[r].nodes[static_cast<std::size_t>(i)];
          return fmt::format("node {} (id {}{})", i, n.id(), n.name().empty() ? "" : fmt::format(", '{}'", n.name()));
        },
        [&](int i) { return ref(r, static_cast<std::size_t>(i)).where(); }, what);
  }

  // Eager point-to-point: every receive is posted at the start; its dependencies move to its
  // dependents (in topological order, so that chains of receives pass them on).
  static void make_receives_eager(std::vector<Op>& ops, const std::vector<int>& op_order) {
    std::vector<std::vector<int>> dependents(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i)
      for (const int d : ops[i].deps) dependents[static_cast<std::size_t>(d)].push_back(static_cast<int>(i));
    for (const int r : op_order) {
      Op& recv = ops[static_cast<std::size_t>(r)];
      if (recv.kind != OpKind::Recv || recv.deps.empty()) continue;
      const std::vector<int> moved = std::move(recv.deps);
      recv.deps.clear();
      for (const int d : dependents[static_cast<std::size_t>(r)]) {
        auto& dd = ops[static_cast<std::size_t>(d)].deps;
        for (const int m : moved) {
          if (std::find(dd.begin(), dd.end(), m) != dd.end()) continue;
          dd.push_back(m);
          dependents[static_cast<std::size_t>(m)].push_back(d);
        }
      }
    }
    for (auto& op : ops) {
      std::sort(op.deps.begin(), op.deps.end());
      op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
    }
  }

  // Duration-only compute from the recording GPU to the target (docs/chakra.md "Scaling").
  Seconds scaled(Seconds recorded) const {
    if (!spec_.recorded_on) return recorded;
    const GpuSpec& from = *spec_.recorded_on;
    if (spec_.scale_by_hbm) return Seconds(recorded.value() * (from.hbm_bandwidth / target_.hbm_bandwidth));
    const auto pf = from.peak(spec_.scale_precision);
    const auto pt = target_.peak(spec_.scale_precision);
    if (!pf || !pt)
      throw InputError(spec_.recorded_on_where,
                       fmt::format("durations are scaled by the ratio of the {} dense peaks, but GPU '{}' has no {} rate in "
                                   "the catalog; choose another 'scale_by'",
                                   to_string(spec_.scale_precision), !pf ? from.id : target_.id, to_string(spec_.scale_precision)));
    return Seconds(recorded.value() * (*pf / *pt));
  }

  // ------------------------------------------------------------------- files racksim wrote

  void read_racksim_metadata() {
    if (spec_.replicate > 0)
      throw InputError(spec_.replicate_where, fmt::format("'{}' was written by racksim with all its ranks; 'replicate' only "
                                                          "applies to one-rank traces of other tools",
                                                          spec_.prefix));
    if (!spec_.groups.empty())
      throw InputError(spec_.groups.front().where,
                       fmt::format("'{}' was written by racksim and defines its own groups; remove the scenario's "
                                   "'groups' (they would be ignored)",
                                   spec_.prefix));
    const Attrs a(files_[0].meta.attr(), [&](const std::string& m) { meta_fail(0, m); });
    auto need = [&](const std::string& key) {
      if (!a.has(key)) meta_fail(0, fmt::format("attribute '{}' is missing from a file racksim wrote", key));
    };
    for (const char* k : {"racksim.workload", "racksim.ranks", "racksim.streams", "racksim.groups"}) need(k);
    w_.name = *a.get_string("racksim.workload");
    const auto ranks = *a.get_int("racksim.ranks", 1, limits::kMaxTraceRanks);
    if (ranks != static_cast<std::int64_t>(files_.size()))
      meta_fail(0, fmt::format("racksim.ranks = {} but {} rank files exist ({} ... {})", ranks, files_.size(), files_.front().path,
                               files_.back().path));
    w_.streams = *a.get_strings("racksim.streams");
    const std::vector<std::string> group_list = *a.get_strings("racksim.groups");
    if (group_list.size() * static_cast<std::size_t>(ranks) > limits::kMaxGroupSlots)
      meta_fail(0, fmt::format("{} groups of {} ranks are more group memberships than racksim holds: at most {} groups x ranks "
                               "(docs/limits.md)", group_list.size(), ranks, limits::kMaxGroupSlots));
    for (const auto& name : group_list) {
      const std::string key = "racksim.group." + name;
      need(key);
      std::vector<int> members;
      const std::vector<std::int64_t> listed = *a.get_ints(key);
      for (const auto v : listed) {
        if (v < 0 || v >= ranks) meta_fail(0, fmt::format("group '{}' names rank {}, which does not exist (0 to {})", name, v, ranks - 1));
        members.push_back(static_cast<int>(v));
      }
      if (!std::is_sorted(members.begin(), members.end()) || std::adjacent_find(members.begin(), members.end()) != members.end() ||
          members.empty())
        meta_fail(0, fmt::format("group '{}' must list its ranks sorted, unique and not empty", name));
      ParallelDim dim = ParallelDim::None;
      if (const auto d = a.get_string("racksim.group_dim." + name)) {
        const auto pd = dim_from_string(*d);
        if (!pd) meta_fail(0, fmt::format("group '{}' has the unknown dimension '{}'", name, *d));
        dim = *pd;
      }
      if (group_index(name) >= 0) meta_fail(0, fmt::format("group '{}' is listed twice", name));
      add_group(w_, name, std::move(members), dim);
    }
    if (a.has("racksim.training.tokens_per_step")) {
      TrainingInfo t;
      auto dbl = [&](const char* k) {
        need(k);
        return *a.get_double(k);
      };
      t.tokens_per_step = dbl("racksim.training.tokens_per_step");
      t.model_flops_per_step = dbl("racksim.training.model_flops_per_step");
      t.hardware_flops_per_step = dbl("racksim.training.hardware_flops_per_step");
      need("racksim.training.precision");
      const std::string ps = *a.get_string("racksim.training.precision");
      const auto p = precision_from_string(ps);
      if (!p) meta_fail(0, fmt::format("racksim.training.precision '{}' is not one of: {}", ps, precision_names()));
      t.precision = *p;
      need("racksim.training.pipeline_stages");
      need("racksim.training.microbatches");
      t.pipeline_stages = static_cast<int>(*a.get_int("racksim.training.pipeline_stages", 1, INT_MAX));
      t.microbatches = static_cast<int>(*a.get_int("racksim.training.microbatches", 1, INT_MAX));
      // One entry per rank, each in its rank's file (all or none of them).
      if (a.has("racksim.training.last_backward_op")) {
        for (std::size_t r = 0; r < files_.size(); ++r) {
          const Attrs b(files_[r].meta.attr(), [&](const std::string& m) { meta_fail(r, m); });
          const auto v = b.get_int("racksim.training.last_backward_op", -1, INT_MAX);
          if (!v) meta_fail(r, "attribute 'racksim.training.last_backward_op' is missing (rank 0's file has it)");
          t.last_backward_op.push_back(static_cast<int>(*v));
        }
      }
      w_.training = t;
    }
    // Every rank file says the same about the workload.
    for (std::size_t r = 1; r < files_.size(); ++r) {
      const Attrs b(files_[r].meta.attr(), [&](const std::string& m) { meta_fail(r, m); });
      for (const char* k : {"racksim.workload", "racksim.ranks", "racksim.streams", "racksim.groups"}) {
        const pb::AttributeProto* x = a.find(k);
        const pb::AttributeProto* y = b.find(k);
        if (!y || x->SerializeAsString() != y->SerializeAsString())
          meta_fail(r, fmt::format("attribute '{}' differs from rank 0's file {}: the files belong to different exports", k,
                                   files_[0].path));
      }
    }
  }

  std::vector<Op> read_exact(int rank) {
    const auto r = static_cast<std::size_t>(rank);
    const EtFile& f = files_[r];
    {
      const Attrs m(f.meta.attr(), [&](const std::string& msg) { meta_fail(r, msg); });
      const auto fr = m.get_int("racksim.rank");
      if (!fr || *fr != rank)
        meta_fail(r, fmt::format("racksim.rank is {} but the file name says rank {}", fr ? std::to_string(*fr) : "missing", rank));
    }
    const auto by_id = index_ids(r);
    std::vector<Op> ops(f.nodes.size());
    std::vector<std::vector<int>> deps(f.nodes.size());
    std::vector<int> seq(w_.groups.size(), 0);
    for (std::size_t i = 0; i < f.nodes.size(); ++i) {
      const NodeRef nr = ref(r, i);
      const pb::Node& n = f.nodes[i];
      const Attrs a(n.attr(), [&](const std::string& m) { nr.fail(m); });
      auto need = [&](const std::string& key) {
        if (!a.has(key)) nr.fail(fmt::format("attribute '{}' is missing from a node racksim wrote", key));
      };
      Op& op = ops[i];
      op.id = n.name();
      op.where = nr.where();
      deps[i] = node_deps(r, i, by_id);
      op.deps = deps[i];
      need("racksim.kind");
      need("racksim.stream");
      const std::string kind = *a.get_string("racksim.kind");
      op.stream = static_cast<int>(*a.get_int("racksim.stream", 0, static_cast<std::int64_t>(w_.streams.size()) - 1));
      if (const auto d = a.get_string("racksim.dim")) {
        const auto pd = dim_from_string(*d);
        if (!pd) nr.fail(fmt::format("racksim.dim '{}' is not one of: tp, pp, dp, ep, cp", *d));
        op.dim = *pd;
      }
      if (const auto l = a.get_string("racksim.label")) op.label = *l;
      auto bytes = [&] {
        need("racksim.bytes");
        return *a.get_bytes("racksim.bytes");
      };
      if (kind == "compute") {
        op.kind = OpKind::Compute;
        for (const char* k : {"racksim.flops", "racksim.hbm_bytes", "racksim.precision"}) need(k);
        op.flops = Flops(*a.get_double("racksim.flops", limits::kMaxOpFlops));
        op.hbm_bytes = Bytes(*a.get_double("racksim.hbm_bytes", static_cast<double>(limits::kMaxOpBytes)));
        const std::string ps = *a.get_string("racksim.precision");
        const auto p = precision_from_string(ps);
        if (!p) nr.fail(fmt::format("racksim.precision '{}' is not one of: {}", ps, precision_names()));
        op.precision = *p;
        if (const auto d = a.get_double("racksim.duration_s", limits::kMaxOpSeconds)) op.duration = scaled(Seconds(*d));
        if (const auto g = a.get_ints("racksim.gemm")) {
          if (g->size() != 6) nr.fail("racksim.gemm must hold 6 integers: m, n, k, batch, trans_a, trans_b");
          GemmShape s;
          s.m = (*g)[0];
          s.n = (*g)[1];
          s.k = (*g)[2];
          s.batch = (*g)[3];
          s.trans_a = (*g)[4] != 0;
          s.trans_b = (*g)[5] != 0;
          op.gemm = s;
        }
        if (const auto g = a.get_ints("racksim.attention")) {
          if (g->size() != 7 && g->size() != 8)
            nr.fail("racksim.attention must hold 7 or 8 integers: batch, heads, seq, head_dim, kv_heads, causal, backward[, window]");
          AttentionShape s;
          s.batch = (*g)[0];
          s.heads = (*g)[1];
          s.seq = (*g)[2];
          s.head_dim = (*g)[3];
          s.kv_heads = (*g)[4];
          s.causal = (*g)[5] != 0;
          s.backward = (*g)[6] != 0;
          if (g->size() == 8) {
            s.window = (*g)[7];
            if (s.window < 1 || !s.causal) nr.fail("racksim.attention's window must be at least 1, on a causal attention");
          }
          op.attention = s;
        }
      } else if (kind == "delay") {
        op.kind = OpKind::Delay;
        need("racksim.duration_s");
        op.duration = Seconds(*a.get_double("racksim.duration_s", limits::kMaxOpSeconds));
      } else if (kind == "alloc") {
        op.kind = OpKind::Alloc;
        op.bytes = bytes();
      } else if (kind == "free") {
        op.kind = OpKind::Free;
        op.bytes = bytes();
        need("racksim.frees");
        const auto id = *a.get_int("racksim.frees", 0, std::numeric_limits<std::int64_t>::max());
        const auto it = by_id.find(static_cast<std::uint64_t>(id));
        if (it == by_id.end()) nr.fail(fmt::format("racksim.frees names node id {}, which no node of this file has", id));
        op.frees = it->second;
      } else if (kind == "collective") {
        op.kind = OpKind::Collective;
        for (const char* k : {"comm_type", "pg_name", "racksim.algorithm", "racksim.sequence"}) need(k);
        const auto ct = *a.get_int("comm_type");
        switch (ct) {
          case pb::ALL_REDUCE: op.collective = CollectiveKind::AllReduce; break;
          case pb::ALL_GATHER: op.collective = CollectiveKind::AllGather; break;
          case pb::REDUCE_SCATTER: op.collective = CollectiveKind::ReduceScatter; break;
          case pb::ALL_TO_ALL: op.collective = CollectiveKind::AllToAll; break;
          case pb::BROADCAST: op.collective = CollectiveKind::Broadcast; break;
          case pb::REDUCE: op.collective = CollectiveKind::Reduce; break;
          default: nr.fail(fmt::format("comm_type {} is not a collective racksim writes", comm_type_name(ct)));
        }
        op.bytes = bytes();
        if (op.collective == CollectiveKind::Broadcast || op.collective == CollectiveKind::Reduce) {
          const auto root = a.get_int("racksim.root");
          if (!root) need("racksim.root");
          op.root = static_cast<int>(*root);
        }
        const std::string an = *a.get_string("racksim.algorithm");
        const auto alg = collective_algorithm_from_string(an);
        auto algos = algorithms_for(op.collective);
        algos.push_back(CollectiveAlgorithm::Auto);
        if (!alg || std::find(algos.begin(), algos.end(), *alg) == algos.end())
          nr.fail(fmt::format("racksim.algorithm '{}' is not an algorithm of {}", an, to_string(op.collective)));
        op.algorithm = *alg;
        const std::string gname = *a.get_string("pg_name");
        op.group = group_index(gname);
        if (op.group < 0) nr.fail(fmt::format("pg_name '{}' is not a group of the file's GlobalMetadata ({})", gname, group_names()));
        if (w_.groups[static_cast<std::size_t>(op.group)].position[r] < 0)
          nr.fail(fmt::format("rank {} runs a collective on group '{}' but is not a member of it", rank, gname));
        op.sequence = static_cast<int>(*a.get_int("racksim.sequence", 0, INT_MAX));
        if (op.sequence != seq[static_cast<std::size_t>(op.group)]++)
          nr.fail(fmt::format("racksim.sequence is {} but this is collective #{} of rank {} on group '{}'", op.sequence,
                              seq[static_cast<std::size_t>(op.group)] - 1, rank, gname));
      } else if (kind == "send" || kind == "recv") {
        const bool send = kind == "send";
        op.kind = send ? OpKind::Send : OpKind::Recv;
        read_peer(op, a, nr, rank, send);
        op.bytes = bytes();
      } else {
        nr.fail(fmt::format("racksim.kind '{}' is not one of: compute, delay, alloc, free, collective, send, recv", kind));
      }
    }
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i].kind == OpKind::Free) {
        const Op& alloc = ops[static_cast<std::size_t>(ops[i].frees)];
        if (alloc.kind != OpKind::Alloc) ref(r, i).fail(fmt::format("racksim.frees names '{}', which is not an alloc", alloc.id));
      }
    const std::vector<int> order = check_order(r, deps, "data_deps as written");
    if (eager_) make_receives_eager(ops, order);
    return ops;
  }

  // comm_dst of a send / comm_src of a receive; the other end, when present, must be this rank.
  void read_peer(Op& op, const Attrs& a, const NodeRef& nr, int rank, bool send) const {
    const char* peer_key = send ? "comm_dst" : "comm_src";
    const char* self_key = send ? "comm_src" : "comm_dst";
    const auto peer = a.get_int(peer_key);
    if (!peer) nr.fail(fmt::format("a {} node needs the attribute '{}' (the peer rank)", send ? "COMM_SEND_NODE" : "COMM_RECV_NODE", peer_key));
    if (*peer < 0 || *peer >= w_.ranks)
      nr.fail(fmt::format("{} = {}: rank {} does not exist (the trace has {} ranks, 0 to {})", peer_key, *peer, *peer, w_.ranks,
                          w_.ranks - 1));
    if (*peer == rank) nr.fail(fmt::format("{} = {}: rank {} sends to or receives from itself", peer_key, *peer, rank));
    if (const auto self = a.get_int(self_key); self && *self != rank)
      nr.fail(fmt::format("{} = {}, but this is rank {}'s file", self_key, *self, rank));
    op.peer = static_cast<int>(*peer);
    op.tag = static_cast<int>(a.get_int("comm_tag", 0, 1 << 30).value_or(0));
  }

  // ------------------------------------------------------------------- other traces

  void set_up_foreign() {
    w_.name = fs::path(spec_.prefix).filename().string();
    std::vector<int> all(static_cast<std::size_t>(w_.ranks));
    for (int r = 0; r < w_.ranks; ++r) all[static_cast<std::size_t>(r)] = r;
    add_group(w_, "world", all);
    for (const auto& g : spec_.groups) {
      for (const int m : g.ranks)
        if (m >= w_.ranks)
          throw InputError(g.where, fmt::format("rank {} does not exist: the trace has {} ranks (0 to {})", m, w_.ranks, w_.ranks - 1));
      add_group(w_, g.name, g.ranks);
    }
  }

  std::vector<Op> read_foreign(int rank) {
    const auto r = static_cast<std::size_t>(rank);
    const EtFile& f = files_[r];
    const auto by_id = index_ids(r);
    const std::size_t n = f.nodes.size();
    std::vector<std::vector<int>> deps(n);
    std::vector<int> op_of(n, -1);  // -1: a node that becomes no op (METADATA_NODE)
    std::vector<Op> ops;
    std::map<std::int64_t, int> last_on_tid;  // GPU stream (tid) -> its last node
    for (std::size_t i = 0; i < n; ++i) {
      deps[i] = node_deps(r, i, by_id);
      const NodeRef nr = ref(r, i);
      const pb::Node& node = f.nodes[i];
      const Attrs a(node.attr(), [&](const std::string& m) { nr.fail(m); });
      if (node.type() == pb::METADATA_NODE) continue;
      Op op;
      // Names repeat in real traces (aten::mul ...): the node id makes an op's id unique.
      op.id = fmt::format("{}#{}", node.name().empty() ? "node" : node.name(), node.id());
      op.where = nr.where();
      const bool cpu = a.get_bool("is_cpu_op").value_or(false);
      std::optional<std::int64_t> tid;
      if (!cpu) tid = a.get_int("tid");
      map_node(op, node, a, nr, rank, cpu);
      if (cpu) op.stream = stream_index("cpu");
      else if (tid) op.stream = stream_index(fmt::format("tid{}", *tid));
      else op.stream = stream_index(op.kind == OpKind::Compute ? "compute" : "comm");
      if (tid) {  // a GPU stream runs its kernels in launch (file) order
        const auto [it, fresh] = last_on_tid.emplace(*tid, static_cast<int>(i));
        if (!fresh) {
          deps[i].push_back(it->second);
          it->second = static_cast<int>(i);
        }
      }
      op_of[i] = static_cast<int>(ops.size());
      ops.push_back(std::move(op));
    }
    for (auto& d : deps) {
      std::sort(d.begin(), d.end());
      d.erase(std::unique(d.begin(), d.end()), d.end());
    }
    const std::vector<int> order =
        check_order(r, deps, spec_.ctrl_deps == ChakraCtrlDeps::Follow ? "data_deps, ctrl_deps and the order of each GPU stream (tid)"
                                                                       : "data_deps and the order of each GPU stream (tid)");
    // Op dependencies: a node that is no op passes its own on (in topological order, so that
    // chains of such nodes resolve).
    std::vector<std::vector<int>> through(n);
    std::vector<int> op_order;
    for (const int v : order) {
      std::vector<int> od;
      for (const int d : deps[static_cast<std::size_t>(v)]) {
        if (op_of[static_cast<std::size_t>(d)] >= 0) od.push_back(op_of[static_cast<std::size_t>(d)]);
        else od.insert(od.end(), through[static_cast<std::size_t>(d)].begin(), through[static_cast<std::size_t>(d)].end());
      }
      std::sort(od.begin(), od.end());
      od.erase(std::unique(od.begin(), od.end()), od.end());
      if (op_of[static_cast<std::size_t>(v)] >= 0) {
        ops[static_cast<std::size_t>(op_of[static_cast<std::size_t>(v)])].deps = std::move(od);
        op_order.push_back(op_of[static_cast<std::size_t>(v)]);
      } else {
        through[static_cast<std::size_t>(v)] = std::move(od);
      }
    }
    std::vector<int> seq(w_.groups.size(), 0);
    for (auto& op : ops)
      if (op.kind == OpKind::Collective) op.sequence = seq[static_cast<std::size_t>(op.group)]++;
    if (eager_) make_receives_eager(ops, op_order);
    return ops;
  }

  // One node of another tool's trace as a racksim op (docs/chakra.md, "Node mapping").
  void map_node(Op& op, const pb::Node& node, const Attrs& a, const NodeRef& nr, int rank, bool cpu) {
    constexpr auto kMaxMicros = static_cast<std::uint64_t>(limits::kMaxOpSeconds * 1e6);
    if (node.duration_micros() > kMaxMicros)
      nr.fail(fmt::format("duration_micros = {} is out of range; expected 0 to {} (10^6 s, 11.6 days; docs/limits.md)",
                          node.duration_micros(), kMaxMicros));
    const Seconds recorded(static_cast<double>(node.duration_micros()) * 1e-6);
    const int type = node.type();
    if (cpu && type != pb::INVALID_NODE) {
      // Host-side work (an operator on a CPU thread, or the launch of a collective whose GPU
      // kernel is a node of its own): it takes its time, uses no GPU, and is not scaled.
      op.kind = OpKind::Delay;
      op.duration = recorded;
      return;
    }
    switch (type) {
      case pb::COMP_NODE: {
        op.kind = OpKind::Compute;
        const auto num_ops = a.get_count("num_ops", limits::kMaxOpFlops);
        const auto tensor = a.get_count("tensor_size", static_cast<double>(limits::kMaxOpBytes));
        op.precision = spec_.precision;
        if (num_ops && *num_ops > 0.0) {
          op.flops = Flops(*num_ops);
          op.hbm_bytes = Bytes(tensor.value_or(0.0));
        } else if (node.duration_micros() > 0 || !tensor || *tensor == 0.0) {
          op.duration = scaled(recorded);
        } else {
          op.hbm_bytes = Bytes(*tensor);
        }
        return;
      }
      case pb::MEM_LOAD_NODE:
      case pb::MEM_STORE_NODE: {
        const auto tensor = a.get_count("tensor_size", static_cast<double>(limits::kMaxOpBytes));
        if (!tensor)
          nr.fail(fmt::format("a {} needs the attribute 'tensor_size' (the bytes it moves)", node_type_name(type)));
        op.kind = OpKind::Compute;
        op.precision = spec_.precision;
        op.hbm_bytes = Bytes(*tensor);
        return;
      }
      case pb::COMM_COLL_NODE: map_collective(op, a, nr, rank); return;
      case pb::COMM_SEND_NODE:
      case pb::COMM_RECV_NODE: {
        const bool send = type == pb::COMM_SEND_NODE;
        if (spec_.replicate > 0)
          nr.fail(fmt::format("a {} names its peer by rank in the original job; 'replicate' copies one rank and cannot "
                              "give it peers (use the traces of all ranks instead)",
                              node_type_name(type)));
        op.kind = send ? OpKind::Send : OpKind::Recv;
        read_peer(op, a, nr, rank, send);
        const auto size = a.get_bytes("comm_size");
        if (!size) nr.fail(fmt::format("a {} needs the attribute 'comm_size' (bytes)", node_type_name(type)));
        op.bytes = *size;
        return;
      }
      default:
        nr.fail(fmt::format("node type {} is not supported: racksim replays METADATA_NODE, COMP_NODE, MEM_LOAD_NODE, "
                            "MEM_STORE_NODE, COMM_COLL_NODE, COMM_SEND_NODE and COMM_RECV_NODE",
                            node_type_name(type)));
    }
  }

  void map_collective(Op& op, const Attrs& a, const NodeRef& nr, int rank) {
    op.kind = OpKind::Collective;
    const auto ct = a.get_int("comm_type");
    if (!ct) nr.fail("a COMM_COLL_NODE on the GPU needs the attribute 'comm_type' (a CollectiveCommType)");
    if (const auto pg = a.get_string("pg_name")) {
      op.group = group_index(*pg);
      if (op.group < 0)
        nr.fail(fmt::format("pg_name '{}' names a process group the scenario does not define (groups: {}); add it under "
                            "the workload's 'groups', e.g. groups: {{\"{}\": [0, 1]}}",
                            *pg, group_names(), *pg));
    } else {
      op.group = 0;  // world
    }
    const Group& g = w_.groups[static_cast<std::size_t>(op.group)];
    if (g.position[static_cast<std::size_t>(rank)] < 0)
      nr.fail(fmt::format("rank {} runs a collective on group '{}' but is not a member of it (members: {})", rank, g.name,
                          [&] {
                            std::vector<std::string> m;
                            for (const int x : g.ranks) m.push_back(std::to_string(x));
                            return join(m);
                          }()));
    const auto n = static_cast<std::uint64_t>(g.ranks.size());
    auto size = [&] {
      const auto s = a.get_bytes("comm_size");
      if (!s) nr.fail(fmt::format("a COMM_COLL_NODE of comm_type {} needs the attribute 'comm_size' (bytes)", comm_type_name(*ct)));
      return *s;
    };
    switch (*ct) {
      case pb::ALL_REDUCE: op.collective = CollectiveKind::AllReduce; op.bytes = size(); break;
      case pb::REDUCE_SCATTER:
      case pb::REDUCE_SCATTER_BLOCK: op.collective = CollectiveKind::ReduceScatter; op.bytes = size(); break;
      case pb::ALL_TO_ALL: op.collective = CollectiveKind::AllToAll; op.bytes = size(); break;
      case pb::ALL_GATHER: {
        // Chakra's comm_size of an all-gather is each rank's contribution (astra-sim's
        // final size = comm_size x n); racksim's bytes are the gathered output.
        op.collective = CollectiveKind::AllGather;
        const std::uint64_t s = size();
        if (s > limits::kMaxOpBytes / n)
          nr.fail(fmt::format("comm_size {} x {} ranks is too large: an all-gather gathers at most {} B (1 PiB; docs/limits.md)",
                              s, n, limits::kMaxOpBytes));
        op.bytes = s * n;
        break;
      }
      case pb::BARRIER:
        // A barrier synchronizes: a ring all-reduce of one byte per member (PyTorch's barrier()
        // all-reduces a one-element tensor). Every one of its 2(n-1) steps carries a 1-byte
        // chunk from the predecessor, so no rank leaves before all have arrived.
        op.collective = CollectiveKind::AllReduce;
        op.bytes = n;
        break;
      case pb::BROADCAST:
        if (!spec_.broadcast_as_all_gather)
          nr.fail(fmt::format("comm_type {}: racksim has no broadcast. Set 'broadcast_as: all_gather' in the scenario's "
                              "workload to run it as an all-gather of comm_size bytes (each rank receives (n-1)/n of the "
                              "buffer, as in a pipelined ring broadcast; docs/chakra.md)",
                              comm_type_name(*ct)));
        op.collective = CollectiveKind::AllGather;
        op.bytes = size();
        break;
      default:
        nr.fail(fmt::format("comm_type {} is not supported: racksim runs ALL_REDUCE, ALL_GATHER, REDUCE_SCATTER, "
                            "REDUCE_SCATTER_BLOCK, ALL_TO_ALL, BARRIER (as a 1-byte-per-rank all-reduce) and, with "
                            "'broadcast_as: all_gather', BROADCAST",
                            comm_type_name(*ct)));
    }
    op.algorithm = CollectiveAlgorithm::Auto;  // the run chooses, like the libraries do
  }

  const ChakraSpec& spec_;
  const GpuSpec& target_;
  std::vector<EtFile> files_;
  Workload w_;
  bool exact_ = false;
  bool eager_ = false;
};

// ---------------------------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------------------------

// Protobuf string fields must hold UTF-8 (proto3: a parser refuses the file otherwise, racksim's
// own included); names from a trace may not, so every string from the user is repaired as the
// other writers repair it (core/utf8.hpp: each invalid byte becomes U+FFFD).
std::string text(const std::string& s) { return valid_utf8(s); }

template <class T>
pb::AttributeProto& attr(T& msg, const std::string& name) {
  pb::AttributeProto* a = msg.add_attr();
  a->set_name(text(name));
  return *a;
}

void set_size(pb::AttributeProto& a, std::uint64_t v) {
  if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) a.set_int64_val(static_cast<std::int64_t>(v));
  else a.set_uint64_val(v);
}

std::int64_t rounded(double v) { return static_cast<std::int64_t>(std::llround(v)); }

// The GlobalMetadata of rank `rank`'s file: the racksim.* attributes that let the reader rebuild
// the workload exactly (streams, groups, the training step's numbers).
pb::GlobalMetadata rank_metadata(const Workload& w, int rank) {
  pb::GlobalMetadata meta;
  meta.set_version(kChakraVersion);
  attr(meta, kFormatAttr).set_int64_val(kFormat);
  attr(meta, "racksim.version").set_string_val(RACKSIM_VERSION);
  attr(meta, "racksim.workload").set_string_val(text(w.name));
  attr(meta, "racksim.ranks").set_int64_val(w.ranks);
  attr(meta, "racksim.rank").set_int64_val(rank);
  auto* streams = attr(meta, "racksim.streams").mutable_string_list();
  for (const auto& s : w.streams) streams->add_values(text(s));
  auto* groups = attr(meta, "racksim.groups").mutable_string_list();
  for (const auto& g : w.groups) groups->add_values(text(g.name));
  for (const auto& g : w.groups) {
    auto* members = attr(meta, "racksim.group." + g.name).mutable_int64_list();
    for (const int m : g.ranks) members->add_values(m);
    if (g.dim != ParallelDim::None) attr(meta, "racksim.group_dim." + g.name).set_string_val(to_string(g.dim));
  }
  if (w.training) {
    const TrainingInfo& t = *w.training;
    attr(meta, "racksim.training.tokens_per_step").set_double_val(t.tokens_per_step);
    attr(meta, "racksim.training.model_flops_per_step").set_double_val(t.model_flops_per_step);
    attr(meta, "racksim.training.hardware_flops_per_step").set_double_val(t.hardware_flops_per_step);
    attr(meta, "racksim.training.precision").set_string_val(to_string(t.precision));
    attr(meta, "racksim.training.pipeline_stages").set_int64_val(t.pipeline_stages);
    attr(meta, "racksim.training.microbatches").set_int64_val(t.microbatches);
    // Per rank: each file carries its own rank's entry (a list of all ranks in every file
    // would grow with the square of the ranks).
    if (!t.last_backward_op.empty())
      attr(meta, "racksim.training.last_backward_op").set_int64_val(t.last_backward_op.at(static_cast<std::size_t>(rank)));
  }
  return meta;
}

void set_kind(pb::Node& n, const char* kind) { attr(n, "racksim.kind").set_string_val(kind); }

// A compute op: a COMP_NODE with its measured duration, or with the FLOPs and bytes Chakra's
// tools read, plus the racksim.* fields (its shape, if any) that the reader takes back.
void encode_compute(pb::Node& n, const Op& op) {
  n.set_type(pb::COMP_NODE);
  set_kind(n, "compute");
  if (op.duration) {
    n.set_duration_micros(static_cast<std::uint64_t>(rounded(op.duration->value() * 1e6)));
    attr(n, "racksim.duration_s").set_double_val(op.duration->value());
  } else {
    // What Chakra's tools read: num_ops (int64) and tensor_size (uint64, bytes); for a
    // GEMM or attention shape, the FLOPs and bytes the kernel model derives from it.
    Flops flops = op.flops;
    Bytes bytes = op.hbm_bytes;
    if (op.gemm || op.attention) {
      const KernelWork kw = op.gemm ? gemm_work(*op.gemm, op.precision) : attention_work(*op.attention, op.precision);
      flops = kw.flops;
      bytes = kw.bytes;
    }
    attr(n, "num_ops").set_int64_val(rounded(flops.value()));
    attr(n, "tensor_size").set_uint64_val(static_cast<std::uint64_t>(rounded(bytes.value())));
  }
  attr(n, "racksim.flops").set_double_val(op.flops.value());
  attr(n, "racksim.hbm_bytes").set_double_val(op.hbm_bytes.value());
  attr(n, "racksim.precision").set_string_val(to_string(op.precision));
  if (op.gemm) {
    auto* v = attr(n, "racksim.gemm").mutable_int64_list();
    for (const std::int64_t x : {op.gemm->m, op.gemm->n, op.gemm->k, op.gemm->batch, std::int64_t{op.gemm->trans_a},
                                 std::int64_t{op.gemm->trans_b}})
      v->add_values(x);
  }
  if (op.attention) {
    const AttentionShape& s = *op.attention;
    auto* v = attr(n, "racksim.attention").mutable_int64_list();
    for (const std::int64_t x : {s.batch, s.heads, s.seq, s.head_dim, s.kv_heads, std::int64_t{s.causal}, std::int64_t{s.backward}})
      v->add_values(x);
    if (s.window > 0) v->add_values(s.window);  // an eighth value only when there is a window
  }
}

// A collective: a COMM_COLL_NODE with Chakra's comm_type, comm_size (an all-gather's is each
// rank's contribution) and pg_name, plus racksim's own bytes, algorithm, root and sequence.
void encode_collective(pb::Node& n, const Op& op, const Group& g) {
  n.set_type(pb::COMM_COLL_NODE);
  set_kind(n, "collective");
  pb::CollectiveCommType ct = pb::ALL_REDUCE;
  std::uint64_t comm_size = op.bytes;
  switch (op.collective) {
    case CollectiveKind::AllReduce: ct = pb::ALL_REDUCE; break;
    case CollectiveKind::ReduceScatter: ct = pb::REDUCE_SCATTER; break;
    case CollectiveKind::AllToAll:
      if (!op.counts.empty())
        throw InputError(op.where, fmt::format("op '{}' is an all_to_all with per-peer counts (all-to-all(v)), which "
                                               "Chakra ET cannot express (ALL_TO_ALL has one comm_size)",
                                               op.id));
      ct = pb::ALL_TO_ALL;
      break;
    case CollectiveKind::Broadcast: ct = pb::BROADCAST; break;
    case CollectiveKind::Reduce: ct = pb::REDUCE; break;
    case CollectiveKind::AllGather:  // Chakra's all-gather size: each rank's contribution
      ct = pb::ALL_GATHER;
      comm_size = op.bytes / static_cast<std::uint64_t>(g.ranks.size());
      break;
  }
  attr(n, "comm_type").set_int64_val(ct);
  set_size(attr(n, "comm_size"), comm_size);
  attr(n, "pg_name").set_string_val(text(g.name));
  attr(n, "racksim.bytes").set_uint64_val(op.bytes);
  attr(n, "racksim.algorithm").set_string_val(to_string(op.algorithm));
  if (op.collective == CollectiveKind::Broadcast || op.collective == CollectiveKind::Reduce)
    attr(n, "racksim.root").set_int64_val(op.root);
  attr(n, "racksim.sequence").set_int64_val(op.sequence);
}

// A send or receive of rank `rank`: COMM_SEND_NODE / COMM_RECV_NODE with source, destination,
// tag and size.
void encode_point_to_point(pb::Node& n, const Op& op, int rank) {
  const bool send = op.kind == OpKind::Send;
  n.set_type(send ? pb::COMM_SEND_NODE : pb::COMM_RECV_NODE);
  set_kind(n, send ? "send" : "recv");
  attr(n, "comm_src").set_int32_val(send ? rank : op.peer);
  attr(n, "comm_dst").set_int32_val(send ? op.peer : rank);
  attr(n, "comm_tag").set_int32_val(op.tag);
  set_size(attr(n, "comm_size"), op.bytes);
  attr(n, "racksim.bytes").set_uint64_val(op.bytes);
}

// Op `index` of rank `rank` as a Node: id, name, data_deps, the attributes every op carries,
// then those of its kind.
pb::Node op_node(const Workload& w, int rank, std::size_t index) {
  const Op& op = w.programs[static_cast<std::size_t>(rank)][index];
  pb::Node n;
  n.set_id(index);
  n.set_name(text(op.id));
  for (const int d : op.deps) n.add_data_deps(static_cast<std::uint64_t>(d));
  attr(n, "is_cpu_op").set_bool_val(op.kind == OpKind::Delay);
  attr(n, "racksim.stream").set_int64_val(op.stream);
  if (op.dim != ParallelDim::None) attr(n, "racksim.dim").set_string_val(to_string(op.dim));
  if (!op.label.empty()) attr(n, "racksim.label").set_string_val(text(op.label));
  switch (op.kind) {
    case OpKind::Compute: encode_compute(n, op); break;
    case OpKind::Delay:
      n.set_type(pb::COMP_NODE);
      set_kind(n, "delay");
      n.set_duration_micros(static_cast<std::uint64_t>(rounded(op.duration.value_or(Seconds(0.0)).value() * 1e6)));
      attr(n, "racksim.duration_s").set_double_val(op.duration.value_or(Seconds(0.0)).value());
      break;
    case OpKind::Alloc:
      n.set_type(pb::METADATA_NODE);
      set_kind(n, "alloc");
      attr(n, "racksim.bytes").set_uint64_val(op.bytes);
      break;
    case OpKind::Free:
      n.set_type(pb::METADATA_NODE);
      set_kind(n, "free");
      attr(n, "racksim.bytes").set_uint64_val(op.bytes);
      attr(n, "racksim.frees").set_int64_val(op.frees);
      break;
    case OpKind::Collective: encode_collective(n, op, w.groups[static_cast<std::size_t>(op.group)]); break;
    case OpKind::Send:
    case OpKind::Recv: encode_point_to_point(n, op, rank); break;
  }
  return n;
}

// Rank `rank`'s file: each message preceded by its varint length, the GlobalMetadata first, then
// one Node per op in program order.
std::string encode_rank(const Workload& w, int rank) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    auto put = [&](const google::protobuf::MessageLite& m, const std::string& what) {
      const std::size_t size = m.ByteSizeLong();
      if (size > static_cast<std::size_t>(INT_MAX))
        throw OutputError(fmt::format("rank {}: {} takes {} bytes, more than a Chakra message may (2 GiB)", rank, what, size));
      cos.WriteVarint32(static_cast<std::uint32_t>(size));
      m.SerializeWithCachedSizes(&cos);
    };
    put(rank_metadata(w, rank), "the GlobalMetadata");
    const auto& ops = w.programs[static_cast<std::size_t>(rank)];
    for (std::size_t i = 0; i < ops.size(); ++i) put(op_node(w, rank, i), fmt::format("node {} ('{}')", i, ops[i].id));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------------------------

std::map<int, std::string> find_chakra_files(const std::string& prefix) {
  std::map<int, std::string> found;
  const fs::path p(prefix);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string base = p.filename().string() + ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string f = it->path().filename().string();
    if (f.size() <= base.size() + 3 || f.compare(0, base.size(), base) != 0 || f.compare(f.size() - 3, 3, ".et") != 0) continue;
    const std::string digits = f.substr(base.size(), f.size() - base.size() - 3);
    if (digits.empty() || digits.size() > 8 || (digits.size() > 1 && digits[0] == '0') ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
      continue;
    found.emplace(std::stoi(digits), rank_file(prefix, std::stoi(digits)));
  }
  return found;
}

std::vector<std::string> chakra_rank_files(const std::string& prefix, const Location& where) {
  const auto found = find_chakra_files(prefix);
  if (found.size() > static_cast<std::size_t>(limits::kMaxTraceRanks))
    throw InputError(where, fmt::format("'{}' has {} rank files; a trace has at most {} ranks (docs/limits.md)", prefix,
                                        found.size(), limits::kMaxTraceRanks));
  if (found.empty() || found.begin()->first != 0)
    throw InputError(where, fmt::format("no Chakra ET file {}: the trace of rank r is <prefix>.<r>.et, from rank 0 on{}", rank_file(prefix, 0),
                                        found.empty() ? "" : fmt::format(" (found {} first)", found.begin()->second)));
  std::vector<std::string> paths;
  int expect = 0;
  for (const auto& [rank, path] : found) {
    if (rank != expect)
      throw InputError(where, fmt::format("{} is missing: the rank files must be contiguous, but {} exists", rank_file(prefix, expect), path));
    paths.push_back(path);
    ++expect;
  }
  return paths;
}

// The keys and their types, ranges and defaults: chakra_keys() (sim/workload/workload_keys.cpp).
ChakraSpec read_chakra_spec(MapReader& wm, const std::string& base_dir, const Catalog& catalog) {
  const auto row = [](const char* key) -> const KeySpec& { return *chakra_keys().find(std::string("workload.") + key); };
  ChakraSpec s;
  s.where = wm.node().location();
  const ConfigNode prefix_n = wm.required("prefix");
  const std::string p = prefix_n.as_string();
  s.prefix = (!p.empty() && p.front() == '/') ? p : base_dir + "/" + p;
  s.prefix_where = prefix_n.location();
  s.files = static_cast<int>(chakra_rank_files(s.prefix, s.prefix_where).size());
  s.ranks = s.files;
  if (auto r = wm.optional("replicate")) {
    if (s.files != 1)
      r->fail(fmt::format("'replicate' runs a one-rank trace as identical ranks, but '{}' has {} rank files; remove 'replicate'",
                          p, s.files));
    s.replicate = static_cast<int>(read_integer(*r, row("replicate")));
    s.replicate_where = r->location();
    s.ranks = s.replicate;
  }
  if (auto g = wm.optional("recorded_on")) {
    const std::string id = g->as_string();
    const GpuSpec* gpu = catalog.find_gpu(id);
    if (!gpu) g->fail(fmt::format("unknown GPU '{}'; catalog GPUs: {}", id, join(catalog.gpu_ids())));
    s.recorded_on = *gpu;
    s.recorded_on_where = g->location();
  }
  if (auto sb = wm.optional("scale_by")) {
    if (!s.recorded_on) sb->fail("'scale_by' needs 'recorded_on' (the catalog GPU the trace was recorded on)");
    const std::string v = read_text(*sb, row("scale_by"));
    if (v == "hbm") {
      s.scale_by_hbm = true;
    } else {
      s.scale_precision = *precision_from_string(v);
      if (!s.recorded_on->peak(s.scale_precision))
        sb->fail(fmt::format("GPU '{}' (recorded_on) has no {} rate in the catalog", s.recorded_on->id, v));
    }
  } else if (s.recorded_on && !s.recorded_on->peak(s.scale_precision)) {
    throw InputError(s.recorded_on_where, fmt::format("GPU '{}' has no bf16 rate in the catalog; set 'scale_by'", s.recorded_on->id));
  }
  if (auto pr = wm.optional("precision")) {
    const std::string ps = pr->as_string();
    const auto q = precision_from_string(ps);
    if (!q) pr->fail(fmt::format("unknown precision '{}'; expected one of: {}", ps, precision_names()));
    s.precision = *q;
  }
  if (auto c = wm.optional("ctrl_deps"))
    s.ctrl_deps = read_text(*c, row("ctrl_deps")) == "follow" ? ChakraCtrlDeps::Follow : ChakraCtrlDeps::Ignore;
  if (auto c = wm.optional("p2p")) {
    const std::string v = read_text(*c, row("p2p"));
    s.p2p = v == "eager" ? ChakraP2p::Eager : v == "rendezvous" ? ChakraP2p::Rendezvous : ChakraP2p::Auto;
  }
  if (auto b = wm.optional("broadcast_as")) {
    (void)read_text(*b, row("broadcast_as"));
    s.broadcast_as_all_gather = true;
  }
  if (auto groups = wm.optional("groups")) {
    for (const auto& [name, members] : groups->entries()) {
      if (name == "world") members.fail("the group 'world' is predefined (all ranks) and cannot be redefined");
      ChakraGroupSpec g;
      g.name = name;
      g.where = members.location();
      g.ranks = read_rank_set(members, s.ranks);
      s.groups.push_back(std::move(g));
    }
  }
  return s;
}

Workload load_chakra(const ChakraSpec& spec, const GpuSpec& target) { return ChakraReader(spec, target).read(); }

void write_chakra(const Workload& w, const std::string& dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw OutputError(fmt::format("'{}' is not a file name for Chakra ET files", name));
  if (static_cast<int>(w.programs.size()) != w.ranks)
    throw Error(fmt::format("internal error: workload '{}' has {} ranks but {} programs", w.name, w.ranks, w.programs.size()));
  // Everything is encoded before anything is written.
  std::vector<std::string> contents;
  contents.reserve(static_cast<std::size_t>(w.ranks));
  for (int r = 0; r < w.ranks; ++r) contents.push_back(encode_rank(w, r));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(fmt::format("cannot create folder {}: {}", dir, ec.message()));
  std::vector<fs::path> written;
  try {
    for (int r = 0; r < w.ranks; ++r) {
      const fs::path path = fs::path(dir) / fmt::format("{}.{}.et", name, r);
      write_atomic(path, contents[static_cast<std::size_t>(r)]);
      written.push_back(path);
    }
  } catch (const OutputError&) {
    for (const auto& p : written) fs::remove(p, ec);
    throw;
  }
}

}  // namespace racksim
