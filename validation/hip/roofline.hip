// Roofline sweep: arithmetic intensity from 1/8 to 256 FLOP/B in fp64, fp32, fp16 and bf16 on the
// vector units (no matrix units: those are the GEMM benchmark's).
//
// Each thread loads one 16-byte chunk of the input (2 fp64, 4 fp32 or 8 fp16/bf16 values), applies
// F fused multiply-adds x = a*x + b to it and stores the 16 bytes to the output. A run moves
// 32 bytes and does 2F flops per chunk, so the intensity is F/16 FLOP/B whatever the dtype:
// F = 16 * intensity, from 2 to 4096. The FMAs are spread over the chunk's independent lanes (packed
// pairs for fp16/bf16, where one __hfma2 is 2 FMAs); below one FMA per lane only the first lanes
// get one and the others are copied. The arrays are 1 GiB each (256 MiB with --quick), larger than
// any current last-level cache, so the low intensities are bound by HBM.
// bf16: on NVIDIA __nv_bfloat162 arithmetic (rounded to bf16 after every FMA); on AMD, whose
// vector units have no bf16 FMA, the values are widened to fp32 once, the FMAs run in fp32 and the
// result is rounded to bf16 at the store; the flops are counted the same.
// Check: with a = 0.75, b = 0.25 and inputs in [0.5, 2) the iteration contracts towards 1, so
// rounding errors do not grow; sampled outputs are compared with the same iteration on the host
// (in the dtype for fp64/fp32, in fp64 for fp16/bf16) within 8 roundings of the dtype.
#include "bench.hpp"

#include <cmath>

