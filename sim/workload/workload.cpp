// racksim workload: the op graph helpers, the native trace reader (docs/trace-format.md) and
// validate_workload, which every workload source (trace, Chakra, generator) passes before a run.
#include "sim/workload/workload.hpp"

#include "core/limits.hpp"
#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace racksim {

std::string to_string(ParallelDim d) {
  switch (d) {
    case ParallelDim::None: return "";
    case ParallelDim::TP: return "tp";
    case ParallelDim::PP: return "pp";
    case ParallelDim::DP: return "dp";
    case ParallelDim::EP: return "ep";
    case ParallelDim::CP: return "cp";
  }
  return "";
}

std::size_t Workload::total_ops() const {
  std::size_t n = 0;
  for (const auto& p : programs) n += p.size();
  return n;
}

int add_group(Workload& w, std::string name, std::vector<int> ranks, ParallelDim dim) {
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  Group g;
  g.name = std::move(name);
  g.dim = dim;
  g.position.assign(static_cast<std::size_t>(w.ranks), -1);
  for (std::size_t i = 0; i < ranks.size(); ++i) g.position[static_cast<std::size_t>(ranks[i])] = static_cast<int>(i);
  g.ranks = std::move(ranks);
  w.groups.push_back(std::move(g));
  return static_cast<int>(w.groups.size() - 1);
}

std::vector<int> read_rank_set(const ConfigNode& n, int ranks) {
  std::vector<int> out;
  if (n.is_scalar()) {
    if (n.as_string() != "all") n.fail("expected 'all' or a list of ranks and \"a-b\" ranges");
    for (int r = 0; r < ranks; ++r) out.push_back(r);
    return out;
  }
  for (const auto& item : n.items()) {
    const std::string s = item.as_string();
    const auto dash = s.find('-');
    int lo = 0;
    int hi = 0;
    if (dash != std::string::npos && dash > 0) {
      try {
        std::size_t u1 = 0;
        std::size_t u2 = 0;
        lo = std::stoi(s.substr(0, dash), &u1);
        hi = std::stoi(s.substr(dash + 1), &u2);
        if (u1 != dash || u2 != s.size() - dash - 1) throw std::invalid_argument(s);
      } catch (const std::exception&) {
        item.fail(fmt::format("expected a rank or a range \"a-b\", got '{}'", s));
      }
      if (lo > hi) item.fail(fmt::format("empty rank range '{}'", s));
    } else {
      lo = hi = static_cast<int>(item.as_int(0, 1 << 30));
    }
    if (lo < 0 || hi >= ranks)
      item.fail(fmt::format("rank {} does not exist: the trace has {} ranks (0 to {})", lo < 0 ? lo : hi, ranks, ranks - 1));
    for (int r = lo; r <= hi; ++r) out.push_back(r);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) n.fail("the rank set is empty");
  return out;
}

