// racksim models: collective algorithms as step schedules, and their closed-form times.
//
// What it models: the point-to-point transfers of ring, direct, double-binary-tree,
// halving-doubling, hierarchical and NVLS collectives, step by step, as NCCL/RCCL run them at
// the level of whole chunks (no LL/LL128 protocol detail beyond the bandwidth fraction).
// step(p, s) is computed on demand in O(1) (ring, chain, nvls), O(log^2 n) (tree) or O(log n)
// (halving-doubling), and O(n) only where the step really has n transfers (direct).
//
// Equations (S bytes, n ranks, alpha per-step latency, B per-GPU bandwidth per direction times
// the protocol's bandwidth fraction, k pipeline slices, D tree depth); the derivations are in
// docs/collectives.md and next to each *_time function below:
//   ring all-reduce         2(n-1) (alpha + S/(nB))          ring AG / RS   (n-1)(alpha + S/(nB))
//   ring broadcast/reduce   (n-2+k)(alpha + S/(kB))          direct AR      2(alpha + (n-1)S/(nB))
//   tree broadcast/reduce   (D+k-1) alpha + (m_1 + 2 m_2) S/(kB)   (m_1 steps with one child active)
//   tree all-reduce         2(D+k-1) alpha + sum of per-step slices (exact critical path)
//   halving-doubling AR     2 log2(n) alpha + 2 (n-1)/n S/B   (+ 2(alpha + S/B) if n is not a power of 2)
//   nvls all-reduce         alpha + S/min(B, B_nvls)
//   ring AG / RS, C channels on a full mesh of g (RCCL's rings over every xGMI link)
//                           (n-1)(alpha + S/(n C B/(g-1)))  = (n-1)(alpha + S/(nB)) for C = g-1
//   hierarchical AG / RS    AG_inter(d, S/g) + AG_intra(g, S) (RS: RS_intra + RS_inter), e.g.
//                           ring/ring (d-1)(alpha_e + S/(nB_e)) + (g-1)(alpha_i + S/(gB_i))
// Parameters: CollectiveCostParams (levels intra/inter, launch, nvls bandwidth, fraction).
// Worked example: ring all-reduce of 1 GB over 8 GPUs at 50 GB/s, alpha 5 us:
//   14 * (5 us + 1e9/(8 * 50e9) s) = 14 * 2.505 ms = 35.07 ms.
// Hierarchical all-gather of 1 GiB over 2 domains of 8 (alpha_i 5 us, B_i 396 GB/s, alpha_e 20 us,
// B_e 48.5 GB/s): 20 us + (S/16)/B_e + 7 (5 us + (S/8)/B_i) = 3.811 ms (264 GB/s bus bandwidth),
// where the flat ring pays the NIC at each of its 15 steps: 21.06 ms (47.8 GB/s).
// Where the numbers come from: the algorithms are NCCL's / RCCL's (ring, tree since NCCL 2.4,
// NVLS since 2.17) and MPICH's (Rabenseifner); the closed forms are exact under the engine
// semantics in collective.hpp on an uncontended fabric, up to one byte per chunk (they use S/n,
// the schedules use whole bytes).
#include "models/collective.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

namespace racksim {

using u64 = std::uint64_t;

// ---- names ---------------------------------------------------------------------------------------

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
  using A = CollectiveAlgorithm;
  switch (k) {
    case CollectiveKind::AllReduce: return {A::Ring, A::Direct, A::Tree, A::HalvingDoubling, A::Hierarchical, A::Nvls};
    case CollectiveKind::AllGather:
    case CollectiveKind::ReduceScatter: return {A::Ring, A::Direct, A::HalvingDoubling, A::Hierarchical, A::Nvls};
    case CollectiveKind::AllToAll: return {A::Direct};
    case CollectiveKind::Broadcast:
    case CollectiveKind::Reduce: return {A::Ring, A::Direct, A::Tree};
  }
  return {};
}

CollectiveShape make_shape(CollectiveKind kind, CollectiveAlgorithm algorithm, int group_size, std::uint64_t bytes) {
  CollectiveShape s;
  s.kind = kind;
  s.algorithm = algorithm;
  s.group_size = group_size;
  s.bytes = bytes;
  return s;
}

// ---- small helpers -------------------------------------------------------------------------------

std::uint64_t CollectiveSchedule::piece(std::uint64_t bytes, int n, int chunk) {
  const auto nn = static_cast<u64>(n);
  const auto c = static_cast<u64>(chunk);
  return bytes / nn + (c < bytes % nn ? 1 : 0);
}

std::uint64_t CollectiveSchedule::piece_offset(std::uint64_t bytes, int n, int chunk) {
  const auto nn = static_cast<u64>(n);
  const auto c = static_cast<u64>(chunk);
  return c * (bytes / nn) + std::min(c, bytes % nn);
}

namespace {

u64 pc(u64 bytes, int n, int c) { return CollectiveSchedule::piece(bytes, n, c); }
u64 po(u64 bytes, int n, int c) { return CollectiveSchedule::piece_offset(bytes, n, c); }
int mod(int a, int n) { return ((a % n) + n) % n; }
int floor_pow2(int n) {
  int p = 1;
  while (p <= n / 2) p *= 2;
  return p;
}
int log2_exact(int p) {
  int l = 0;
  while ((1 << l) < p) ++l;
  return l;
}

void add_send(StepWork& pl, int peer, u64 bytes, u64 offset) { pl.sends.push_back({peer, bytes, offset, false}); }
void add_recv(StepWork& pl, int peer, u64 bytes, u64 offset, bool reduce) {
  pl.recvs.push_back({peer, bytes, offset, reduce});
  if (reduce) pl.reduce_bytes += bytes;
}

std::string algorithm_list(CollectiveKind k) {
  std::string out;
  for (const auto a : algorithms_for(k)) out += (out.empty() ? "" : ", ") + to_string(a);
  return out;
}

bool supports(CollectiveKind k, CollectiveAlgorithm a) {
  const auto v = algorithms_for(k);
  return std::find(v.begin(), v.end(), a) != v.end();
}

// ---- binary trees (NCCL's ncclGetBtree, and racksim's double tree) ------------------------------

// NCCL's binary tree over m ranks rooted at 0: a rank whose lowest set bit is b has parent
// (r ^ b) | 2b (or r ^ b when that is out of range) and children r - b/2 and r + b/2 (the
// latter pulled down to r + b/4, ... while out of range). Rank 0 has one child, the largest
// power of two below m. Odd ranks are the leaves, even ranks (r > 0) are interior.
TreeNode btree(int m, int r) {
  TreeNode t;
  if (m <= 1) return t;
  int bit = 1;
  while (bit < m && (bit & r) == 0) bit <<= 1;
  if (r == 0) {
    t.child[0] = bit >> 1;
    return t;
  }
  int up = (r ^ bit) | (bit << 1);
  if (up >= m) up = r ^ bit;
  t.parent = up;
  int lowbit = bit >> 1;
  t.child[0] = lowbit == 0 ? -1 : r - lowbit;
  int down1 = lowbit == 0 ? -1 : r + lowbit;
  while (down1 >= m) {
    down1 = lowbit == 0 ? -1 : r + lowbit;
    lowbit >>= 1;
  }
  t.child[1] = down1;
  return t;
}

int btree_depth(int m, int r) {
  int d = 0;
  for (int x = r; x != 0; x = btree(m, x).parent) ++d;
  return d;
}

// Rank 1 is the deepest node of btree(m): every hop down at least halves the lowest set bit,
// and 1 is reached from the root's child by halving it one bit at a time.
int btree_max_depth(int m) { return m >= 2 ? btree_depth(m, 1) : 0; }

TreeNode map_node(TreeNode t, int (*f)(int, int), int arg) {
  if (t.parent >= 0) t.parent = f(t.parent, arg);
  for (int& c : t.child)
    if (c >= 0) c = f(c, arg);
  return t;
}
int mirror(int x, int m) { return m - 1 - x; }

// The tree all-reduce's rank p in the tree rooted at `root` (broadcast / reduce).
TreeNode rooted_node(int n, int root, int p) {
  TreeNode t = btree(n, mod(p - root, n));
  if (t.parent >= 0) t.parent = (t.parent + root) % n;
  for (int& c : t.child)
    if (c >= 0) c = (c + root) % n;
  return t;
}

}  // namespace

