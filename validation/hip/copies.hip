// Copies: host <-> device (pageable and pinned host memory), peer copies between GPUs, and a ring
// all-reduce over peer links.
//
// memcpy: h2d and d2h of 64 KiB to 1 GiB, from/to pinned (hipHostMalloc) and pageable (new[])
// host memory; device events around hipMemcpyAsync (pinned) or hipMemcpy (pageable, which the
// runtime stages through its own pinned buffers); value = bytes / time. Check: the destination,
// zeroed first, holds the source's hash words at 4096 sampled places.
//
// peer_copy (>= 2 GPUs): for every ordered pair with peer access, hipMemcpyPeerAsync of 256 MiB
// (64 MiB with --quick) on the source GPU's stream, timed by its events. Pairs without peer access
// are skipped with that reason. Check as for memcpy.
//
// allreduce (>= 2 GPUs, all with peer access to their ring neighbours): a sum of fp32 buffers of
// `bytes` per GPU over the ring 0 -> 1 -> ... -> G-1 -> 0, as G-1 reduce-scatter steps then G-1
// all-gather steps on chunks of bytes/G; each step is a kernel on GPU d that reads its
// predecessor's chunk over the peer link (dst += src, then dst = src). Steps are ordered across
// GPUs with events: step s on GPU d waits for step s-1 on both ring neighbours. Time: after a host
// synchronisation of all GPUs, an event pair on each GPU brackets the whole operation; the time is
// the largest. value = bus bandwidth as nccl-tests defines it: (bytes / time) * 2(G-1)/G.
// Inputs are small integers (exact fp32 sums), re-filled before every run outside the timed
// region. Check: every GPU's buffer equals the sum of the inputs at sampled elements.
#include "bench.hpp"

#include <cmath>
#include <memory>

namespace rsb {
namespace {

__global__ void fill_words(uint64_t* x, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    x[i] = rs_hash2(seed, i) | 1u;  // never zero
}

// Small integers in [-8, 8]: sums of up to 2^20 of them are exact in fp32.
__host__ __device__ inline float ring_input(int device, size_t i) {
  return static_cast<float>(static_cast<int>(rs_hash2(1000 + device, i) % 17) - 8);
}

__global__ void fill_ring(float* x, size_t n, int device) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    x[i] = ring_input(device, i);
}

__global__ void add_from_peer(float* __restrict__ dst, const float* __restrict__ src, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] += src[i];
}