namespace {

// The limits of one op (core/limits.hpp), named with the value in every message.
std::uint64_t read_byte_count(const ConfigNode& n) {
  const double v = n.as_bytes().value();
  if (v > static_cast<double>(limits::kMaxOpBytes))
    n.fail(fmt::format("{} is more bytes than one op may move or hold; expected 0 B to 1 PiB ({} B; docs/limits.md)",
                       n.as_text(), limits::kMaxOpBytes));
  return static_cast<std::uint64_t>(v + 0.5);
}

Seconds read_op_duration(const ConfigNode& n) {
  const Seconds d = n.as_duration();
  if (d.value() > limits::kMaxOpSeconds)
    n.fail(fmt::format("{} is longer than one op may last; expected 0 s to {:g} s (11.6 days; docs/limits.md)", n.as_text(),
                       limits::kMaxOpSeconds));
  return d;
}

void check_op_work(const ConfigNode& n, Flops flops, Bytes bytes) {
  if (flops.value() > limits::kMaxOpFlops)
    n.fail(fmt::format("this compute op does {:g} FLOP; expected at most {:g} FLOP per op (docs/limits.md)", flops.value(),
                       limits::kMaxOpFlops));
  if (bytes.value() > static_cast<double>(limits::kMaxOpBytes))
    n.fail(fmt::format("this compute op moves {:g} B of HBM traffic; expected at most 1 PiB ({} B) per op (docs/limits.md)",
                       bytes.value(), limits::kMaxOpBytes));
}

int resolve_peer(const ConfigNode& n, int rank, int ranks) {
  int p = 0;
  if (n.is_scalar() && (n.as_string() == "next" || n.as_string() == "prev")) {
    p = n.as_string() == "next" ? (rank + 1) % ranks : (rank + ranks - 1) % ranks;
  } else {
    p = static_cast<int>(n.as_int(0, 1 << 30));
    if (p >= ranks) n.fail(fmt::format("rank {} does not exist: the trace has {} ranks (0 to {})", p, ranks, ranks - 1));
  }
  if (p == rank) n.fail(fmt::format("rank {} sends to or receives from itself", rank));
  return p;
}

int stream_index(Workload& w, const std::string& name) {
  for (std::size_t i = 0; i < w.streams.size(); ++i)
    if (w.streams[i] == name) return static_cast<int>(i);
  w.streams.push_back(name);
  return static_cast<int>(w.streams.size() - 1);
}

std::vector<std::string> op_kinds() {
  return {"compute", "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "reduce", "send", "recv",
          "delay", "alloc", "free"};
}

// Parses one op for one rank. Peers depend on the rank, so ops are parsed per rank.
Op parse_op(const ConfigNode& node, Workload& w, int rank, std::size_t index,
            const std::map<std::string, int>& group_index, std::vector<std::string>& dep_names) {
  MapReader m(node, "op");
  Op op;
  op.where = node.location();
  op.id = m.optional("id") ? node.child("id").as_string() : fmt::format("op{}", index);
  const std::string kind = m.required("kind").as_choice(op_kinds());
  std::string default_stream = "comm";
  if (kind == "compute") {
    op.kind = OpKind::Compute;
    default_stream = "compute";
    const auto dur = m.optional("duration");
    const auto flops = m.optional("flops");
    const auto bytes = m.optional("bytes");
    const auto prec = m.optional("precision");
    const auto gemm = m.optional("gemm");
    const auto attn = m.optional("attention");
    const int forms = (dur ? 1 : 0) + ((flops || bytes) ? 1 : 0) + (gemm ? 1 : 0) + (attn ? 1 : 0);
    if (forms != 1)
      node.fail("a compute op has exactly one of: 'duration', 'flops'/'bytes', 'gemm', 'attention'");
    if (dur && prec) node.fail("a compute op with 'duration' takes no 'precision'");
    if (prec) {
      const std::string ps = prec->as_string();
      const auto p = precision_from_string(ps);
      if (!p) prec->fail(fmt::format("unknown precision '{}'; expected one of: {}", ps, precision_names()));
      op.precision = *p;
    }
    if (dur) {
      op.duration = read_op_duration(*dur);
    } else if (gemm) {
      if (!prec) node.fail("a 'gemm' compute op needs 'precision' (one of: " + precision_names() + ")");
      MapReader g(*gemm, "gemm shape {m, n, k, batch}");
      GemmShape sh;
      sh.m = g.required("m").as_int(1, 1LL << 40);
      sh.n = g.required("n").as_int(1, 1LL << 40);
      sh.k = g.required("k").as_int(1, 1LL << 40);
      if (auto b = g.optional("batch")) sh.batch = b->as_int(1, 1LL << 30);
      g.finish();
      op.gemm = sh;
      const KernelWork kw = gemm_work(sh, op.precision);
      check_op_work(*gemm, kw.flops, kw.bytes);
      op.flops = kw.flops;
      op.hbm_bytes = kw.bytes;
    } else if (attn) {
      if (!prec) node.fail("an 'attention' compute op needs 'precision' (one of: " + precision_names() + ")");
      MapReader a(*attn, "attention shape {batch, heads, kv_heads, seq, head_dim, causal, backward, window}");
      AttentionShape sh;
      sh.batch = a.required("batch").as_int(1, 1LL << 30);
      sh.heads = a.required("heads").as_int(1, 1LL << 20);
      sh.seq = a.required("seq").as_int(1, 1LL << 30);
      sh.head_dim = a.required("head_dim").as_int(1, 1LL << 20);
      if (auto c = a.optional("causal")) sh.causal = c->as_bool();
      if (auto k = a.optional("kv_heads")) {
        sh.kv_heads = k->as_int(1, sh.heads);
        if (sh.heads % sh.kv_heads != 0) k->fail(fmt::format("a divisor of heads ({})", sh.heads));
      }
      if (auto bw = a.optional("backward")) sh.backward = bw->as_bool();
      if (auto win = a.optional("window")) {
        sh.window = win->as_int(1, 1LL << 30);
        if (!sh.causal) win->fail("a causal attention ('causal: true') for a sliding window");
      }
      a.finish();
      op.attention = sh;
      const KernelWork kw = attention_work(sh, op.precision);
      check_op_work(*attn, kw.flops, kw.bytes);
      op.flops = kw.flops;
      op.hbm_bytes = kw.bytes;
    } else {
      if (flops) {
        op.flops = flops->as_flops();
        if (!prec) node.fail("a compute op with 'flops' needs 'precision' (one of: " + precision_names() + ")");
      }
      if (bytes) op.hbm_bytes = bytes->as_bytes();
      check_op_work(node, op.flops, op.hbm_bytes);
    }
  } else if (kind == "alloc") {
    op.kind = OpKind::Alloc;
    default_stream = "compute";
    op.bytes = read_byte_count(m.required("bytes"));
    if (auto l = m.optional("label")) op.label = l->as_string();
  } else if (kind == "free") {
    op.kind = OpKind::Free;
    default_stream = "compute";
    op.label = m.required("alloc").as_string();  // the alloc's id, resolved below
  } else if (kind == "delay") {
    op.kind = OpKind::Delay;
    default_stream = "compute";
    op.duration = read_op_duration(m.required("duration"));
  } else if (kind == "send" || kind == "recv") {
    op.kind = kind == "send" ? OpKind::Send : OpKind::Recv;
    op.peer = resolve_peer(m.required(kind == "send" ? "to" : "from"), rank, w.ranks);
    op.bytes = read_byte_count(m.required("bytes"));
    if (auto t = m.optional("tag")) op.tag = static_cast<int>(t->as_int(0, 1 << 30));
  } else {
    op.kind = OpKind::Collective;
    op.collective = *collective_kind_from_string(kind);
    const ConfigNode gn = m.required("group");
    const std::string gname = gn.as_string();
    const auto git = group_index.find(gname);
    if (git == group_index.end()) {
      std::string names;
      for (const auto& kv : group_index) names += (names.empty() ? "" : ", ") + kv.first;
      gn.fail(fmt::format("unknown group '{}'; groups defined: {}", gname, names));
    }
    op.group = git->second;
    if (w.groups[static_cast<std::size_t>(op.group)].position[static_cast<std::size_t>(rank)] < 0)
      gn.fail(fmt::format("rank {} runs a {} on group '{}' but is not a member of it", rank, kind, gname));
    const Group& grp0 = w.groups[static_cast<std::size_t>(op.group)];
    if (auto cn = op.collective == CollectiveKind::AllToAll ? m.optional("counts") : std::nullopt) {
      // all-to-all(v): one row per member (group order), one entry per member: bytes row -> column.
      const auto n = grp0.ranks.size();
      const auto rows = cn->items();
      if (rows.size() != n)
        cn->fail(fmt::format("expected {} rows (one per member of group '{}'), got {}", n, gname, rows.size()));
      for (const auto& row : rows) {
        const auto cells = row.items();
        if (cells.size() != n) row.fail(fmt::format("expected {} byte counts (one per member), got {}", n, cells.size()));
        for (const auto& c : cells) op.counts.push_back(read_byte_count(c));
      }
      if (m.optional("bytes")) node.child("bytes").fail("give either bytes or counts for an all_to_all, not both");
      // bytes: the largest send buffer of the call (the same on every rank, for the cross-rank check).
      for (std::size_t p = 0; p < n; ++p) {
        std::uint64_t row = 0;  // each count is at most 2^50 and n at most 2^20: no overflow
        for (std::size_t q = 0; q < n; ++q) row += op.counts[p * n + q];
        if (row > limits::kMaxOpBytes)
          rows[p].fail(fmt::format("member {} sends {} B in this all_to_all; expected at most 1 PiB ({} B) per op "
                                   "(docs/limits.md)", p, row, limits::kMaxOpBytes));
        op.bytes = std::max(op.bytes, row);
      }
    } else {
      op.bytes = read_byte_count(m.required("bytes"));
    }
    op.algorithm = CollectiveAlgorithm::Auto;  // the run chooses, like the libraries do
    if (auto a = m.optional("algorithm")) {
      std::vector<std::string> names = {"auto"};
      for (auto x : algorithms_for(op.collective)) names.push_back(to_string(x));
      op.algorithm = *collective_algorithm_from_string(a->as_choice(names));
    }
    const Group& grp = w.groups[static_cast<std::size_t>(op.group)];
    if (op.collective == CollectiveKind::Broadcast || op.collective == CollectiveKind::Reduce) {
      const ConfigNode rn = m.required("root");
      op.root = static_cast<int>(rn.as_int(0, w.ranks - 1));
      if (grp.position[static_cast<std::size_t>(op.root)] < 0)
        rn.fail(fmt::format("root {} is not a member of group '{}'", op.root, gname));
    }
  }
  op.stream = stream_index(w, m.optional("stream") ? node.child("stream").as_string() : default_stream);
  dep_names.clear();
  if (auto d = m.optional("deps"))
    for (const auto& item : d->items()) dep_names.push_back(item.as_string());
  m.finish();
  return op;
}

// Detects a cycle among a rank's ops (dependencies plus stream order) and names it.
void check_acyclic(const std::vector<Op>& ops, int rank) {
  std::vector<int> state(ops.size(), 0);  // 0 new, 1 on stack, 2 done
  std::vector<int> stack;
  for (std::size_t root = 0; root < ops.size(); ++root) {
    if (state[root]) continue;
    std::vector<std::pair<int, std::size_t>> work{{static_cast<int>(root), 0}};
    state[root] = 1;
    stack.assign(1, static_cast<int>(root));
    while (!work.empty()) {
      auto& [v, next] = work.back();
      const auto& deps = ops[static_cast<std::size_t>(v)].deps;
      if (next < deps.size()) {
        const int u = deps[next++];
        if (state[static_cast<std::size_t>(u)] == 1) {
          std::string cycle;
          const auto from = std::find(stack.begin(), stack.end(), u);
          for (auto it = from; it != stack.end(); ++it) cycle += ops[static_cast<std::size_t>(*it)].id + " -> ";
          cycle += ops[static_cast<std::size_t>(u)].id;
          throw InputError(ops[static_cast<std::size_t>(u)].where,
                           fmt::format("dependency cycle on rank {}: {} (dependencies and stream order together)", rank, cycle));
        }
        if (state[static_cast<std::size_t>(u)] == 0) {
          state[static_cast<std::size_t>(u)] = 1;
          stack.push_back(u);
          work.emplace_back(u, 0);
        }
      } else {
        state[static_cast<std::size_t>(v)] = 2;
        stack.pop_back();
        work.pop_back();
      }
    }
  }
}

}  // namespace