TreeNode double_tree_node(int n, int tree, int p) {
  if (n <= 1) return {};
  if (tree == 0) return btree(n, p);
  if (n % 2 == 0) return map_node(btree(n, mirror(p, n)), mirror, n);
  // Odd n: the mirror of btree(n-1) over positions 0..n-2 (interior: odd positions), and
  // position n-1 as the second child of that tree's root n-2.
  const int m = n - 1;
  if (p == n - 1) {
    TreeNode t;
    t.parent = n - 2;
    return t;
  }
  TreeNode t = map_node(btree(m, mirror(p, m)), mirror, m);
  if (p == n - 2) t.child[1] = n - 1;
  return t;
}

int double_tree_depth(int n, int tree, int p) {
  int d = 0;
  for (int x = double_tree_node(n, tree, p).parent; x >= 0; x = double_tree_node(n, tree, x).parent) ++d;
  return d;
}

int double_tree_max_depth(int n, int tree) {
  if (n <= 1) return 0;
  if (tree == 0 || n % 2 == 0) return btree_max_depth(n);
  return std::max(1, btree_max_depth(n - 1));
}

int reduce_scatter_owned_chunk(CollectiveAlgorithm algorithm, int n, int p) {
  return algorithm == CollectiveAlgorithm::Ring ? mod(p + 1, n) : p;
}

int reduce_scatter_owned_piece(const CollectiveShape& sh, int p) {
  const int n = sh.group_size;
  const int g = sh.domain_size;
  if (sh.algorithm != CollectiveAlgorithm::Hierarchical || n <= 1 || g <= 1 || g >= n)
    return reduce_scatter_owned_chunk(sh.algorithm, n, p);
  return reduce_scatter_owned_chunk(sh.inter, n / g, p / g) * g + reduce_scatter_owned_chunk(sh.intra, g, p % g);
}

namespace {

// ---- per-algorithm steps -------------------------------------------------------------------------
// Every function below appends rank p's transfers of step s to `pl`, for a group of n positions
// and a buffer of S bytes; peers are positions of that group.

// The chunks ring position p sends to p+1 and receives from p-1 at step s; true when the
// receive is reduced.
bool ring_chunks(CollectiveKind kind, int n, int p, int s, int* send_chunk, int* recv_chunk) {
  const bool rs_phase = kind == CollectiveKind::ReduceScatter || (kind == CollectiveKind::AllReduce && s < n - 1);
  if (rs_phase) {
    // Rank p starts by sending chunk p; after n-1 steps it owns the reduced chunk (p+1) mod n.
    *send_chunk = mod(p - s, n);
    *recv_chunk = mod(p - s - 1, n);
  } else if (kind == CollectiveKind::AllReduce) {
    const int t = s - (n - 1);  // all-gather phase: circulate the reduced chunks
    *send_chunk = mod(p + 1 - t, n);
    *recv_chunk = mod(p - t, n);
  } else {  // all-gather: rank p starts with chunk p
    *send_chunk = mod(p - s, n);
    *recv_chunk = mod(p - s - 1, n);
  }
  return rs_phase;
}

// Ring all-reduce / all-gather / reduce-scatter: p sends to p+1 and receives from p-1.
void ring_step(CollectiveKind kind, int n, u64 S, int p, int s, StepWork& pl) {
  int send_chunk = 0;
  int recv_chunk = 0;
  const bool rs_phase = ring_chunks(kind, n, p, s, &send_chunk, &recv_chunk);
  add_send(pl, mod(p + 1, n), pc(S, n, send_chunk), po(S, n, send_chunk));
  add_recv(pl, mod(p - 1, n), pc(S, n, recv_chunk), po(S, n, recv_chunk), rs_phase);
}

// Ring broadcast / reduce: a chain in ring order from the root (distance d = p - root mod n),
// the buffer cut into k slices. Broadcast: slice j crosses the edge d-1 -> d at step d-1+j.
// Reduce: slice j crosses the edge d -> d-1 at step (n-1-d)+j, the far end starting.
void chain_step(CollectiveKind kind, int n, u64 S, int root, int k, int p, int s, StepWork& pl) {
  const int d = mod(p - root, n);
  auto in = [k](int j) { return j >= 0 && j < k; };
  if (kind == CollectiveKind::Broadcast) {
    if (d < n - 1 && in(s - d)) add_send(pl, mod(p + 1, n), pc(S, k, s - d), po(S, k, s - d));
    if (d >= 1 && in(s - d + 1)) add_recv(pl, mod(p - 1, n), pc(S, k, s - d + 1), po(S, k, s - d + 1), false);
  } else {
    const int js = s - (n - 1 - d);
    const int jr = s - (n - 2 - d);
    if (d >= 1 && in(js)) add_send(pl, mod(p - 1, n), pc(S, k, js), po(S, k, js));
    if (d < n - 1 && in(jr)) add_recv(pl, mod(p + 1, n), pc(S, k, jr), po(S, k, jr), true);
  }
}

// Direct: every peer at once, peers in rotation order p+1, p+2, ... (receives p-1, p-2, ...).
void direct_step(const CollectiveShape& sh, int n, u64 S, int p, int s, StepWork& pl) {
  const CollectiveKind kind = sh.kind;
  if (kind == CollectiveKind::Broadcast || kind == CollectiveKind::Reduce) {
    const bool bc = kind == CollectiveKind::Broadcast;
    if (p == sh.root) {
      for (int i = 1; i < n; ++i) {
        if (bc) add_send(pl, mod(p + i, n), S, 0);
        else add_recv(pl, mod(p - i, n), S, 0, true);
      }
    } else if (bc) {
      add_recv(pl, sh.root, S, 0, false);
    } else {
      add_send(pl, sh.root, S, 0);
    }
    return;
  }
  const auto un = static_cast<std::size_t>(n);
  const bool v = kind == CollectiveKind::AllToAll && !sh.counts.empty();
  const bool rs_like = kind == CollectiveKind::ReduceScatter || (kind == CollectiveKind::AllReduce && s == 0);
  pl.sends.reserve(un - 1);
  pl.recvs.reserve(un - 1);
  for (int i = 1; i < n; ++i) {
    const int to = mod(p + i, n);
    const int from = mod(p - i, n);
    if (kind == CollectiveKind::AllToAll) {
      const auto up = static_cast<std::size_t>(p);
      add_send(pl, to, v ? sh.counts[up * un + static_cast<std::size_t>(to)] : pc(S, n, to), 0);
      add_recv(pl, from, v ? sh.counts[static_cast<std::size_t>(from) * un + up] : pc(S, n, p), 0, false);
    } else if (rs_like) {
      add_send(pl, to, pc(S, n, to), po(S, n, to));  // the chunk the peer owns
      add_recv(pl, from, pc(S, n, p), po(S, n, p), true);
    } else {  // all-gather, or the all-gather half of all-reduce: send my own chunk
      add_send(pl, to, pc(S, n, p), po(S, n, p));
      add_recv(pl, from, pc(S, n, from), po(S, n, from), false);
    }
  }
}

// Slice j of a tree's part of the buffer, [base, base + len) cut into k slices.
void tree_slice(u64 base, u64 len, int k, int j, u64* bytes, u64* offset) {
  *bytes = pc(len, k, j);
  *offset = base + po(len, k, j);
}

// One tree's transfers at step s. Reduce (up): a node at depth dep >= 1 sends slice j to its
// parent at step D - dep + j, so it has received slice j from its children (depth dep+1) one
// step before. Broadcast (down): a node at depth dep receives slice j at step dep-1+j and sends
// it to its children at step dep+j.
void tree_up(const TreeNode& t, int dep, int D, int k, u64 base, u64 len, int s, StepWork& pl) {
  u64 b = 0;
  u64 o = 0;
  const int js = s - (D - dep);
  if (t.parent >= 0 && js >= 0 && js < k) {
    tree_slice(base, len, k, js, &b, &o);
    add_send(pl, t.parent, b, o);
  }
  const int jr = js + 1;
  if (jr >= 0 && jr < k)
    for (const int c : t.child)
      if (c >= 0) {
        tree_slice(base, len, k, jr, &b, &o);
        add_recv(pl, c, b, o, true);
      }
}
void tree_down(const TreeNode& t, int dep, int k, u64 base, u64 len, int s, StepWork& pl) {
  u64 b = 0;
  u64 o = 0;
  const int js = s - dep;
  if (js >= 0 && js < k)
    for (const int c : t.child)
      if (c >= 0) {
        tree_slice(base, len, k, js, &b, &o);
        add_send(pl, c, b, o);
      }
  const int jr = js + 1;
  if (t.parent >= 0 && jr >= 0 && jr < k) {
    tree_slice(base, len, k, jr, &b, &o);
    add_recv(pl, t.parent, b, o, false);
  }
}

// Double binary tree all-reduce: tree 0 carries the first half, tree 1 the second; both reduce
// up during the first P = max(D0, D1) + k - 1 steps, then broadcast down during the next P.
void tree_all_reduce_step(int n, u64 S, int k, int D0, int D1, int p, int s, StepWork& pl) {
  const int P = std::max(D0, D1) + k - 1;
  for (int T = 0; T < 2; ++T) {
    const TreeNode t = double_tree_node(n, T, p);
    const int dep = double_tree_depth(n, T, p);
    const u64 base = T == 0 ? 0 : pc(S, 2, 0);
    const u64 len = pc(S, 2, T);
    if (s < P) tree_up(t, dep, T == 0 ? D0 : D1, k, base, len, s, pl);
    else tree_down(t, dep, k, base, len, s - P, pl);
  }
}

void tree_rooted_step(CollectiveKind kind, int n, u64 S, int root, int k, int D, int p, int s, StepWork& pl) {
  const TreeNode t = rooted_node(n, root, p);
  const int dep = btree_depth(n, mod(p - root, n));
  if (kind == CollectiveKind::Broadcast) tree_down(t, dep, k, 0, S, s, pl);
  else tree_up(t, dep, D, k, 0, S, s, pl);
}

// Halving-doubling over n' = 2^L "active" ranks 0..n'-1. All-reduce cuts the buffer into n'
// blocks (block v = piece v of n'). Reduce-scatter and all-gather cut it into the n pieces of
// the collective's definition and give active rank v the block {piece v, piece n'+v if v < r}
// (r = n - n'), so that a range of blocks [a, b) is at most two byte ranges.
struct HalvingDoubling {
  CollectiveKind kind;
  int n;
  u64 S;
  int np;  // n'
  int r;
  int L;
  [[nodiscard]] int blocks() const { return kind == CollectiveKind::AllReduce ? np : n; }
  void send_blocks(StepWork& pl, int peer, int a, int b) const {
    const int cnt = blocks();
    add_send(pl, peer, po(S, cnt, b) - po(S, cnt, a), po(S, cnt, a));
    if (cnt == n && a < r) add_send(pl, peer, po(S, n, np + std::min(b, r)) - po(S, n, np + a), po(S, n, np + a));
  }
  void recv_blocks(StepWork& pl, int peer, int a, int b, bool reduce) const {
    const int cnt = blocks();
    add_recv(pl, peer, po(S, cnt, b) - po(S, cnt, a), po(S, cnt, a), reduce);
    if (cnt == n && a < r)
      add_recv(pl, peer, po(S, n, np + std::min(b, r)) - po(S, n, np + a), po(S, n, np + a), reduce);
  }
  [[nodiscard]] int main_steps() const { return kind == CollectiveKind::AllReduce ? 2 * L : L; }
  [[nodiscard]] int num_steps() const { return main_steps() + (r > 0 ? 2 : 0); }