__global__ void copy_from_peer(float* __restrict__ dst, const float* __restrict__ src, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

// Checks `dev` (device memory of n words) against the hash words of `seed`.
std::string check_words(const uint64_t* dev, size_t n, uint64_t seed) {
  const std::vector<size_t> idx = sample_indices(n, 4096, seed + 7);
  const std::vector<uint64_t> got = gather(dev, idx);
  Check c;
  for (size_t k = 0; k < idx.size(); ++k)
    c.expect(got[k] == (rs_hash2(seed, idx[k]) | 1u), fmt("word %zu = %#llx, expected %#llx", idx[k],
                                                          static_cast<unsigned long long>(got[k]),
                                                          static_cast<unsigned long long>(rs_hash2(seed, idx[k]) | 1u)));
  return c.result();
}

void enable_peer(int from, int to) {
  HIP_CHECK(hipSetDevice(from));
  const hipError_t e = hipDeviceEnablePeerAccess(to, 0);
  if (e == hipErrorPeerAccessAlreadyEnabled) (void)hipGetLastError();  // already enabled: fine; clear the last error
  else HIP_CHECK(e);
}

bool can_access(int from, int to) {
  int can = 0;
  HIP_CHECK(hipDeviceCanAccessPeer(&can, from, to));
  return can != 0;
}

void memcpy_case(Context& ctx, size_t bytes, bool pinned, bool h2d) {
  const size_t n = bytes / sizeof(uint64_t);
  const uint64_t seed = 41 + (pinned ? 1 : 0) + (h2d ? 2 : 0);
  uint64_t* host = nullptr;
  std::unique_ptr<uint64_t[]> pageable;
  if (pinned) HIP_CHECK(hipHostMalloc(&host, bytes, hipHostMallocDefault));
  else {
    pageable.reset(new uint64_t[n]);
    host = pageable.get();
  }
  uint64_t* dev = nullptr;
  HIP_CHECK(hipMalloc(&dev, bytes));
  if (h2d) {
    for (size_t i = 0; i < n; ++i) host[i] = rs_hash2(seed, i) | 1u;
    HIP_CHECK(hipMemset(dev, 0, bytes));
  } else {
    fill_words<<<1024, 256>>>(dev, n, seed);
    HIP_CHECK_LAUNCH();
    std::fill(host, host + n, uint64_t{0});
  }
  HIP_CHECK(hipDeviceSynchronize());

  const int inner = static_cast<int>(std::max<size_t>(1, std::min<size_t>(64, (size_t{64} << 20) / bytes)));
  const Stats st = time_on_stream(ctx.opt, nullptr, inner, [&] {
    if (pinned) {
      if (h2d) HIP_CHECK(hipMemcpyAsync(dev, host, bytes, hipMemcpyHostToDevice, nullptr));
      else HIP_CHECK(hipMemcpyAsync(host, dev, bytes, hipMemcpyDeviceToHost, nullptr));
    } else {
      if (h2d) HIP_CHECK(hipMemcpy(dev, host, bytes, hipMemcpyHostToDevice));
      else HIP_CHECK(hipMemcpy(host, dev, bytes, hipMemcpyDeviceToHost));
    }
  });
  HIP_CHECK(hipDeviceSynchronize());

  std::string check;
  if (h2d) check = check_words(dev, n, seed);
  else {
    Check c;
    for (size_t i : sample_indices(n, 4096, seed + 7))
      c.expect(host[i] == (rs_hash2(seed, i) | 1u), fmt("host word %zu wrong after d2h", i));
    check = c.result();
  }
  const char* dir = h2d ? "h2d" : "d2h";
  Record r;
  r.str("id", fmt("memcpy.%s.%s.%zu", dir, pinned ? "pinned" : "pageable", bytes))
      .str("kind", "memcpy")
      .str("direction", dir)
      .boolean("pinned", pinned)
      .num("bytes", static_cast<double>(bytes));
  add_timing(r, st).num("value", static_cast<double>(bytes) / st.median_s).str("unit", "B/s").str("check", check);
  ctx.add_case(r);
  HIP_CHECK(hipFree(dev));
  if (pinned) HIP_CHECK(hipHostFree(host));
}

void peer_case(Context& ctx, int src, int dst, size_t bytes) {
  const size_t n = bytes / sizeof(uint64_t);
  const uint64_t seed = 50 + static_cast<uint64_t>(src) * 64 + static_cast<uint64_t>(dst);
  enable_peer(src, dst);
  enable_peer(dst, src);
  uint64_t *a = nullptr, *b = nullptr;
  HIP_CHECK(hipSetDevice(dst));
  HIP_CHECK(hipMalloc(&b, bytes));
  HIP_CHECK(hipMemset(b, 0, bytes));
  HIP_CHECK(hipDeviceSynchronize());
  HIP_CHECK(hipSetDevice(src));
  HIP_CHECK(hipMalloc(&a, bytes));
  fill_words<<<1024, 256>>>(a, n, seed);
  HIP_CHECK_LAUNCH();
  HIP_CHECK(hipDeviceSynchronize());
  hipStream_t s;
  HIP_CHECK(hipStreamCreate(&s));
  const Stats st = time_on_stream(ctx.opt, s, 1, [&] { HIP_CHECK(hipMemcpyPeerAsync(b, dst, a, src, bytes, s)); });
  HIP_CHECK(hipStreamDestroy(s));
  HIP_CHECK(hipSetDevice(dst));
  const std::string check = check_words(b, n, seed);
  HIP_CHECK(hipFree(b));
  HIP_CHECK(hipSetDevice(src));
  HIP_CHECK(hipFree(a));

  Record r;
  r.str("id", fmt("peer_copy.%d-%d.%zu", src, dst, bytes))
      .str("kind", "peer_copy")
      .integer("src", src)
      .integer("dst", dst)
      .num("bytes", static_cast<double>(bytes));
  add_timing(r, st).num("value", static_cast<double>(bytes) / st.median_s).str("unit", "B/s").str("check", check);
  ctx.add_case(r);
}

void allreduce_case(Context& ctx, int g, size_t bytes) {
  const size_t n = bytes / sizeof(float);
  const size_t chunk = (n + g - 1) / g;
  auto chunk_begin = [&](int c) { return std::min(n, static_cast<size_t>(c) * chunk); };
  auto chunk_size = [&](int c) { return chunk_begin(c + 1) - chunk_begin(c); };
  auto mod = [g](int x) { return ((x % g) + g) % g; };

  std::vector<float*> buf(g);
  std::vector<hipStream_t> stream(g);
  std::vector<hipEvent_t> start(g), stop(g);
  const int steps = 2 * (g - 1);
  std::vector<std::vector<hipEvent_t>> done(steps, std::vector<hipEvent_t>(g));
  for (int d = 0; d < g; ++d) {
    HIP_CHECK(hipSetDevice(d));
    HIP_CHECK(hipMalloc(&buf[d], bytes));
    HIP_CHECK(hipStreamCreate(&stream[d]));
    HIP_CHECK(hipEventCreate(&start[d]));
    HIP_CHECK(hipEventCreate(&stop[d]));
    for (int s = 0; s < steps; ++s) HIP_CHECK(hipEventCreateWithFlags(&done[s][d], hipEventDisableTiming));
  }

  auto run_once = [&]() -> double {
    for (int d = 0; d < g; ++d) {
      HIP_CHECK(hipSetDevice(d));
      fill_ring<<<1024, 256, 0, stream[d]>>>(buf[d], n, d);
      HIP_CHECK_LAUNCH();
    }
    for (int d = 0; d < g; ++d) {
      HIP_CHECK(hipSetDevice(d));
      HIP_CHECK(hipDeviceSynchronize());
    }
    for (int d = 0; d < g; ++d) {
      HIP_CHECK(hipSetDevice(d));
      HIP_CHECK(hipEventRecord(start[d], stream[d]));
    }
    for (int s = 0; s < steps; ++s) {
      for (int d = 0; d < g; ++d) {
        const int prev = mod(d - 1), next = mod(d + 1);
        HIP_CHECK(hipSetDevice(d));
        if (s > 0) {
          HIP_CHECK(hipStreamWaitEvent(stream[d], done[s - 1][prev], 0));
          if (next != prev) HIP_CHECK(hipStreamWaitEvent(stream[d], done[s - 1][next], 0));
        }
        // Reduce-scatter step s: GPU d adds chunk (d-1-s) from its predecessor; all-gather step
        // t = s-(g-1): GPU d copies chunk (d-t) from its predecessor.
        const bool reduce = s < g - 1;
        const int c = reduce ? mod(d - 1 - s) : mod(d - (s - (g - 1)));
        const size_t off = chunk_begin(c), len = chunk_size(c);
        if (len > 0) {
          if (reduce) add_from_peer<<<1024, 256, 0, stream[d]>>>(buf[d] + off, buf[prev] + off, len);
          else copy_from_peer<<<1024, 256, 0, stream[d]>>>(buf[d] + off, buf[prev] + off, len);
          HIP_CHECK_LAUNCH();
        }
        HIP_CHECK(hipEventRecord(done[s][d], stream[d]));
      }
    }
    double worst = 0;
    for (int d = 0; d < g; ++d) {
      HIP_CHECK(hipSetDevice(d));
      HIP_CHECK(hipEventRecord(stop[d], stream[d]));
    }
    for (int d = 0; d < g; ++d) {
      HIP_CHECK(hipSetDevice(d));
      HIP_CHECK(hipEventSynchronize(stop[d]));
      float ms = 0;
      HIP_CHECK(hipEventElapsedTime(&ms, start[d], stop[d]));
      worst = std::max(worst, static_cast<double>(ms) * 1e-3);
    }
    return worst;
  };

  for (int w = 0; w < ctx.opt.warmup; ++w) run_once();
  std::vector<double> t;
  for (int r = 0; r < ctx.opt.repeats; ++r) t.push_back(run_once());
  const Stats st = summarize(t);

  Check check;
  const std::vector<size_t> idx = sample_indices(n, 2048, 0xa11);
  for (int d = 0; d < g; ++d) {
    HIP_CHECK(hipSetDevice(d));
    const std::vector<float> got = gather(buf[d], idx, stream[d]);
    for (size_t k = 0; k < idx.size(); ++k) {
      float want = 0;
      for (int e = 0; e < g; ++e) want += ring_input(e, idx[k]);
      check.expect(got[k] == want, fmt("GPU %d element %zu = %g, expected %g", d, idx[k], got[k], want));
    }
  }
  for (int d = 0; d < g; ++d) {
    HIP_CHECK(hipSetDevice(d));
    HIP_CHECK(hipFree(buf[d]));
    HIP_CHECK(hipStreamDestroy(stream[d]));
    HIP_CHECK(hipEventDestroy(start[d]));
    HIP_CHECK(hipEventDestroy(stop[d]));
    for (int s = 0; s < steps; ++s) HIP_CHECK(hipEventDestroy(done[s][d]));
  }

  const double algbw = static_cast<double>(bytes) / st.median_s;
  Record r;
  r.str("id", fmt("allreduce.ring.%d.%zu", g, bytes))
      .str("kind", "allreduce")
      .integer("gpus", g)
      .num("bytes", static_cast<double>(bytes));
  add_timing(r, st).num("value", algbw * 2.0 * (g - 1) / g).str("unit", "B/s").str("check", check.result());
  ctx.add_case(r);
}

}  // namespace

