#include "models/collective.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace racksim {

std::string to_string(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::AllReduce: return "all_reduce";
    case CollectiveKind::AllGather: return "all_gather";
    case CollectiveKind::ReduceScatter: return "reduce_scatter";
    case CollectiveKind::AllToAll: return "all_to_all";
    case CollectiveKind::Broadcast: return "broadcast";
    case CollectiveKind::Reduce: return "reduce";
  }
  return "?";
}

std::string to_string(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::Ring: return "ring";
    case CollectiveAlgorithm::Direct: return "direct";
    case CollectiveAlgorithm::Tree: return "tree";
    case CollectiveAlgorithm::HalvingDoubling: return "halving_doubling";
    case CollectiveAlgorithm::Hierarchical: return "hierarchical";
    case CollectiveAlgorithm::Nvls: return "nvls";
    case CollectiveAlgorithm::Auto: return "auto";
  }
  return "?";
}

std::optional<CollectiveKind> collective_kind_from_string(const std::string& s) {
  for (auto k : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                 CollectiveKind::AllToAll, CollectiveKind::Broadcast, CollectiveKind::Reduce})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::optional<CollectiveAlgorithm> collective_algorithm_from_string(const std::string& s) {
  for (auto a : {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct, CollectiveAlgorithm::Tree,
                 CollectiveAlgorithm::HalvingDoubling, CollectiveAlgorithm::Hierarchical, CollectiveAlgorithm::Nvls,
                 CollectiveAlgorithm::Auto})
    if (to_string(a) == s) return a;
  return std::nullopt;
}

std::vector<CollectiveAlgorithm> algorithms_for(CollectiveKind k) {
  if (k == CollectiveKind::AllToAll) return {CollectiveAlgorithm::Direct};
  return {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct};
}

CollectiveShape make_shape(CollectiveKind kind, CollectiveAlgorithm algorithm, int group_size, std::uint64_t bytes) {
  CollectiveShape s;
  s.kind = kind;
  s.algorithm = algorithm;
  s.group_size = group_size;
  s.bytes = bytes;
  return s;
}

// INTERIM port of the first two algorithms to the shape API (helper A replaces this file).
CollectiveSchedule::CollectiveSchedule(CollectiveShape shape) : shape_(std::move(shape)) {
  const CollectiveKind kind_ = shape_.kind;
  const CollectiveAlgorithm algo_ = shape_.algorithm;
  const CollectiveKind kind = kind_;
  const CollectiveAlgorithm algo = algo_;
  const int n_ = shape_.group_size;
  if (n_ < 1) throw Error("internal error: collective over an empty group");
  bool ok = false;
  for (auto a : algorithms_for(kind)) ok = ok || a == algo;
  if (!ok) throw Error(fmt::format("{} has no {} algorithm", to_string(kind), to_string(algo)));
  if (n_ == 1) return;  // nothing to exchange
  if (algo_ == CollectiveAlgorithm::Ring)
    steps_ = (kind_ == CollectiveKind::AllReduce) ? 2 * (n_ - 1) : (n_ - 1);
  else
    steps_ = (kind_ == CollectiveKind::AllReduce) ? 2 : 1;
}

std::uint64_t CollectiveSchedule::piece(std::uint64_t bytes, int n, int chunk) {
  const auto nn = static_cast<std::uint64_t>(n);
  const auto c = static_cast<std::uint64_t>(chunk);
  return bytes / nn + (c < bytes % nn ? 1 : 0);
}

namespace {
int mod(int a, int n) { return ((a % n) + n) % n; }
}  // namespace

StepPlan CollectiveSchedule::step(int p, int s) const {
  StepPlan plan;
  const int n = shape_.group_size;
  const CollectiveKind kind_ = shape_.kind;
  const CollectiveAlgorithm algo_ = shape_.algorithm;
  auto chunk_bytes = [&](int c) { return piece(shape_.bytes, n, c); };
  if (algo_ == CollectiveAlgorithm::Ring) {
    const int next = mod(p + 1, n);
    const int prev = mod(p - 1, n);
    int send_chunk = 0;
    int recv_chunk = 0;
    bool reduce = false;
    const bool rs_phase = kind_ == CollectiveKind::ReduceScatter || (kind_ == CollectiveKind::AllReduce && s < n - 1);
    if (rs_phase) {
      // Rank p starts by sending chunk p; after n-1 steps it owns the reduced chunk (p+1) mod n.
      send_chunk = mod(p - s, n);
      recv_chunk = mod(p - s - 1, n);
      reduce = true;
    } else if (kind_ == CollectiveKind::AllReduce) {
      const int t = s - (n - 1);  // all-gather phase: circulate the reduced chunks
      send_chunk = mod(p + 1 - t, n);
      recv_chunk = mod(p - t, n);
    } else {  // all-gather: rank p starts with chunk p
      send_chunk = mod(p - s, n);
      recv_chunk = mod(p - s - 1, n);
    }
    plan.sends.push_back({next, chunk_bytes(send_chunk)});
    plan.recvs.push_back({prev, chunk_bytes(recv_chunk)});
    if (reduce) plan.reduce_bytes = chunk_bytes(recv_chunk);
    return plan;
  }
  // Direct: exchange with every peer at once, peers in rotation order p+1, p+2, ...
  const bool rs_like = kind_ == CollectiveKind::ReduceScatter || (kind_ == CollectiveKind::AllReduce && s == 0);
  for (int k = 1; k < n; ++k) {
    const int to = mod(p + k, n);
    const int from = mod(p - k, n);
    if (kind_ == CollectiveKind::AllToAll || rs_like) {
      plan.sends.push_back({to, chunk_bytes(to)});  // the chunk the peer owns
      plan.recvs.push_back({from, chunk_bytes(p)});
    } else {  // all-gather, or the all-gather half of all-reduce: send my own chunk
      plan.sends.push_back({to, chunk_bytes(p)});
      plan.recvs.push_back({from, chunk_bytes(from)});
    }
  }
  if (rs_like) plan.reduce_bytes = static_cast<std::uint64_t>(n - 1) * chunk_bytes(p);
  return plan;
}

Seconds ring_all_reduce_time(int n, Bytes s, Seconds alpha, BytesPerSecond b) {
  return (alpha + (s / static_cast<double>(n)) / b) * (2.0 * (n - 1));
}
Seconds ring_all_gather_time(int n, Bytes s, Seconds alpha, BytesPerSecond b) {
  return (alpha + (s / static_cast<double>(n)) / b) * static_cast<double>(n - 1);
}
Seconds ring_reduce_scatter_time(int n, Bytes s, Seconds alpha, BytesPerSecond b) {
  return ring_all_gather_time(n, s, alpha, b);
}
Seconds direct_all_to_all_time(int n, Bytes s, Seconds alpha, BytesPerSecond b) {
  if (n == 1) return Seconds(0.0);
  return alpha + (s * (static_cast<double>(n - 1) / n)) / b;
}

}  // namespace racksim