  void step(int p, int s, StepWork& pl) const {
    const bool ag = kind == CollectiveKind::AllGather;
    if (r > 0) {
      if (s == 0) {  // fold: ranks n'+i hand their data to partner i
        if (p >= np) {
          if (ag) add_send(pl, p - np, pc(S, n, p), po(S, n, p));
          else add_send(pl, p - np, S, 0);
        } else if (p < r) {
          if (ag) add_recv(pl, p + np, pc(S, n, p + np), po(S, n, p + np), false);
          else add_recv(pl, p + np, S, 0, true);
        }
        return;
      }
      --s;
    }
    if (s < main_steps()) {
      if (p >= np) return;  // folded ranks wait
      const bool halving = kind == CollectiveKind::ReduceScatter || (kind == CollectiveKind::AllReduce && s < L);
      if (halving) {
        const int d = np >> (s + 1);
        const int partner = p ^ d;
        const int base = p & ~(2 * d - 1);
        const bool low = (p & d) == 0;
        const int keep = low ? base : base + d;
        const int give = low ? base + d : base;
        send_blocks(pl, partner, give, give + d);
        recv_blocks(pl, partner, keep, keep + d, true);
      } else {
        const int d = 1 << (kind == CollectiveKind::AllReduce ? s - L : s);
        const int partner = p ^ d;
        const int mine = p & ~(d - 1);
        const int theirs = partner & ~(d - 1);
        send_blocks(pl, partner, mine, mine + d);
        recv_blocks(pl, partner, theirs, theirs + d, false);
      }
      return;
    }
    // unfold (r > 0): partners return the result; reduce-scatter returns only the owner's piece
    const bool rs = kind == CollectiveKind::ReduceScatter;
    if (p < r) {
      if (rs) add_send(pl, p + np, pc(S, n, p + np), po(S, n, p + np));
      else add_send(pl, p + np, S, 0);
    } else if (p >= np) {
      if (rs) add_recv(pl, p - np, pc(S, n, p), po(S, n, p), false);
      else add_recv(pl, p - np, S, 0, false);
    }
  }
};

HalvingDoubling make_hd(CollectiveKind kind, int n, u64 S) {
  const int np = floor_pow2(n);
  return {kind, n, S, np, n - np, log2_exact(np)};
}

// NVLS: the switch reduces (all-reduce, reduce-scatter) or gathers and multicasts.
void nvls_step(CollectiveKind kind, int n, u64 S, int p, StepWork& pl) {
  switch (kind) {
    case CollectiveKind::AllReduce:
      add_send(pl, kSwitchPeer, S, 0);
      add_recv(pl, kSwitchPeer, S, 0, false);
      return;
    case CollectiveKind::ReduceScatter:
      add_send(pl, kSwitchPeer, S, 0);
      add_recv(pl, kSwitchPeer, pc(S, n, p), po(S, n, p), false);
      return;
    default: {  // all-gather: everything but my own piece comes back (a range that wraps)
      add_send(pl, kSwitchPeer, pc(S, n, p), po(S, n, p));
      const u64 rest = S - pc(S, n, p);
      add_recv(pl, kSwitchPeer, rest, S == 0 ? 0 : (po(S, n, p) + pc(S, n, p)) % S, false);
      return;
    }
  }
}

// Index of the piece (of `bytes` cut into m) that holds byte x < bytes.
int piece_at(u64 bytes, int m, u64 x) {
  const auto mm = static_cast<u64>(m);
  const u64 q = bytes / mm;
  const u64 r = bytes % mm;
  if (x < r * (q + 1)) return static_cast<int>(x / (q + 1));
  return static_cast<int>(r + (x - r * (q + 1)) / q);
}

// Hierarchical all-gather / reduce-scatter see the buffer in local-major order: piece j (of g)
// of the view is the real pieces j, g + j, ..., (d-1) g + j (of n = d g) one after the other,
// so that the rail of local index j works on one contiguous range of the view. Sub-piece e of
// the view's piece j, piece(piece(S, g, j), d, e), has the size of real piece e g + j byte for
// byte (both are S/n rounded up exactly when e g + j < S mod n; docs/collectives.md).
// `out` gets the real ranges (offset, bytes) of the view's range [off, off + bytes) modulo S,
// in increasing real offset, adjacent ones merged.
void view_to_real(u64 S, int g, int d, u64 off, u64 bytes, std::vector<std::pair<u64, u64>>& out) {
  out.clear();
  if (bytes == 0 || S == 0) return;
  auto linear = [&](u64 a, u64 b) {
    while (a < b) {
      const int j = piece_at(S, g, a);
      const u64 jo = po(S, g, j);
      const u64 jl = pc(S, g, j);
      const int e = piece_at(jl, d, a - jo);
      const u64 eo = jo + po(jl, d, e);
      const u64 end = std::min(b, eo + pc(jl, d, e));
      out.emplace_back(po(S, g * d, e * g + j) + (a - eo), end - a);
      a = end;
    }
  };
  if (off + bytes <= S) {
    linear(off, off + bytes);
  } else {
    linear(off, S);
    linear(0, off + bytes - S);
  }
  std::sort(out.begin(), out.end());
  std::size_t w = 0;
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[w].first + out[w].second == out[i].first) out[w].second += out[i].second;
    else out[++w] = out[i];
  }
  out.resize(w + 1);
}

