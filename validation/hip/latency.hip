// Latency: pointer chase (load-to-use latency of the cache hierarchy and HBM) and kernel launch.
//
// Pointer chase: the footprint (1 MiB to 2 GiB, bounded by a quarter of the free memory) is cut
// into nodes of 128 bytes (one cache line on current NVIDIA and AMD GPUs); the nodes form one
// random cycle (Sattolo's algorithm, fixed seed) and each holds the index of the next. One thread
// follows the chain for `loads` dependent loads; value = time / loads (seconds per load). Small
// footprints sit in L2, middle ones in the last-level cache (MI300X Infinity Cache; on H100 L2 is
// the last level), large ones in HBM, where the random order also misses the TLB as real
// irregular accesses would. Warm-up runs precede the timed ones. Check: the index the chain
// ends on equals the host's walk of the same permutation.
//
// Launch: an empty kernel of one block. back_to_back: N launches between two device events
// (the rate the runtime can issue kernels; a short queue never drains). synchronized: each launch
// followed by a stream synchronisation, timed on the host clock (std::chrono::steady_clock) since
// the round trip includes the host; value = seconds per launch. Check: the same number of launches
// of a kernel that counts them leaves the count right.
#include "bench.hpp"

#include <chrono>
#include <numeric>

namespace rsb {
namespace {

constexpr size_t kStride = 128;  // bytes per node

__global__ void chase_kernel(const unsigned* __restrict__ words, unsigned start, long long loads, unsigned* result) {
  unsigned j = start;
  for (long long i = 0; i < loads; ++i) j = words[j];
  *result = j;
}

// words[node[i] * stride_words] = next[i] * stride_words: writes the cycle into the footprint.
__global__ void scatter_kernel(unsigned* words, const unsigned* __restrict__ next, size_t nodes, unsigned stride_words) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < nodes) words[i * stride_words] = next[i] * stride_words;
}

__global__ void empty_kernel() {}

__global__ void count_kernel(unsigned* counter) { *counter += 1; }

void chase_footprint(Context& ctx, size_t footprint, long long loads) {
  const size_t nodes = footprint / kStride;
  const unsigned stride_words = kStride / sizeof(unsigned);
  // Sattolo: a uniformly random single cycle over all nodes.
  std::vector<unsigned> next(nodes);
  std::iota(next.begin(), next.end(), 0u);
  uint64_t state = 0xc4a5e + footprint;
  for (size_t i = nodes - 1; i > 0; --i) {
    state = rs_hash(state);
    const size_t j = state % i;  // j < i
    std::swap(next[i], next[j]);
  }
  unsigned *words = nullptr, *d_next = nullptr, *result = nullptr;
  HIP_CHECK(hipMalloc(&words, footprint));
  HIP_CHECK(hipMalloc(&d_next, nodes * sizeof(unsigned)));
  HIP_CHECK(hipMalloc(&result, sizeof(unsigned)));
  HIP_CHECK(hipMemset(words, 0, footprint));
  HIP_CHECK(hipMemcpy(d_next, next.data(), nodes * sizeof(unsigned), hipMemcpyHostToDevice));
  scatter_kernel<<<static_cast<unsigned>((nodes + 255) / 256), 256>>>(words, d_next, nodes, stride_words);
  HIP_CHECK_LAUNCH();
  HIP_CHECK(hipDeviceSynchronize());
  HIP_CHECK(hipFree(d_next));

  const Stats st = time_on_stream(ctx.opt, nullptr, 1, [&] { chase_kernel<<<1, 1>>>(words, 0, loads, result); });

  unsigned got = 0;
  HIP_CHECK(hipMemcpy(&got, result, sizeof got, hipMemcpyDeviceToHost));
  size_t node = 0;
  for (long long i = 0; i < loads; ++i) node = next[node];
  Check check;
  check.expect(got == node * stride_words, fmt("chain ended at word %u, expected %zu", got, node * stride_words));

  Record r;
  r.str("id", fmt("pointer_chase.%zu", footprint))
      .str("kind", "pointer_chase")
      .integer("footprint_bytes", static_cast<long long>(footprint))
      .integer("stride_bytes", static_cast<long long>(kStride))
      .integer("loads", loads);
  add_timing(r, st).num("value", st.median_s / static_cast<double>(loads)).str("unit", "s").str("check", check.result());
  ctx.add_case(r);
  HIP_CHECK(hipFree(words));
  HIP_CHECK(hipFree(result));
}

}  // namespace

void run_pointer_chase(Context& ctx) {
  std::vector<size_t> footprints;
  if (ctx.opt.quick) footprints = {size_t{1} << 20, size_t{64} << 20, size_t{1} << 30};
  else
    for (size_t f = size_t{1} << 20; f <= (size_t{2} << 30); f *= 2) footprints.push_back(f);
  const long long loads = ctx.opt.quick ? (1 << 16) : (1 << 18);
  for (size_t f : footprints) {
    if (f > ctx.free_memory() / 4) {
      ctx.skip("pointer_chase", fmt("pointer_chase.%zu: more than a quarter of the free device memory", f));
      continue;
    }
    chase_footprint(ctx, f, loads);
  }
}

void run_launch(Context& ctx) {
  const int per_sample = ctx.opt.quick ? 200 : 1000;
  unsigned* counter = nullptr;
  HIP_CHECK(hipMalloc(&counter, sizeof(unsigned)));

  // Check: per_sample counting launches leave the count at per_sample.
  auto check_launches = [&]() {
    HIP_CHECK(hipMemset(counter, 0, sizeof(unsigned)));
    for (int i = 0; i < per_sample; ++i) count_kernel<<<1, 1>>>(counter);
    HIP_CHECK_LAUNCH();
    unsigned got = 0;
    HIP_CHECK(hipMemcpy(&got, counter, sizeof got, hipMemcpyDeviceToHost));
    Check c;
    c.expect(got == static_cast<unsigned>(per_sample), fmt("%d launches counted %u", per_sample, got));
    return c.result();
  };

  {
    const Stats st = time_on_stream(ctx.opt, nullptr, per_sample, [&] { empty_kernel<<<1, 64>>>(); });
    Record r;
    r.str("id", "launch.empty.back_to_back").str("kind", "launch").str("mode", "back_to_back");
    add_timing(r, st).num("value", st.median_s).str("unit", "s").str("check", check_launches());
    ctx.add_case(r);
  }
  {
    hipStream_t s;
    HIP_CHECK(hipStreamCreate(&s));
    auto sample = [&]() {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < per_sample; ++i) {
        empty_kernel<<<1, 64, 0, s>>>();
        HIP_CHECK(hipStreamSynchronize(s));
      }
      const auto t1 = std::chrono::steady_clock::now();
      HIP_CHECK_LAUNCH();
      return std::chrono::duration<double>(t1 - t0).count() / per_sample;
    };
    for (int w = 0; w < ctx.opt.warmup; ++w) sample();
    std::vector<double> t;
    for (int i = 0; i < ctx.opt.repeats; ++i) t.push_back(sample());
    HIP_CHECK(hipStreamDestroy(s));
    const Stats st = summarize(t);
    Record r;
    r.str("id", "launch.empty.synchronized").str("kind", "launch").str("mode", "synchronized");
    add_timing(r, st).num("value", st.median_s).str("unit", "s").str("check", check_launches());
    ctx.add_case(r);
  }
  HIP_CHECK(hipFree(counter));
}

}  // namespace rsb