void validate_workload(const Workload& w) {
  // Collectives: every member of a group runs the same sequence (kind, bytes, algorithm).
  for (std::size_t g = 0; g < w.groups.size(); ++g) {
    const Group& grp = w.groups[g];
    std::vector<const Op*> ref;
    int ref_rank = -1;
    for (const int r : grp.ranks) {
      std::vector<const Op*> seq;
      for (const Op& op : w.programs[static_cast<std::size_t>(r)])
        if (op.kind == OpKind::Collective && op.group == static_cast<int>(g)) seq.push_back(&op);
      if (ref_rank < 0) {
        ref = seq;
        ref_rank = r;
        continue;
      }
      for (std::size_t i = 0; i < std::max(seq.size(), ref.size()); ++i) {
        if (i >= seq.size())
          throw InputError(ref[i]->where, fmt::format("collective '{}' on group '{}' is run by rank {} but not by rank {} "
                                                      "(every member must run the same collectives in the same order)",
                                                      ref[i]->id, grp.name, ref_rank, r));
        if (i >= ref.size())
          throw InputError(seq[i]->where, fmt::format("collective '{}' on group '{}' is run by rank {} but not by rank {}",
                                                      seq[i]->id, grp.name, r, ref_rank));
        if (seq[i]->collective != ref[i]->collective || seq[i]->bytes != ref[i]->bytes ||
            seq[i]->algorithm != ref[i]->algorithm || seq[i]->root != ref[i]->root || seq[i]->counts != ref[i]->counts)
          throw InputError(seq[i]->where,
                           fmt::format("collective #{} on group '{}' differs between rank {} ({} {} B {}) and rank {} ({} {} B {})",
                                       i, grp.name, ref_rank, to_string(ref[i]->collective), ref[i]->bytes,
                                       to_string(ref[i]->algorithm), r, to_string(seq[i]->collective), seq[i]->bytes,
                                       to_string(seq[i]->algorithm)));
      }
    }
  }
  // Point-to-point: the k-th send a->b with tag t pairs with the k-th recv at b from a, tag t.
  std::map<std::tuple<int, int, int>, std::vector<const Op*>> sends;
  std::map<std::tuple<int, int, int>, std::vector<const Op*>> recvs;
  for (int r = 0; r < w.ranks; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind == OpKind::Send) sends[{r, op.peer, op.tag}].push_back(&op);
      if (op.kind == OpKind::Recv) recvs[{op.peer, r, op.tag}].push_back(&op);
    }
  for (const auto& [key, list] : sends) {
    const auto& [a, b, tag] = key;
    const auto it = recvs.find(key);
    const std::size_t nr = it == recvs.end() ? 0 : it->second.size();
    if (nr < list.size())
      throw InputError(list[nr]->where, fmt::format("send '{}' from rank {} to rank {} (tag {}) has no matching recv on rank {}",
                                                    list[nr]->id, a, b, tag, b));
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i]->bytes != it->second[i]->bytes)
        throw InputError(it->second[i]->where, fmt::format("recv '{}' on rank {} expects {} B but the matching send '{}' on rank {} sends {} B",
                                                           it->second[i]->id, b, it->second[i]->bytes, list[i]->id, a, list[i]->bytes));
  }
  for (const auto& [key, list] : recvs) {
    const auto it = sends.find(key);
    const std::size_t ns = it == sends.end() ? 0 : it->second.size();
    if (ns < list.size())
      throw InputError(list[ns]->where, fmt::format("recv '{}' on rank {} from rank {} (tag {}) has no matching send",
                                                    list[ns]->id, std::get<1>(key), std::get<0>(key), std::get<2>(key)));
  }
}