// A sub-collective of a hierarchical all-gather / reduce-scatter mapped into the whole group:
// peer q -> first + q * stride (the switch stays the switch), the view's range base + offset
// -> its real ranges (view_to_real), each its own transfer.
void append_view(const StepWork& sub, int first, int stride, u64 base, u64 S, int g, int d, StepWork& pl) {
  std::vector<std::pair<u64, u64>> ranges;
  for (const StepTransfer& t : sub.sends) {
    view_to_real(S, g, d, base + t.offset, t.bytes, ranges);
    const int peer = t.peer == kSwitchPeer ? kSwitchPeer : first + t.peer * stride;
    for (const auto& [o, b] : ranges) add_send(pl, peer, b, o);
  }
  for (const StepTransfer& t : sub.recvs) {
    view_to_real(S, g, d, base + t.offset, t.bytes, ranges);
    const int peer = t.peer == kSwitchPeer ? kSwitchPeer : first + t.peer * stride;
    for (const auto& [o, b] : ranges) add_recv(pl, peer, b, o, t.reduce);
  }
}

// Peers and offsets of a sub-collective (hierarchical phases) mapped into the whole group.
void append_mapped(const StepWork& sub, int first, int stride, u64 base, StepWork& pl) {
  for (StepTransfer t : sub.sends) {
    t.peer = first + t.peer * stride;
    t.offset += base;
    pl.sends.push_back(t);
  }
  for (StepTransfer t : sub.recvs) {
    t.peer = first + t.peer * stride;
    t.offset += base;
    pl.recvs.push_back(t);
  }
  pl.reduce_bytes += sub.reduce_bytes;
}

int plain_num_steps(const CollectiveShape& sh, int D0, int D1) {
  const int n = sh.group_size;
  const int k = sh.chunks;
  const bool ar = sh.kind == CollectiveKind::AllReduce;
  switch (sh.algorithm) {
    case CollectiveAlgorithm::Ring:
      if (sh.kind == CollectiveKind::Broadcast || sh.kind == CollectiveKind::Reduce) return n - 2 + k;
      return ar ? 2 * (n - 1) : n - 1;
    case CollectiveAlgorithm::Direct: return ar ? 2 : 1;
    case CollectiveAlgorithm::Tree: return ar ? 2 * (std::max(D0, D1) + k - 1) : D0 + k - 1;
    case CollectiveAlgorithm::HalvingDoubling: return make_hd(sh.kind, n, sh.bytes).num_steps();
    case CollectiveAlgorithm::Nvls: return 1;
    default: return 0;
  }
}

// The step of a non-hierarchical algorithm.
void plain_step(const CollectiveShape& sh, int D0, int D1, int p, int s, StepWork& pl) {
  const int n = sh.group_size;
  const u64 S = sh.bytes;
  const CollectiveKind kind = sh.kind;
  switch (sh.algorithm) {
    case CollectiveAlgorithm::Ring:
      if (kind == CollectiveKind::Broadcast || kind == CollectiveKind::Reduce) chain_step(kind, n, S, sh.root, sh.chunks, p, s, pl);
      else ring_step(kind, n, S, p, s, pl);
      return;
    case CollectiveAlgorithm::Direct: direct_step(sh, n, S, p, s, pl); return;
    case CollectiveAlgorithm::Tree:
      if (kind == CollectiveKind::AllReduce) tree_all_reduce_step(n, S, sh.chunks, D0, D1, p, s, pl);
      else tree_rooted_step(kind, n, S, sh.root, sh.chunks, D0, p, s, pl);
      return;
    case CollectiveAlgorithm::HalvingDoubling: make_hd(kind, n, S).step(p, s, pl); return;
    case CollectiveAlgorithm::Nvls: nvls_step(kind, n, S, p, pl); return;
    default: return;
  }
}

void tree_depths(const CollectiveShape& sh, int* D0, int* D1) {
  *D0 = *D1 = 0;
  if (sh.algorithm != CollectiveAlgorithm::Tree || sh.group_size < 2) return;
  if (sh.kind == CollectiveKind::AllReduce) {
    *D0 = double_tree_max_depth(sh.group_size, 0);
    *D1 = double_tree_max_depth(sh.group_size, 1);
  } else {
    *D0 = btree_max_depth(sh.group_size);
  }
}

// The view piece a hierarchical collective's rail of local index l works on: the one the
// intra-domain reduce-scatter left it (all-reduce, reduce-scatter) or its own (all-gather).
int rail_piece(const CollectiveShape& sh, int l) {
  return sh.kind == CollectiveKind::AllGather ? l : reduce_scatter_owned_chunk(sh.intra, sh.domain_size, l);
}

// The shape of a hierarchical collective's rail for local index l: the all-reduce of the owned
// chunk, or the all-gather / reduce-scatter of the view piece (view_to_real) among d ranks.
CollectiveShape rail_shape(const CollectiveShape& sh, int l) {
  const int g = sh.domain_size;
  CollectiveShape r = make_shape(sh.kind, sh.inter, sh.group_size / g, pc(sh.bytes, g, rail_piece(sh, l)));
  r.chunks = sh.chunks;
  return r;
}

// The intra-domain part of a hierarchical collective over g ranks: the all-reduce whose two
// halves are phases 1 and 3 (all-reduce), or the all-gather / reduce-scatter of the view.
CollectiveShape intra_shape(const CollectiveShape& sh) {
  return make_shape(sh.kind, sh.intra, sh.domain_size, sh.bytes);
}

// Depth-first search for edge-disjoint directed Hamiltonian cycles (mesh_rings).
class RingSearch {
public:
  RingSearch(int n, int count) : n_(n), count_(count), used_(static_cast<std::size_t>(n) * n, 0) {}
  std::vector<std::vector<int>> run() {
    for (int want = count_; want >= 1; --want) {
      budget_ = kBudget;
      cycles_.clear();
      std::fill(used_.begin(), used_.end(), 0);
      if (place(0, want)) return cycles_;
    }
    return {};
  }

private:
  static constexpr long kBudget = 400000;  // search nodes per attempt: ~ms; n = 8 needs < 1,000
  bool place(int k, int want) {
    if (k == want) return true;
    std::vector<int> path = {0};
    std::vector<char> seen(static_cast<std::size_t>(n_), 0);
    seen[0] = 1;
    return extend(k, want, path, seen);
  }
  // Successors are tried in the order u+1+k, u+2+k, ... (mod n, skipping u): cycle 0 is the
  // plain ring 0, 1, ..., n-1, and later cycles start from other strides.
  bool extend(int k, int want, std::vector<int>& path, std::vector<char>& seen) {
    if (--budget_ < 0) return false;
    const int u = path.back();
    if (static_cast<int>(path.size()) == n_) {
      if (used_[idx(u, 0)]) return false;
      mark(path, 1);
      cycles_.push_back(path);
      if (place(k + 1, want)) return true;
      cycles_.pop_back();
      mark(path, 0);
      return false;
    }
    for (int d = 0; d < n_ - 1; ++d) {
      const int v = (u + 1 + (d + k) % (n_ - 1)) % n_;
      if (seen[static_cast<std::size_t>(v)] || used_[idx(u, v)]) continue;
      path.push_back(v);
      seen[static_cast<std::size_t>(v)] = 1;
      if (extend(k, want, path, seen)) return true;
      seen[static_cast<std::size_t>(v)] = 0;
      path.pop_back();
      if (budget_ < 0) return false;
    }
    return false;
  }
  std::size_t idx(int u, int v) const { return static_cast<std::size_t>(u) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(v); }
  void mark(const std::vector<int>& cyc, char on) {
    for (std::size_t i = 0; i < cyc.size(); ++i) used_[idx(cyc[i], cyc[(i + 1) % cyc.size()])] = on;
  }
  int n_;
  int count_;
  long budget_ = 0;
  std::vector<char> used_;
  std::vector<std::vector<int>> cycles_;
};

}  // namespace