namespace rsb {
namespace {

constexpr float kA = 0.75f, kB = 0.25f;
constexpr uint64_t kSeed = 21;

struct F64 {
  static constexpr const char* kName = "fp64";
  static constexpr int kUnits = 2, kFmasPerUnit = 1, kElems = 2;
  using Reg = double;
  __device__ static Reg make(float v) { return v; }
  __device__ static void fma1(Reg& x, Reg a, Reg b) { x = fma(a, x, b); }
};
struct F32 {
  static constexpr const char* kName = "fp32";
  static constexpr int kUnits = 4, kFmasPerUnit = 1, kElems = 4;
  using Reg = float;
  __device__ static Reg make(float v) { return v; }
  __device__ static void fma1(Reg& x, Reg a, Reg b) { x = fmaf(a, x, b); }
};
struct F16 {
  static constexpr const char* kName = "fp16";
  static constexpr int kUnits = 4, kFmasPerUnit = 2, kElems = 8;
  using Reg = __half2;
  __device__ static Reg make(float v) { return __float2half2_rn(v); }
  __device__ static void fma1(Reg& x, Reg a, Reg b) { x = __hfma2(a, x, b); }
};
#if RACKSIM_HIP_NVIDIA
struct BF16 {
  static constexpr const char* kName = "bf16";
  static constexpr int kUnits = 4, kFmasPerUnit = 2, kElems = 8;
  using Reg = __nv_bfloat162;
  __device__ static Reg make(float v) { return __float2bfloat162_rn(v); }
  __device__ static void fma1(Reg& x, Reg a, Reg b) { x = __hfma2(a, x, b); }
};
#endif

// Loads/stores a 16-byte chunk as T::kUnits registers.
template <typename T>
struct Chunk {
  typename T::Reg r[T::kUnits];
  __device__ void load(const uint4& raw) { memcpy(r, &raw, sizeof raw); }
  __device__ uint4 store() const {
    uint4 raw;
    memcpy(&raw, r, sizeof raw);
    return raw;
  }
};

#if RACKSIM_HIP_AMD
// AMD bf16: 8 values widened to fp32 (4 units of 2), rounded back at the store.
struct BF16 {
  static constexpr const char* kName = "bf16";
  static constexpr int kUnits = 4, kFmasPerUnit = 2, kElems = 8;
  using Reg = float2;
  __device__ static Reg make(float v) { return make_float2(v, v); }
  __device__ static void fma1(Reg& x, Reg a, Reg b) {
    x.x = fmaf(a.x, x.x, b.x);
    x.y = fmaf(a.y, x.y, b.y);
  }
};
template <>
struct Chunk<BF16> {
  float2 r[4];
  __device__ void load(const uint4& raw) {
    rs_bf16 v[8];
    memcpy(v, &raw, sizeof raw);
    for (int u = 0; u < 4; ++u) r[u] = make_float2(rs_bf16_to_float(v[2 * u]), rs_bf16_to_float(v[2 * u + 1]));
  }
  __device__ uint4 store() const {
    rs_bf16 v[8];
    for (int u = 0; u < 4; ++u) {
      v[2 * u] = rs_float_to_bf16(r[u].x);
      v[2 * u + 1] = rs_float_to_bf16(r[u].y);
    }
    uint4 raw;
    memcpy(&raw, v, sizeof raw);
    return raw;
  }
};
#endif

// kAll: every unit does `iters` FMAs; otherwise units [0, active) do one and the rest none.
template <typename T, bool kAll>
__global__ void roofline_kernel(const uint4* __restrict__ in, uint4* __restrict__ out, size_t n, int iters, int active) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  Chunk<T> c;
  c.load(in[i]);
  const typename T::Reg a = T::make(kA), b = T::make(kB);
  if (kAll) {
    int it = 0;
    for (; it + 4 <= iters; it += 4) {  // unrolled by hand: 4 x kUnits independent FMAs per trip
#pragma unroll
      for (int rep = 0; rep < 4; ++rep) {
#pragma unroll
        for (int u = 0; u < T::kUnits; ++u) T::fma1(c.r[u], a, b);
      }
    }
    for (; it < iters; ++it) {
#pragma unroll
      for (int u = 0; u < T::kUnits; ++u) T::fma1(c.r[u], a, b);
    }
  } else {
#pragma unroll
    for (int u = 0; u < T::kUnits; ++u)
      if (u < active) T::fma1(c.r[u], a, b);
  }
  out[i] = c.store();
}

// Fills n elements of the dtype (exactly representable values in [0.5, 2)).
template <typename T>
__global__ void fill_kernel(void* x, size_t n);
template <>
__global__ void fill_kernel<F64>(void* x, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    static_cast<double*>(x)[i] = rs_pos_f64(kSeed, i);
}
template <>
__global__ void fill_kernel<F32>(void* x, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    static_cast<float*>(x)[i] = rs_pos_f32(kSeed, i);
}
template <>
__global__ void fill_kernel<F16>(void* x, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    static_cast<__half*>(x)[i] = __float2half(rs_pos_small(kSeed, i, 10));
}
template <>
__global__ void fill_kernel<BF16>(void* x, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    static_cast<rs_bf16*>(x)[i] = rs_float_to_bf16(rs_pos_small(kSeed, i, 7));
}

// The host's view of one element: its input, and its value after `reps` FMAs.
template <typename T>
double host_input(size_t i);
template <>
double host_input<F64>(size_t i) { return rs_pos_f64(kSeed, i); }
template <>
double host_input<F32>(size_t i) { return rs_pos_f32(kSeed, i); }
template <>
double host_input<F16>(size_t i) { return rs_pos_small(kSeed, i, 10); }
template <>
double host_input<BF16>(size_t i) { return rs_pos_small(kSeed, i, 7); }

template <typename T>
double host_expected(double x, long long reps) {
  if (std::string(T::kName) == "fp32") {
    float f = static_cast<float>(x);
    for (long long r = 0; r < reps; ++r) f = std::fma(kA, f, kB);
    return f;
  }
  for (long long r = 0; r < reps; ++r) x = std::fma(static_cast<double>(kA), x, static_cast<double>(kB));
  return x;
}

template <typename T>
double host_output(const uint4& chunk, int elem) {
  const std::string name = T::kName;
  if (name == "fp64") {
    double v[2];
    std::memcpy(v, &chunk, sizeof chunk);
    return v[elem];
  }
  if (name == "fp32") {
    float v[4];
    std::memcpy(v, &chunk, sizeof chunk);
    return v[elem];
  }
  unsigned short v[8];
  std::memcpy(v, &chunk, sizeof chunk);
  if (name == "fp16") return half_bits_to_float(v[elem]);
  return rs_bf16_to_float(rs_bf16{v[elem]});
}

template <typename T>
void run_dtype(Context& ctx, size_t array_bytes, const std::vector<double>& intensities) {
  const size_t n = array_bytes / 16;  // chunks
  uint4 *in = nullptr, *out = nullptr;
  HIP_CHECK(hipMalloc(&in, array_bytes));
  HIP_CHECK(hipMalloc(&out, array_bytes));
  fill_kernel<T><<<1024, 256>>>(in, n * T::kElems);
  HIP_CHECK_LAUNCH();
  HIP_CHECK(hipDeviceSynchronize());
  const unsigned block = 256;
  const unsigned grid = static_cast<unsigned>((n + block - 1) / block);
  const std::vector<size_t> idx = sample_indices(n, 2048, 0xf1a7);

  for (double intensity : intensities) {
    const long long fmas = std::llround(16 * intensity);  // per 16-byte chunk
    const long long ops = fmas / T::kFmasPerUnit;
    const bool all = ops >= T::kUnits;
    const int iters = all ? static_cast<int>(ops / T::kUnits) : 1;
    const int active = all ? T::kUnits : static_cast<int>(ops);
    HIP_CHECK(hipMemset(out, 0, array_bytes));
    const Stats st = time_on_stream(ctx.opt, nullptr, 1, [&] {
      if (all) roofline_kernel<T, true><<<grid, block>>>(in, out, n, iters, active);
      else roofline_kernel<T, false><<<grid, block>>>(in, out, n, iters, active);
    });

    Check check;
    const std::vector<uint4> got = gather(out, idx);
    const double tol = 8 * dtype_eps(T::kName);
    for (size_t k = 0; k < idx.size(); ++k) {
      for (int e = 0; e < T::kElems; ++e) {
        const int unit = e / T::kFmasPerUnit;
        const long long reps = all ? iters : (unit < active ? 1 : 0);
        const size_t elem = idx[k] * T::kElems + e;
        const double want = host_expected<T>(host_input<T>(elem), reps);
        const double have = host_output<T>(got[k], e);
        check.expect(std::fabs(have - want) <= tol * std::fabs(want),
                     fmt("element %zu = %.9g, expected %.9g", elem, have, want));
      }
    }

    const double bytes = 2.0 * static_cast<double>(array_bytes);
    const double flops = 2.0 * static_cast<double>(all ? static_cast<long long>(iters) * T::kUnits * T::kFmasPerUnit
                                                       : static_cast<long long>(active) * T::kFmasPerUnit) *
                         static_cast<double>(n);
    Record r;
    r.str("id", fmt("roofline.%s.%g", T::kName, intensity))
        .str("kind", "roofline")
        .str("dtype", T::kName)
        .num("flops_per_byte", intensity)
        .num("flops", flops)
        .num("bytes", bytes);
    add_timing(r, st).num("value", flops / st.median_s).str("unit", "FLOP/s").str("check", check.result());
    ctx.add_case(r);
  }
  HIP_CHECK(hipFree(in));
  HIP_CHECK(hipFree(out));
}

}  // namespace

void run_roofline(Context& ctx) {
  std::vector<double> intensities;
  if (ctx.opt.quick) intensities = {0.125, 1, 8, 64, 256};
  else
    for (double i = 0.125; i <= 256; i *= 2) intensities.push_back(i);
  size_t array_bytes = ctx.opt.quick ? size_t{256} << 20 : size_t{1} << 30;
  while (2 * array_bytes > ctx.free_memory() / 10 * 6 && array_bytes > (size_t{16} << 20)) array_bytes /= 2;
  run_dtype<F64>(ctx, array_bytes, intensities);
  run_dtype<F32>(ctx, array_bytes, intensities);
  run_dtype<F16>(ctx, array_bytes, intensities);
  run_dtype<BF16>(ctx, array_bytes, intensities);
}

}  // namespace rsb