void run_memcpy(Context& ctx) {
  std::vector<size_t> sizes;
  if (ctx.opt.quick) sizes = {size_t{1} << 20, size_t{256} << 20};
  else sizes = {size_t{64} << 10, size_t{1} << 20, size_t{16} << 20, size_t{256} << 20, size_t{1} << 30};
  for (size_t b : sizes) {
    if (b > ctx.free_memory() / 4) {
      ctx.skip("memcpy", fmt("memcpy.*.%zu: more than a quarter of the free device memory", b));
      continue;
    }
    for (bool pinned : {true, false})
      for (bool h2d : {true, false}) memcpy_case(ctx, b, pinned, h2d);
  }
}

void run_peer_copy(Context& ctx) {
  if (ctx.device_count < 2) {
    ctx.skip("peer_copy", "one GPU");
    return;
  }
  const size_t bytes = ctx.opt.quick ? size_t{64} << 20 : size_t{256} << 20;
  for (int src = 0; src < ctx.device_count; ++src)
    for (int dst = 0; dst < ctx.device_count; ++dst) {
      if (src == dst) continue;
      if (!can_access(src, dst) || !can_access(dst, src)) {
        ctx.skip("peer_copy", fmt("peer_copy.%d-%d: no peer access between GPU %d and GPU %d", src, dst, src, dst));
        continue;
      }
      peer_case(ctx, src, dst, bytes);
    }
}

void run_allreduce(Context& ctx) {
  const int g = ctx.device_count;
  if (g < 2) {
    ctx.skip("allreduce", "one GPU");
    return;
  }
  for (int d = 0; d < g; ++d) {
    const int prev = (d + g - 1) % g;
    if (!can_access(d, prev)) {
      ctx.skip("allreduce", fmt("GPU %d has no peer access to GPU %d, its ring predecessor", d, prev));
      return;
    }
  }
  for (int d = 0; d < g; ++d) enable_peer(d, (d + g - 1) % g);
  std::vector<size_t> sizes;
  if (ctx.opt.quick) sizes = {size_t{64} << 20};
  else sizes = {size_t{16} << 20, size_t{256} << 20, size_t{1} << 30};
  for (size_t b : sizes) allreduce_case(ctx, g, b);
}

}  // namespace rsb