std::vector<std::vector<int>> mesh_rings(int n, int count) {
  if (n < 2 || count < 1) return {};
  std::vector<int> plain(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) plain[static_cast<std::size_t>(i)] = i;
  if (count == 1 || n == 2) return {plain};
  auto rings = RingSearch(n, std::min(count, n - 1)).run();
  if (rings.empty()) rings.push_back(plain);
  return rings;
}

// ---- the schedule --------------------------------------------------------------------------------

CollectiveSchedule::CollectiveSchedule(CollectiveShape shape) : shape_(std::move(shape)) {
  const CollectiveShape& sh = shape_;
  const int n = sh.group_size;
  const std::string what = to_string(sh.kind) + " " + to_string(sh.algorithm);
  if (n < 1) throw Error(fmt::format("{}: a collective needs a group of at least 1 rank, got {}", what, n));
  if (sh.algorithm == CollectiveAlgorithm::Auto)
    throw Error(fmt::format("{}: the algorithm 'auto' must be resolved before a schedule is built", what));
  if (!supports(sh.kind, sh.algorithm))
    throw Error(fmt::format("{} has no {} algorithm (algorithms of {}: {})", to_string(sh.kind), to_string(sh.algorithm),
                            to_string(sh.kind), algorithm_list(sh.kind)));
  if (sh.chunks < 1) throw Error(fmt::format("{}: chunks must be >= 1, got {}", what, sh.chunks));
  if ((sh.kind == CollectiveKind::Broadcast || sh.kind == CollectiveKind::Reduce) && (sh.root < 0 || sh.root >= n))
    throw Error(fmt::format("{}: root {} is not a position of the group (0..{})", what, sh.root, n - 1));
  if (!sh.counts.empty()) {
    if (sh.kind != CollectiveKind::AllToAll)
      throw Error(fmt::format("{}: counts are only for all_to_all(v)", what));
    const auto want = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    if (sh.counts.size() != want)
      throw Error(fmt::format("{}: counts has {} entries, a group of {} needs n*n = {}", what, sh.counts.size(), n, want));
  }
  if (sh.domain_size < 0) throw Error(fmt::format("{}: domain_size must be >= 0, got {}", what, sh.domain_size));
  if (n == 1) return;  // nothing to exchange, whatever the algorithm
  const int g = sh.domain_size;
  if (sh.algorithm == CollectiveAlgorithm::Nvls && g != 0 && g < n)
    throw Error(fmt::format("{}: nvls reduces inside one scale-up switch, but the group of {} spans {} domains of {}",
                            what, n, (n + g - 1) / g, g));
  if (sh.algorithm == CollectiveAlgorithm::Hierarchical) {
    if (g <= 1 || g >= n || n % g != 0)
      throw Error(fmt::format("{}: needs domains of size g with 1 < g < n and n % g == 0; got n = {}, domain_size = {}",
                              what, n, g));
    using A = CollectiveAlgorithm;
    const bool ar = sh.kind == CollectiveKind::AllReduce;
    const bool nvls_ok = !ar && sh.intra == A::Nvls;
    if (sh.intra != A::Ring && sh.intra != A::Direct && !nvls_ok)
      throw Error(fmt::format("{}: intra must be ring or direct{}, got {}", what, ar ? "" : " or nvls", to_string(sh.intra)));
    if (sh.inter != A::Ring && sh.inter != A::HalvingDoubling && (sh.inter != A::Tree || !ar))
      throw Error(fmt::format("{}: inter must be ring{} or halving_doubling, got {}", what, ar ? ", tree" : "",
                              to_string(sh.inter)));
    // Step counts depend on the group sizes only, not on the bytes, so they are the same for
    // every local index and the phases line up across ranks without padding.
    phase1_ = ar ? (sh.intra == A::Ring ? g - 1 : 1) : CollectiveSchedule(intra_shape(sh)).num_steps();
    phase2_ = CollectiveSchedule(rail_shape(sh, 0)).num_steps();
    steps_ = (ar ? 2 * phase1_ : phase1_) + phase2_;
    return;
  }
  if (sh.channels < 1) throw Error(fmt::format("{}: channels must be >= 1, got {}", what, sh.channels));
  if (sh.channels > 1) {
    const bool ring_kind = sh.kind == CollectiveKind::AllReduce || sh.kind == CollectiveKind::AllGather ||
                           sh.kind == CollectiveKind::ReduceScatter;
    if (sh.algorithm != CollectiveAlgorithm::Ring || !ring_kind || (g != 0 && g < n))
      throw Error(fmt::format("{}: channels are for a ring all-reduce, all-gather or reduce-scatter inside one domain", what));
    const auto rings = mesh_rings(n, sh.channels);
    if (static_cast<int>(rings.size()) != sh.channels)
      throw Error(fmt::format("{}: {} edge-disjoint rings over {} positions were asked for, {} found", what, sh.channels, n,
                              rings.size()));
    ring_order_.resize(static_cast<std::size_t>(sh.channels) * static_cast<std::size_t>(n));
    ring_index_.resize(ring_order_.size());
    for (int c = 0; c < sh.channels; ++c)
      for (int i = 0; i < n; ++i) {
        const int pos = rings[static_cast<std::size_t>(c)][static_cast<std::size_t>(i)];
        ring_order_[static_cast<std::size_t>(c * n + i)] = pos;
        ring_index_[static_cast<std::size_t>(c * n + pos)] = i;
      }
  }
  tree_depths(sh, &depth0_, &depth1_);
  steps_ = plain_num_steps(sh, depth0_, depth1_);
}

StepWork CollectiveSchedule::step(int p, int s) const {
  StepWork pl;
  step_into(p, s, pl);
  return pl;
}

void CollectiveSchedule::step_into(int p, int s, StepWork& pl) const {
  pl.sends.clear();
  pl.recvs.clear();
  pl.reduce_bytes = 0;
  const CollectiveShape& sh = shape_;
  if (p < 0 || p >= sh.group_size || s < 0 || s >= steps_)
    throw Error(fmt::format("internal error: step {} of position {} asked of a collective with {} steps over {} ranks", s,
                            p, steps_, sh.group_size));
  if (sh.channels > 1 && sh.kind != CollectiveKind::AllReduce) {
    channel_rings_step(p, s, pl);
    return;
  }
  if (sh.channels > 1) {  // one ring per channel over its part of the buffer, in that ring's order
    const int n = sh.group_size;
    for (int c = 0; c < sh.channels; ++c) {
      StepWork sub;
      ring_step(sh.kind, n, pc(sh.bytes, sh.channels, c), ring_index_[static_cast<std::size_t>(c * n + p)], s, sub);
      const u64 base = po(sh.bytes, sh.channels, c);
      for (auto t : sub.sends) {
        t.peer = ring_order_[static_cast<std::size_t>(c * n + t.peer)];
        t.offset += base;
        pl.sends.push_back(t);
      }
      for (auto t : sub.recvs) {
        t.peer = ring_order_[static_cast<std::size_t>(c * n + t.peer)];
        t.offset += base;
        pl.recvs.push_back(t);
      }
      pl.reduce_bytes += sub.reduce_bytes;
    }
    return;
  }
  if (sh.algorithm != CollectiveAlgorithm::Hierarchical) {
    plain_step(sh, depth0_, depth1_, p, s, pl);
    return;
  }
  const int g = sh.domain_size;
  const int l = p % g;
  const int dom = p / g;
  if (sh.kind != CollectiveKind::AllReduce) {
    hierarchical_view_step(p, s, pl);
    return;
  }
  if (s < phase1_ || s >= phase1_ + phase2_) {
    // Phases 1 and 3: the two halves of the intra-domain all-reduce over the whole buffer.
    CollectiveShape in = make_shape(CollectiveKind::AllReduce, sh.intra, g, sh.bytes);
    StepWork sub;
    plain_step(in, 0, 0, l, s < phase1_ ? s : s - phase2_, sub);
    append_mapped(sub, dom * g, 1, 0, pl);
    return;
  }
  // Phase 2: the rail all-reduce of the chunk this local index owns.
  const CollectiveSchedule rail(rail_shape(sh, l));
  const int own = reduce_scatter_owned_chunk(sh.intra, g, l);
  append_mapped(rail.step(dom, s - phase1_), l, g, po(sh.bytes, g, own), pl);
  return;
}

