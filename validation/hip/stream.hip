// STREAM-style memory bandwidth (fp64): copy c = a, scale b = s*c, add c = a + b, triad
// a = b + s*c, over array sizes from 256 KiB (cache-resident) to 4 GiB per array.
//
// Bytes per run count every array read and written once (copy and scale 2 arrays, add and triad
// 3), as McCalpin's STREAM does; flops are 0, n, n and 2n. Each op writes an array it does not
// read, so repeating it gives the same result: the arrays are filled once per case from the hash
// of bench.hpp and the output is checked at sampled elements against the same formula on the
// host (exact: one fp64 rounding, or fma on both sides for triad).
// Sizes are bounded so the three arrays fit in 60% of the free device memory.
#include "bench.hpp"

#include <cmath>

namespace rsb {
namespace {

constexpr double kScalar = 3.0;
constexpr uint64_t kSeedA = 11, kSeedB = 12, kSeedC = 13;

__global__ void fill_f64(double* __restrict__ x, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    x[i] = rs_pos_f64(seed, i);
}

__global__ void stream_copy(const double* __restrict__ a, double* __restrict__ c, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = a[i];
}
__global__ void stream_scale(const double* __restrict__ c, double* __restrict__ b, double s, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) b[i] = s * c[i];
}
__global__ void stream_add(const double* __restrict__ a, const double* __restrict__ b, double* __restrict__ c, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}
__global__ void stream_triad(const double* __restrict__ b, const double* __restrict__ c, double* __restrict__ a, double s,
                             size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) a[i] = fma(s, c[i], b[i]);
}

void fill(double* x, size_t n, uint64_t seed) {
  fill_f64<<<1024, 256>>>(x, n, seed);
  HIP_CHECK_LAUNCH();
}

void run_size(Context& ctx, size_t array_bytes) {
  const size_t n = array_bytes / sizeof(double);
  double *a = nullptr, *b = nullptr, *c = nullptr;
  HIP_CHECK(hipMalloc(&a, array_bytes));
  HIP_CHECK(hipMalloc(&b, array_bytes));
  HIP_CHECK(hipMalloc(&c, array_bytes));
  const unsigned block = 256;
  const unsigned grid = static_cast<unsigned>((n + block - 1) / block);
  // Kernels shorter than ~100 us are timed in batches (bench.hpp): about 64 MiB per sample.
  const int inner = static_cast<int>(std::max<size_t>(1, std::min<size_t>(256, (size_t{64} << 20) / array_bytes)));

  const char* ops[] = {"copy", "scale", "add", "triad"};
  for (const char* op : ops) {
    const std::string o = op;
    fill(a, n, kSeedA);
    fill(b, n, kSeedB);
    fill(c, n, kSeedC);
    HIP_CHECK(hipDeviceSynchronize());
    double* out = nullptr;
    size_t arrays = 0;
    double flops_per = 0;
    Stats st;
    if (o == "copy") {
      out = c, arrays = 2, flops_per = 0;
      st = time_on_stream(ctx.opt, nullptr, inner, [&] { stream_copy<<<grid, block>>>(a, c, n); });
    } else if (o == "scale") {
      out = b, arrays = 2, flops_per = 1;
      st = time_on_stream(ctx.opt, nullptr, inner, [&] { stream_scale<<<grid, block>>>(c, b, kScalar, n); });
    } else if (o == "add") {
      out = c, arrays = 3, flops_per = 1;
      st = time_on_stream(ctx.opt, nullptr, inner, [&] { stream_add<<<grid, block>>>(a, b, c, n); });
    } else {
      out = a, arrays = 3, flops_per = 2;
      st = time_on_stream(ctx.opt, nullptr, inner, [&] { stream_triad<<<grid, block>>>(b, c, a, kScalar, n); });
    }

    Check check;
    const std::vector<size_t> idx = sample_indices(n, 4096, 0x5eed);
    const std::vector<double> got = gather(out, idx);
    for (size_t k = 0; k < idx.size(); ++k) {
      const size_t i = idx[k];
      const double va = rs_pos_f64(kSeedA, i), vb = rs_pos_f64(kSeedB, i), vc = rs_pos_f64(kSeedC, i);
      double want;
      if (o == "copy") want = va;
      else if (o == "scale") want = kScalar * vc;
      else if (o == "add") want = va + vb;
      else want = std::fma(kScalar, vc, vb);
      check.expect(got[k] == want, fmt("%s[%zu] = %.17g, expected %.17g", o.c_str(), i, got[k], want));
    }

    const double bytes = static_cast<double>(arrays * array_bytes);
    Record r;
    r.str("id", fmt("stream.%s.fp64.%zu", op, array_bytes))
        .str("kind", "stream")
        .str("op", o)
        .str("dtype", "fp64")
        .integer("array_bytes", static_cast<long long>(array_bytes))
        .num("bytes", bytes)
        .num("flops", flops_per * static_cast<double>(n));
    add_timing(r, st).num("value", bytes / st.median_s).str("unit", "B/s").str("check", check.result());
    ctx.add_case(r);
  }
  HIP_CHECK(hipFree(a));
  HIP_CHECK(hipFree(b));
  HIP_CHECK(hipFree(c));
}

}  // namespace

void run_stream(Context& ctx) {
  std::vector<size_t> sizes;
  if (ctx.opt.quick) sizes = {size_t{256} << 10, size_t{16} << 20, size_t{256} << 20};
  else
    for (size_t s = size_t{256} << 10; s <= (size_t{4} << 30); s *= 4) sizes.push_back(s);  // 256 KiB .. 4 GiB
  for (size_t s : sizes) {
    if (3 * s > ctx.free_memory() / 10 * 6) {
      ctx.skip("stream", fmt("stream.*.fp64.%zu: 3 arrays of %zu B exceed 60%% of the free device memory", s, s));
      continue;
    }
    run_size(ctx, s);
  }
}

}  // namespace rsb