namespace {

// The trace's groups: 'world' (every rank, index 0), then those of `groups:`. Returns each
// group's index by name.
std::map<std::string, int> read_groups(MapReader& top, Workload& w) {
  std::map<std::string, int> group_index;
  auto add_named_group = [&](const std::string& name, std::vector<int> members) {
    group_index[name] = add_group(w, name, std::move(members));
  };
  // Each group keeps a position per rank: refuse a group list whose positions would not fit.
  const auto check_slots = [&](const ConfigNode& at, std::size_t groups) {
    if (groups * static_cast<std::size_t>(w.ranks) > limits::kMaxGroupSlots)
      at.fail(fmt::format("{} groups of {} ranks are more group memberships than racksim holds: at most {} groups x ranks "
                          "(docs/limits.md)", groups, w.ranks, limits::kMaxGroupSlots));
  };
  std::vector<int> all(static_cast<std::size_t>(w.ranks));
  for (int r = 0; r < w.ranks; ++r) all[static_cast<std::size_t>(r)] = r;
  add_named_group("world", all);
  if (auto groups = top.optional("groups")) {
    const auto entries = groups->entries();
    check_slots(*groups, entries.size() + 1);
    for (const auto& [name, members] : entries) {
      if (name == "world") members.fail("the group 'world' is predefined (all ranks) and cannot be redefined");
      add_named_group(name, read_rank_set(members, w.ranks));
    }
  }
  return group_index;
}

// Each op's dependencies by name, per rank and op, as `programs:` gives them (resolved later).
using DepNames = std::vector<std::vector<std::vector<std::string>>>;

// Fills w.programs from `programs:`, each entry's ops appended to every rank it names.
DepNames read_programs(MapReader& top, Workload& w, const std::map<std::string, int>& group_index) {
  w.programs.assign(static_cast<std::size_t>(w.ranks), {});
  DepNames dep_names(static_cast<std::size_t>(w.ranks));
  std::vector<std::string> scratch;
  std::size_t total = 0;  // ops of all ranks so far
  for (const auto& prog : top.required("programs").items()) {
    MapReader pm(prog, "program");
    const std::vector<int> ranks = read_rank_set(pm.required("ranks"), w.ranks);
    const ConfigNode ops_n = pm.required("ops");
    const std::vector<ConfigNode> ops = ops_n.items();
    pm.finish();
    // Counted before any op is built: `ranks: all` multiplies the list by the trace's ranks.
    int busiest = ranks.front();
    for (const int r : ranks)
      if (w.programs[static_cast<std::size_t>(r)].size() > w.programs[static_cast<std::size_t>(busiest)].size()) busiest = r;
    const std::size_t most = w.programs[static_cast<std::size_t>(busiest)].size() + ops.size();
    if (most > limits::kMaxOpsPerRank)
      ops_n.fail(fmt::format("rank {} would run {} ops; a rank runs at most {} ops (docs/limits.md)", busiest, most,
                             limits::kMaxOpsPerRank));
    if (ops.size() * ranks.size() > limits::kMaxTraceOps - total)
      ops_n.fail(fmt::format("{} ops on each of {} ranks bring the trace to {} ops; a trace has at most {} ops (docs/limits.md)",
                             ops.size(), ranks.size(), total + ops.size() * ranks.size(), limits::kMaxTraceOps));
    total += ops.size() * ranks.size();
    for (const int r : ranks) {
      auto& program = w.programs[static_cast<std::size_t>(r)];
      for (const auto& opn : ops) {
        program.push_back(parse_op(opn, w, r, program.size(), group_index, scratch));
        dep_names[static_cast<std::size_t>(r)].push_back(scratch);
      }
    }
  }
  return dep_names;
}

// Rank `r`'s op indices by id; an id used twice is an error.
std::map<std::string, int> index_op_ids(const std::vector<Op>& program, int r) {
  std::map<std::string, int> by_id;
  for (std::size_t i = 0; i < program.size(); ++i) {
    const auto [it, fresh] = by_id.emplace(program[i].id, static_cast<int>(i));
    if (!fresh) throw InputError(program[i].where, fmt::format("op id '{}' is used twice on rank {}", program[i].id, r));
  }
  return by_id;
}

// Pairs each free with the alloc op it names (once): the free takes the alloc's index, bytes and
// label, and depends on it.
void pair_frees_with_allocs(std::vector<Op>& program, const std::map<std::string, int>& by_id, int r) {
  std::vector<int> freed_by(program.size(), -1);
  for (std::size_t i = 0; i < program.size(); ++i) {
    Op& op = program[i];
    if (op.kind != OpKind::Free) continue;
    const auto it = by_id.find(op.label);
    if (it == by_id.end() || program[static_cast<std::size_t>(it->second)].kind != OpKind::Alloc)
      throw InputError(op.where, fmt::format("free '{}' on rank {} names '{}', which is not an alloc op of rank {}", op.id, r,
                                             op.label, r));
    if (freed_by[static_cast<std::size_t>(it->second)] >= 0)
      throw InputError(op.where, fmt::format("alloc '{}' on rank {} is freed twice (by '{}' and '{}')", op.label, r,
                                             program[static_cast<std::size_t>(freed_by[static_cast<std::size_t>(it->second)])].id, op.id));
    freed_by[static_cast<std::size_t>(it->second)] = static_cast<int>(i);
    op.frees = it->second;
    op.bytes = program[static_cast<std::size_t>(it->second)].bytes;
    op.label = program[static_cast<std::size_t>(it->second)].label;
    // A free happens after its alloc: make it an explicit dependency.
    op.deps.push_back(it->second);
  }
}

// Resolves each op's dependencies by name, adds stream order (each op depends on the one before
// it on its stream) and numbers the collectives per group.
void link_ops(std::vector<Op>& program, const std::vector<std::vector<std::string>>& dep_names,
              const std::map<std::string, int>& by_id, const Workload& w, int r) {
  std::vector<int> last_on_stream(w.streams.size(), -1);
  std::vector<int> seq(w.groups.size(), 0);
  for (std::size_t i = 0; i < program.size(); ++i) {
    Op& op = program[i];
    for (const auto& name : dep_names[i]) {
      const auto it = by_id.find(name);
      if (it == by_id.end())
        throw InputError(op.where, fmt::format("op '{}' on rank {} depends on '{}', which rank {} does not run", op.id, r, name, r));
      if (it->second == static_cast<int>(i)) throw InputError(op.where, fmt::format("op '{}' depends on itself", op.id));
      op.deps.push_back(it->second);
    }
    auto& prev = last_on_stream[static_cast<std::size_t>(op.stream)];
    if (prev >= 0) op.deps.push_back(prev);
    prev = static_cast<int>(i);
    std::sort(op.deps.begin(), op.deps.end());
    op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
    if (op.kind == OpKind::Collective) op.sequence = seq[static_cast<std::size_t>(op.group)]++;
  }
}

}  // namespace

Workload load_native_trace(const std::string& path) {
  const ConfigDoc doc = ConfigDoc::load_file(path);
  MapReader top(doc.root(), "trace");
  Workload w;
  w.source = path;
  const auto ver = top.required("racksim_trace");
  if (ver.as_int(1, 1000) != 1) ver.fail("unsupported trace format version; this racksim reads racksim_trace: 1");
  w.name = top.required("name").as_string();
  const ConfigNode ranks_n = top.required("ranks");
  w.ranks = static_cast<int>(ranks_n.as_int(1, limits::kMaxTraceRanks));
  w.ranks_where = ranks_n.location();
  const std::map<std::string, int> group_index = read_groups(top, w);
  const DepNames dep_names = read_programs(top, w, group_index);
  top.finish();
  for (int r = 0; r < w.ranks; ++r) {
    auto& program = w.programs[static_cast<std::size_t>(r)];
    const std::map<std::string, int> by_id = index_op_ids(program, r);
    pair_frees_with_allocs(program, by_id, r);
    link_ops(program, dep_names[static_cast<std::size_t>(r)], by_id, w, r);
    check_acyclic(program, r);
  }
  validate_workload(w);
  return w;
}

}  // namespace racksim