// All-gather / reduce-scatter over `channels` rings: ring c runs the plain ring's chunk order
// in its own order of positions, on sub-piece c of every piece. Its chunk index j is relabelled
// to a piece so that position p sends its own piece first (all-gather: j -> the position at
// index j) and ends owning piece (p+1) mod n, as the plain ring (reduce-scatter: j -> 1 + the
// position at index j-1); ring 0, the plain ring, keeps j.
void CollectiveSchedule::channel_rings_step(int p, int s, StepWork& pl) const {
  const CollectiveShape& sh = shape_;
  const int n = sh.group_size;
  const int C = sh.channels;
  const u64 S = sh.bytes;
  for (int c = 0; c < C; ++c) {
    auto at = [&](int i) { return ring_order_[static_cast<std::size_t>(c * n + mod(i, n))]; };
    auto piece_of = [&](int j) { return sh.kind == CollectiveKind::AllGather ? at(j) : mod(at(j - 1) + 1, n); };
    const int i = ring_index_[static_cast<std::size_t>(c * n + p)];
    int js = 0;
    int jr = 0;
    const bool reduce = ring_chunks(sh.kind, n, i, s, &js, &jr);
    const int ps = piece_of(js);
    const int pr = piece_of(jr);
    add_send(pl, at(i + 1), pc(pc(S, n, ps), C, c), po(S, n, ps) + po(pc(S, n, ps), C, c));
    add_recv(pl, at(i - 1), pc(pc(S, n, pr), C, c), po(S, n, pr) + po(pc(S, n, pr), C, c), reduce);
  }
}

// Hierarchical all-gather: the rail all-gather of the own view piece (phase2_ steps), then the
// all-gather of the view inside the domain (phase1_ steps). Reduce-scatter: the view's
// reduce-scatter inside the domain, then the rail reduce-scatter of the view piece it left.
void CollectiveSchedule::hierarchical_view_step(int p, int s, StepWork& pl) const {
  const CollectiveShape& sh = shape_;
  const int g = sh.domain_size;
  const int d = sh.group_size / g;
  const int l = p % g;
  const int dom = p / g;
  const bool ag = sh.kind == CollectiveKind::AllGather;
  const int rail_first = ag ? 0 : phase1_;
  if (s >= rail_first && s < rail_first + phase2_) {
    const CollectiveSchedule rail(rail_shape(sh, l));
    append_view(rail.step(dom, s - rail_first), l, g, po(sh.bytes, g, rail_piece(sh, l)), sh.bytes, g, d, pl);
    return;
  }
  StepWork sub;
  plain_step(intra_shape(sh), 0, 0, l, ag ? s - phase2_ : s, sub);
  append_view(sub, dom * g, 1, 0, sh.bytes, g, d, pl);
}

// ---- closed forms --------------------------------------------------------------------------------
//
// Engine semantics (collective.hpp): a step costs alpha of its level plus the longest transfer
// time of the slowest rank. With bytes on the wire x/f (f = bandwidth_fraction), a rank's step
// at a level of per-GPU bandwidth B costs
//   switched:   max(sum of sends, sum of receives) / (f B)        (its port is shared)
//   full mesh:  max over peers of the bytes to or from it / (f B / (g-1))   (one link per peer)
//   switch:     max(sum to switch, sum from switch) / (f min(B, B_nvls))
// A rank's step is at the inter level when one of its transfers has a peer in another domain.

namespace {

struct Lvl {
  double alpha = 0.0;
  double bw = 0.0;  // B * f
  int mesh_peers = 1;
  bool mesh = false;
  // Transfer time of a rank's step: sums per direction, and the largest per-peer volume.
  [[nodiscard]] double xfer(double send_sum, double recv_sum, double max_peer) const {
    if (mesh) return max_peer / (bw / std::max(1, mesh_peers));
    return std::max(send_sum, recv_sum) / bw;
  }
  [[nodiscard]] double step(double send_sum, double recv_sum, double max_peer) const {
    return alpha + xfer(send_sum, recv_sum, max_peer);
  }
};

struct Ctx {
  Lvl intra;
  Lvl inter;
  int n = 1;
  int g = 0;  // domain size; one domain when g == 0 or g >= n
  double nvls_bw = 0.0;
  double fraction = 1.0;
  [[nodiscard]] bool one_domain() const { return g <= 0 || g >= n; }
  [[nodiscard]] bool cross(int a, int b) const { return !one_domain() && a / g != b / g; }
  [[nodiscard]] const Lvl& level(bool crossing) const { return crossing ? inter : intra; }
};

// A symmetric step whose ranks are at the intra level, the inter level, or both (some ranks
// cross domains, some do not): the slowest of the levels present.
double sym_step(const Ctx& c, bool intra_present, bool inter_present, double snd, double rcv, double peer) {
  double t = 0.0;
  if (intra_present) t = std::max(t, c.intra.step(snd, rcv, peer));
  if (inter_present) t = std::max(t, c.inter.step(snd, rcv, peer));
  return t;
}

// Ring AG / RS (m = n-1 steps) and AR (m = 2(n-1)): every step every rank sends one chunk of
// S/n to its successor and receives one: m (alpha + S/(nB)). Across domains a rank is at the
// inter level when its predecessor or successor is in another domain; ranks with both
// neighbours at home exist when g >= 3.
// With C channels (all-reduce in one domain), each step sends C pieces of S/(nC), one to each
// channel's successor, all distinct peers: S/n in all, S/(nC) to any one peer.
double ring_time(const Ctx& c, CollectiveKind kind, double S, int channels = 1) {
  const int n = c.n;
  const int m = kind == CollectiveKind::AllReduce ? 2 * (n - 1) : n - 1;
  const double chunk = S / n;
  const bool intra = c.one_domain() || c.g >= 3;
  return m * sym_step(c, intra, !c.one_domain(), chunk, chunk, chunk / channels);
}

// Direct AG / RS: one step in which every rank sends n-1 chunks of S/n and receives n-1:
// alpha + (n-1) S/(nB) switched, alpha + S/(nB/(g-1)) on a full mesh. AR: two such steps.
// All-to-all: the same with the send buffer's chunks; all-to-all(v): the slowest rank's sums.
double direct_time(const Ctx& c, const CollectiveShape& sh, double S) {
  const int n = c.n;
  const bool one = c.one_domain();
  if (sh.kind == CollectiveKind::AllToAll && !sh.counts.empty()) {
    double worst = 0.0;
    const auto un = static_cast<std::size_t>(n);
    for (int p = 0; p < n; ++p) {
      double snd = 0.0;
      double rcv = 0.0;
      double peer = 0.0;
      bool any = false;
      bool crossing = false;
      for (int q = 0; q < n; ++q) {
        if (q == p) continue;
        const auto a = static_cast<double>(sh.counts[static_cast<std::size_t>(p) * un + static_cast<std::size_t>(q)]);
        const auto b = static_cast<double>(sh.counts[static_cast<std::size_t>(q) * un + static_cast<std::size_t>(p)]);
        snd += a;
        rcv += b;
        peer = std::max({peer, a, b});
        if (a > 0 || b > 0) {
          any = true;
          crossing = crossing || c.cross(p, q);
        }
      }
      if (any) worst = std::max(worst, c.level(crossing).step(snd, rcv, peer));
    }
    return worst;
  }
  if (sh.kind == CollectiveKind::Broadcast || sh.kind == CollectiveKind::Reduce) {
    // The root sends (receives) S to (from) each of the n-1 others: (n-1) S/B switched, S per
    // link on a mesh; every other rank moves S once. The root's step is at the inter level
    // when there is another domain; the others' when they are not in the root's domain.
    const int root = sh.root;
    double t = c.level(!one).step((n - 1) * S, (n - 1) * S, S);
    bool home = false;
    bool away = false;
    for (int q = 0; q < n; ++q)
      if (q != root) (c.cross(root, q) ? away : home) = true;
    return std::max(t, sym_step(c, home, away, S, S, S));
  }
  const double chunk = S / n;
  const double one_step = c.level(!one).step((n - 1) * chunk, (n - 1) * chunk, chunk);
  return sh.kind == CollectiveKind::AllReduce ? 2 * one_step : one_step;
}

// Ring broadcast / reduce (a chain of n ranks, k slices): slice j crosses edge e at step
// e-1+j (broadcast), so n-1 edges and k slices take n-2+k steps; every active rank moves one
// slice of S/k each way per step: (n-2+k)(alpha + S/(kB)). Across domains, a step is charged
// the slowest level among its active ranks.
double chain_time(const Ctx& c, const CollectiveShape& sh, double S) {
  const int n = c.n;
  const int k = sh.chunks;
  const double slice = S / k;
  const int steps = n - 2 + k;
  if (c.one_domain()) return steps * c.intra.step(slice, slice, slice);
  const bool bc = sh.kind == CollectiveKind::Broadcast;
  auto pos = [&](int d) { return (sh.root + d) % n; };
  double total = 0.0;
  for (int s = 0; s < steps; ++s) {
    double worst = 0.0;
    // Edge e joins distances e-1 and e; it is active at step s when its slice index is in [0,k).
    auto edge_active = [&](int e) {
      if (e < 1 || e > n - 1) return false;
      const int j = bc ? s - (e - 1) : s - (n - 1 - e);
      return j >= 0 && j < k;
    };
    const int lo = bc ? std::max(0, s - k + 1) : std::max(0, n - 2 - s);
    const int hi = bc ? std::min(n - 1, s + 1) : std::min(n - 1, n - s + k - 2);
    for (int d = lo; d <= hi; ++d) {  // rank at distance d: edges d (towards the root) and d+1
      const bool a = edge_active(d);
      const bool b = edge_active(d + 1);
      if (!a && !b) continue;
      const bool crossing = (a && c.cross(pos(d - 1), pos(d))) || (b && c.cross(pos(d), pos(d + 1)));
      worst = std::max(worst, c.level(crossing).step(slice, slice, slice));  // one slice each way
    }
    total += worst;
  }
  return total;
}

// Trees: the critical path, taken exactly. Every rank's step in a tree schedule depends only
// on its role (depth and number of children in each tree, and which of its edges cross
// domains), so the distinct roles are collected once (O(n log^2 n)) and each step is charged
// its slowest role: alpha + (slices sent, slices received) at the role's level. In the
// all-reduce a rank is interior in at most one tree, so it receives at most 2 slices and sends
// at most 2 per step (one to each parent); in broadcast / reduce a node with two children sends
// (receives) 2 slices per step. docs/collectives.md gives the resulting counts: in the steady
// state 2 slices of S/(2k) per step for the all-reduce, i.e. 2(D+k-1)(alpha + S/(kB)).
double tree_time(const Ctx& c, const CollectiveShape& sh, double S) {
  const int n = c.n;
  const int k = sh.chunks;
  const bool ar = sh.kind == CollectiveKind::AllReduce;
  const int trees = ar ? 2 : 1;
  std::array<int, 2> D{0, 0};
  if (ar) D = {double_tree_max_depth(n, 0), double_tree_max_depth(n, 1)};
  else D[0] = btree_max_depth(n);
  const double slice = ar ? S / 2.0 / k : S / k;
  // role: per tree depth, has parent, children, up edge crosses, some child edge crosses
  using Role = std::array<int, 10>;
  std::set<Role> roles;
  for (int p = 0; p < n; ++p) {
    Role r{};
    for (int T = 0; T < trees; ++T) {
      const TreeNode t = ar ? double_tree_node(n, T, p) : rooted_node(n, sh.root, p);
      const int dep = ar ? double_tree_depth(n, T, p) : btree_depth(n, mod(p - sh.root, n));
      int nch = 0;
      bool down_cross = false;
      for (const int ch : t.child)
        if (ch >= 0) {
          ++nch;
          down_cross = down_cross || c.cross(p, ch);
        }
      r[static_cast<std::size_t>(5 * T)] = dep;
      r[static_cast<std::size_t>(5 * T + 1)] = t.parent >= 0 ? 1 : 0;
      r[static_cast<std::size_t>(5 * T + 2)] = nch;
      r[static_cast<std::size_t>(5 * T + 3)] = t.parent >= 0 && c.cross(p, t.parent) ? 1 : 0;
      r[static_cast<std::size_t>(5 * T + 4)] = down_cross ? 1 : 0;
    }
    roles.insert(r);
  }
  const int P = std::max(D[0], D[1]) + k - 1;
  const int steps = ar ? 2 * P : D[0] + k - 1;
  const bool up_only = !ar && sh.kind == CollectiveKind::Reduce;
  double total = 0.0;
  for (int s = 0; s < steps; ++s) {
    const bool up = up_only || (ar && s < P);
    const int t = ar && !up ? s - P : s;
    double worst = 0.0;
    for (const Role& r : roles) {
      int ns = 0;
      int nr = 0;
      bool crossing = false;
      for (int T = 0; T < trees; ++T) {
        const auto b = static_cast<std::size_t>(5 * T);
        const int dep = r[b];
        const bool parent = r[b + 1] != 0;
        const int nch = r[b + 2];
        auto in = [k](int j) { return j >= 0 && j < k; };
        bool to_parent = false;
        bool to_children = false;
        if (up) {
          to_parent = parent && in(t - (D[static_cast<std::size_t>(T)] - dep));
          to_children = nch > 0 && in(t - (D[static_cast<std::size_t>(T)] - dep) + 1);
          ns += to_parent ? 1 : 0;
          nr += to_children ? nch : 0;
        } else {
          to_children = nch > 0 && in(t - dep);
          to_parent = parent && in(t - dep + 1);
          ns += to_children ? nch : 0;
          nr += to_parent ? 1 : 0;
        }
        crossing = crossing || (to_parent && r[b + 3] != 0) || (to_children && r[b + 4] != 0);
      }
      if (ns + nr > 0) worst = std::max(worst, c.level(crossing).step(ns * slice, nr * slice, slice));
    }
    total += worst;
  }
  return total;
}

// Halving-doubling, n' = 2^L <= n, r = n - n'.
//  All-reduce (blocks of S/n'): the halving step at distance d moves d blocks each way, and so
//  does the doubling step; sum over d = n'/2 ... 1 of d S/n' = (n'-1)/n' S per phase:
//  2 L alpha + 2 (n'-1)/n' S/B.
//  Reduce-scatter / all-gather (pieces of S/n, active rank v holding pieces v and n'+v when
//  v < r): the step at distance d moves d blocks, the heaviest half [0, d) holding d + min(d, r)
//  pieces: sum of alpha + (d + min(d, r)) S/(nB). For r = 0 this is L alpha + (n-1)/n S/B.
//  Non-powers of two add a fold step (S, or S/n for all-gather) and an unfold step (S, or S/n
//  for reduce-scatter), each alpha + bytes/B.
// Across domains, a step is at the inter level for ranks whose partner is in another domain.
double hd_time(const Ctx& c, CollectiveKind kind, double S) {
  const int n = c.n;
  const int np = floor_pow2(n);
  const int r = n - np;
  auto fold_present = [&](bool* home, bool* away) {
    *home = *away = false;
    for (int i = 0; i < r; ++i) (c.cross(i, np + i) ? *away : *home) = true;
  };
  double total = 0.0;
  bool home = false;
  bool away = false;
  const bool ar = kind == CollectiveKind::AllReduce;
  // The step at distance d, rank by rank (the blocks a rank moves depend on whether they hold
  // extra pieces, and its level on whether its partner is in another domain).
  const int blocks = ar ? np : n;
  const double unit = S / blocks;
  auto weight = [&](int a, int b) { return (b - a) + (ar ? 0 : std::max(0, std::min(b, r) - a)); };
  auto phase = [&](int d, bool halving) {
    double worst = 0.0;
    for (int v = 0; v < np; ++v) {
      const int partner = v ^ d;
      int snd = 0;
      int rcv = 0;
      if (halving) {
        const int base = v & ~(2 * d - 1);
        const bool low = (v & d) == 0;
        snd = weight(low ? base + d : base, (low ? base + d : base) + d);
        rcv = weight(low ? base : base + d, (low ? base : base + d) + d);
      } else {
        const int mine = v & ~(d - 1);
        const int theirs = partner & ~(d - 1);
        snd = weight(mine, mine + d);
        rcv = weight(theirs, theirs + d);
      }
      worst = std::max(worst, c.level(c.cross(v, partner)).step(snd * unit, rcv * unit, std::max(snd, rcv) * unit));
    }
    total += worst;
  };
  if (kind != CollectiveKind::AllGather)
    for (int d = np / 2; d >= 1; d /= 2) phase(d, true);
  if (kind != CollectiveKind::ReduceScatter)
    for (int d = 1; d < np; d *= 2) phase(d, false);
  if (r > 0) {
    fold_present(&home, &away);
    const double fold = kind == CollectiveKind::AllGather ? S / n : S;
    const double unfold = kind == CollectiveKind::ReduceScatter ? S / n : S;
    total += sym_step(c, home, away, fold, fold, fold) + sym_step(c, home, away, unfold, unfold, unfold);
  }
  return total;
}

double plain_time(const Ctx& c, const CollectiveShape& sh, double S);

// Hierarchical all-gather / reduce-scatter: the rail collective among the d = n/g ranks of
// equal local index, of a view piece of S/g bytes (every transfer at the inter level, d pieces
// of S/n), and the intra-domain collective over g ranks and S bytes:
//   T = X_inter(d, S/g) + X_intra(g, S),   e.g. ring/ring (d-1)(alpha_e + S/(nB_e)) + (g-1)(alpha_i + S/(gB_i)).
double hierarchical_view_time(const Ctx& c, const CollectiveShape& sh, double S) {
  const int g = sh.domain_size;
  const int d = c.n / g;
  Ctx in = c;
  in.n = g;
  in.g = 0;
  in.intra.mesh_peers = g - 1;
  const double intra = plain_time(in, make_shape(sh.kind, sh.intra, g, sh.bytes), S);
  Ctx rail = c;
  rail.n = d;
  rail.g = 0;
  rail.intra = c.inter;
  rail.intra.mesh_peers = d - 1;
  return intra + plain_time(rail, make_shape(sh.kind, sh.inter, d, sh.bytes / static_cast<u64>(g)), S / g);
}

// Hierarchical: phase 1 is the intra-domain reduce-scatter over g ranks (ring: (g-1)(alpha +
// S/(gB)); direct: alpha + (g-1) S/(gB)), phase 3 the matching all-gather, and phase 2 the
// all-reduce of S/g bytes among the d = n/g ranks of a rail, every transfer of it at the inter
// level (a rail is one rank per domain).
double hierarchical_time(const Ctx& c, const CollectiveShape& sh, double S) {
  if (sh.kind != CollectiveKind::AllReduce) return hierarchical_view_time(c, sh, S);
  const int g = sh.domain_size;
  const int d = c.n / g;
  Ctx in = c;
  in.n = g;
  in.g = 0;
  in.intra.mesh_peers = g - 1;
  CollectiveShape intra = make_shape(CollectiveKind::ReduceScatter, sh.intra, g, sh.bytes);
  const double rs = plain_time(in, intra, S);
  intra.kind = CollectiveKind::AllGather;
  const double ag = plain_time(in, intra, S);
  Ctx rail = c;
  rail.n = d;
  rail.g = 0;
  rail.intra = c.inter;
  rail.intra.mesh_peers = d - 1;
  CollectiveShape rail_sh = make_shape(CollectiveKind::AllReduce, sh.inter, d, sh.bytes / static_cast<u64>(g));
  rail_sh.chunks = sh.chunks;
  return rs + plain_time(rail, rail_sh, S / g) + ag;
}

double plain_time(const Ctx& c, const CollectiveShape& sh, double S) {
  if (c.n <= 1) return 0.0;
  switch (sh.algorithm) {
    case CollectiveAlgorithm::Ring:
      if (sh.kind == CollectiveKind::Broadcast || sh.kind == CollectiveKind::Reduce) return chain_time(c, sh, S);
      return ring_time(c, sh.kind, S, sh.channels);
    case CollectiveAlgorithm::Direct: return direct_time(c, sh, S);
    case CollectiveAlgorithm::Tree: return tree_time(c, sh, S);
    case CollectiveAlgorithm::HalvingDoubling: return hd_time(c, sh.kind, S);
    case CollectiveAlgorithm::Hierarchical: return hierarchical_time(c, sh, S);
    case CollectiveAlgorithm::Nvls: {
      // One step: send to the switch and receive from it at once, at min(B, B_nvls) each way.
      //  all-reduce: S up, S down; reduce-scatter: S up, S/n down; all-gather: S/n up, S(n-1)/n down.
      const double bw = std::min(c.intra.bw, c.nvls_bw * c.fraction);
      const int n = c.n;
      double up = S;
      double down = S;
      if (sh.kind == CollectiveKind::ReduceScatter) down = S / n;
      if (sh.kind == CollectiveKind::AllGather) {
        up = S / n;
        down = S * (n - 1) / n;
      }
      return c.intra.alpha + std::max(up, down) / bw;
    }
    case CollectiveAlgorithm::Auto: break;
  }
  return 0.0;
}

}  // namespace

Seconds predict_time(const CollectiveShape& shape, const CollectiveCostParams& p) {
  const CollectiveSchedule check(shape);  // throws for an invalid shape
  std::string why;
  if (!algorithm_applies(shape, p, &why)) throw Error(fmt::format("cannot predict the time of {} {}: {}", to_string(shape.kind),
                                                                  to_string(shape.algorithm), why));
  const int n = shape.group_size;
  if (n <= 1) return Seconds(0.0);
  Ctx c;
  c.n = n;
  c.g = shape.domain_size;
  c.fraction = p.bandwidth_fraction;
  c.nvls_bw = p.nvls_bandwidth.value();
  const int g_eff = c.one_domain() ? n : c.g;
  c.intra = {p.intra.alpha.value(), p.intra.bandwidth.value() * p.bandwidth_fraction, g_eff - 1, p.intra.full_mesh};
  c.inter = {p.inter.alpha.value(), p.inter.bandwidth.value() * p.bandwidth_fraction, (n + g_eff - 1) / g_eff - 1,
             p.inter.full_mesh};
  return p.launch + Seconds(plain_time(c, shape, static_cast<double>(shape.bytes)));
}

bool algorithm_applies(const CollectiveShape& shape, const CollectiveCostParams& p, std::string* why) {
  auto no = [why](std::string w) {
    if (why != nullptr) *why = std::move(w);
    return false;
  };
  try {
    const CollectiveSchedule check(shape);
  } catch (const Error& e) {
    return no(e.what());
  }
  if (shape.algorithm == CollectiveAlgorithm::Nvls && shape.group_size > 1 && !(p.nvls_bandwidth.value() > 0.0))
    return no("nvls needs a switch that reduces (nvls_bandwidth > 0), and this fabric has none");
  if (shape.algorithm == CollectiveAlgorithm::Hierarchical && shape.intra == CollectiveAlgorithm::Nvls &&
      shape.group_size > 1 && !(p.nvls_bandwidth.value() > 0.0))
    return no("hierarchical with intra nvls needs a switch that reduces (nvls_bandwidth > 0), and this fabric has none");
  if (!(p.bandwidth_fraction > 0.0)) return no(fmt::format("bandwidth_fraction must be > 0, got {}", p.bandwidth_fraction));
  if (why != nullptr) why->clear();
  return true;
}

// ---- the plain alpha-beta forms ------------------------------------------------------------------

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
