// GEMM: C = A * B, row-major, square sizes m = n = k from 1024 to 8192, in fp64, fp32, fp16 and bf16
// (fp16/bf16 inputs and output with fp32 accumulation; fp64 accumulates in fp64).
//
// Two implementations:
//   - racksim: a tiled shared-memory kernel of the project's own (64 x 64 output tile per block of
//     256 threads, 4 x 4 outputs per thread, k in steps of 16, operands widened to the accumulation
//     type in shared memory). Vector units only, no matrix units: the baseline a simple kernel gets.
//   - the vendor BLAS where built in: cuBLAS (cublasGemmEx, CUBLAS_COMPUTE_32F/64F: no TF32) on
//     NVIDIA; rocBLAS (rocblas_gemm_ex, fp32 compute for the 16-bit types) on AMD when
//     <rocblas/rocblas.h> exists; otherwise a "skipped" entry says so. hipBLASLt is not used yet.
// flops = 2mnk; bytes = (mk + kn + mn) * element bytes (each operand touched once: the minimum).
// Inputs are zero-mean values in [-1, 1), exact in the dtype. Check: 256 sampled entries of C
// against an fp64 dot product on the host, within 2 roundings of the output dtype plus an
// accumulation allowance of 1e-5 (fp64: 1e-12) times sum |a_ip * b_pj|.
#include "bench.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

#if !defined(RACKSIM_HIP_NO_VENDOR_BLAS)
#if RACKSIM_HIP_NVIDIA && __has_include(<cublas_v2.h>)
#include <cublas_v2.h>
#define RACKSIM_VENDOR_BLAS "cublas"
#elif RACKSIM_HIP_AMD && __has_include(<rocblas/rocblas.h>)
#include <rocblas/rocblas.h>
#define RACKSIM_VENDOR_BLAS "rocblas"
#endif
#endif

namespace rsb {
namespace {

constexpr int kBM = 64, kBN = 64, kBK = 16, kThreads = 256;
constexpr uint64_t kSeedA = 31, kSeedB = 32;

// Per-dtype facts: accumulation type, significant bits of the inputs, element bytes.
template <typename T>
struct G;
template <>
struct G<double> {
  using Acc = double;
  static constexpr const char* kName = "fp64";
  static constexpr int kBits = 53;
};
template <>
struct G<float> {
  using Acc = float;
  static constexpr const char* kName = "fp32";
  static constexpr int kBits = 24;
};
template <>
struct G<__half> {
  using Acc = float;
  static constexpr const char* kName = "fp16";
  static constexpr int kBits = 11;
};
template <>
struct G<rs_bf16> {
  using Acc = float;
  static constexpr const char* kName = "bf16";
  static constexpr int kBits = 8;
};

__device__ inline double widen(double v) { return v; }
__device__ inline float widen(float v) { return v; }
__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(rs_bf16 v) { return rs_bf16_to_float(v); }
__device__ inline void narrow(double a, double* p) { *p = a; }
__device__ inline void narrow(float a, float* p) { *p = a; }
__device__ inline void narrow(float a, __half* p) { *p = __float2half(a); }
__device__ inline void narrow(float a, rs_bf16* p) { *p = rs_float_to_bf16(a); }

// Requires m % 64 == 0, n % 64 == 0, k % 16 == 0 (the sizes of the grid are).
template <typename T>
__global__ void __launch_bounds__(kThreads) gemm_tiled(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C,
                                                       int m, int n, int k) {
  using Acc = typename G<T>::Acc;
  __shared__ Acc As[kBK][kBM + 1];  // As[kk][row], padded against bank conflicts
  __shared__ Acc Bs[kBK][kBN];      // Bs[kk][col]
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const size_t row0 = static_cast<size_t>(blockIdx.y) * kBM, col0 = static_cast<size_t>(blockIdx.x) * kBN;
  if (row0 >= static_cast<size_t>(m) || col0 >= static_cast<size_t>(n)) return;  // whole block: no barrier skipped
  Acc acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0;

  for (int k0 = 0; k0 < k; k0 += kBK) {
#pragma unroll
    for (int q = 0; q < (kBM * kBK) / kThreads; ++q) {
      const int e = tid + kThreads * q;
      const int r = e / kBK, c = e % kBK;
      As[c][r] = widen(A[(row0 + r) * k + k0 + c]);
    }
#pragma unroll
    for (int q = 0; q < (kBK * kBN) / kThreads; ++q) {
      const int e = tid + kThreads * q;
      const int r = e / kBN, c = e % kBN;
      Bs[r][c] = widen(B[(static_cast<size_t>(k0) + r) * n + col0 + c]);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      Acc a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) narrow(acc[i][j], &C[(row0 + ty + 16 * i) * n + col0 + tx + 16 * j]);
}

template <typename T>
__global__ void fill_signed(T* x, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    narrow(static_cast<typename G<T>::Acc>(rs_signed(seed, i, G<T>::kBits)), &x[i]);
}

template <typename T>
double to_double(const T& v) {
  if constexpr (std::is_same<T, double>::value || std::is_same<T, float>::value) return v;
  else {
    unsigned short bits;
    std::memcpy(&bits, &v, sizeof bits);
    if constexpr (std::is_same<T, __half>::value) return half_bits_to_float(bits);
    else return rs_bf16_to_float(rs_bf16{bits});
  }
}

// ---- the vendor BLAS

#if defined(RACKSIM_VENDOR_BLAS) && RACKSIM_HIP_NVIDIA
#define BLAS_CHECK(call)                                                                               \
  do {                                                                                                 \
    const cublasStatus_t racksim_blas_st_ = (call);                                                    \
    if (racksim_blas_st_ != CUBLAS_STATUS_SUCCESS) {                                                   \
      std::fprintf(stderr, "%s:%d: %s failed: cuBLAS status %d\n", __FILE__, __LINE__, #call,          \
                   static_cast<int>(racksim_blas_st_));                                                \
      std::exit(2);                                                                                    \
    }                                                                                                  \
  } while (0)
typedef cublasHandle_t BlasHandle;
void blas_create(BlasHandle* h) { BLAS_CHECK(cublasCreate(h)); }
void blas_destroy(BlasHandle h) { BLAS_CHECK(cublasDestroy(h)); }
template <typename T>
cudaDataType blas_type() {
  if (std::is_same<T, double>::value) return CUDA_R_64F;
  if (std::is_same<T, float>::value) return CUDA_R_32F;
  if (std::is_same<T, __half>::value) return CUDA_R_16F;
  return CUDA_R_16BF;
}
// Row-major C = A B is column-major C^T = B^T A^T: swap the operands and m/n.
template <typename T>
void blas_gemm(BlasHandle h, const T* A, const T* B, T* C, int m, int n, int k) {
  const cudaDataType t = blas_type<T>();
  if (std::is_same<T, double>::value) {
    const double alpha = 1, beta = 0;
    BLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &alpha, B, t, n, A, t, k, &beta, C, t, n,
                            CUBLAS_COMPUTE_64F, CUBLAS_GEMM_DEFAULT));
  } else {
    const float alpha = 1, beta = 0;
    BLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &alpha, B, t, n, A, t, k, &beta, C, t, n,
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
}
#elif defined(RACKSIM_VENDOR_BLAS) && RACKSIM_HIP_AMD
#define BLAS_CHECK(call)                                                                               \
  do {                                                                                                 \
    const rocblas_status racksim_blas_st_ = (call);                                                    \
    if (racksim_blas_st_ != rocblas_status_success) {                                                  \
      std::fprintf(stderr, "%s:%d: %s failed: rocBLAS status %d\n", __FILE__, __LINE__, #call,         \
                   static_cast<int>(racksim_blas_st_));                                                \
      std::exit(2);                                                                                    \
    }                                                                                                  \
  } while (0)
typedef rocblas_handle BlasHandle;
void blas_create(BlasHandle* h) { BLAS_CHECK(rocblas_create_handle(h)); }
void blas_destroy(BlasHandle h) { BLAS_CHECK(rocblas_destroy_handle(h)); }
template <typename T>
rocblas_datatype blas_type() {
  if (std::is_same<T, double>::value) return rocblas_datatype_f64_r;
  if (std::is_same<T, float>::value) return rocblas_datatype_f32_r;
  if (std::is_same<T, __half>::value) return rocblas_datatype_f16_r;
  return rocblas_datatype_bf16_r;
}
template <typename T>
void blas_gemm(BlasHandle h, const T* A, const T* B, T* C, int m, int n, int k) {
  const rocblas_datatype t = blas_type<T>();
  if (std::is_same<T, double>::value) {
    const double alpha = 1, beta = 0;
    BLAS_CHECK(rocblas_gemm_ex(h, rocblas_operation_none, rocblas_operation_none, n, m, k, &alpha, B, t, n, A, t, k, &beta,
                               C, t, n, C, t, n, rocblas_datatype_f64_r, rocblas_gemm_algo_standard, 0, 0));
  } else {
    const float alpha = 1, beta = 0;
    BLAS_CHECK(rocblas_gemm_ex(h, rocblas_operation_none, rocblas_operation_none, n, m, k, &alpha, B, t, n, A, t, k, &beta,
                               C, t, n, C, t, n, rocblas_datatype_f32_r, rocblas_gemm_algo_standard, 0, 0));
  }
}
#endif

template <typename T>
void run_case(Context& ctx, const std::string& impl, int size, void* blas) {
  const int m = size, n = size, k = size;
  T *A = nullptr, *B = nullptr, *C = nullptr;
  HIP_CHECK(hipMalloc(&A, sizeof(T) * static_cast<size_t>(m) * k));
  HIP_CHECK(hipMalloc(&B, sizeof(T) * static_cast<size_t>(k) * n));
  HIP_CHECK(hipMalloc(&C, sizeof(T) * static_cast<size_t>(m) * n));
  fill_signed<T><<<1024, 256>>>(A, static_cast<size_t>(m) * k, kSeedA);
  HIP_CHECK_LAUNCH();
  fill_signed<T><<<1024, 256>>>(B, static_cast<size_t>(k) * n, kSeedB);
  HIP_CHECK_LAUNCH();
  HIP_CHECK(hipMemset(C, 0, sizeof(T) * static_cast<size_t>(m) * n));
  HIP_CHECK(hipDeviceSynchronize());

  Stats st;
  if (impl == "racksim") {
    const dim3 grid(n / kBN, m / kBM);
    st = time_on_stream(ctx.opt, nullptr, 1, [&] { gemm_tiled<T><<<grid, kThreads>>>(A, B, C, m, n, k); });
  } else {
#if defined(RACKSIM_VENDOR_BLAS)
    BlasHandle h = *static_cast<BlasHandle*>(blas);
    st = time_on_stream(ctx.opt, nullptr, 1, [&] { blas_gemm<T>(h, A, B, C, m, n, k); });
#else
    (void)blas;
#endif
  }

  // Check 256 sampled entries against an fp64 dot product.
  const size_t samples = 256;
  std::vector<size_t> idx;
  for (size_t s = 0; s < samples; ++s) idx.push_back(rs_hash2(0x6e44, s) % (static_cast<size_t>(m) * n));
  idx[0] = 0;
  idx[1] = static_cast<size_t>(m) * n - 1;
  const std::vector<T> got = gather(C, idx);
  const double eps_out = dtype_eps(G<T>::kName);
  const double acc_allow = std::is_same<T, double>::value ? 1e-12 : 1e-5;
  Check check;
  for (size_t s = 0; s < samples; ++s) {
    const size_t i = idx[s] / n, j = idx[s] % n;
    double ref = 0, sumabs = 0;
    for (int p = 0; p < k; ++p) {
      const double a = rs_signed(kSeedA, i * k + p, G<T>::kBits), b = rs_signed(kSeedB, static_cast<size_t>(p) * n + j, G<T>::kBits);
      ref += a * b;
      sumabs += std::fabs(a * b);
    }
    const double have = to_double(got[s]);
    const double tol = 2 * eps_out * std::fabs(ref) + acc_allow * sumabs;
    check.expect(std::fabs(have - ref) <= tol, fmt("C[%zu][%zu] = %.9g, expected %.9g (tolerance %.3g)", i, j, have, ref, tol));
  }

  const double flops = 2.0 * m * n * static_cast<double>(k);
  const double bytes = (static_cast<double>(m) * k + static_cast<double>(k) * n + static_cast<double>(m) * n) * sizeof(T);
  Record r;
  r.str("id", fmt("gemm.%s.%s.%dx%dx%d", impl.c_str(), G<T>::kName, m, n, k))
      .str("kind", "gemm")
      .str("impl", impl)
      .str("dtype", G<T>::kName)
      .integer("m", m)
      .integer("n", n)
      .integer("k", k)
      .num("flops", flops)
      .num("bytes", bytes);
  add_timing(r, st).num("value", flops / st.median_s).str("unit", "FLOP/s").str("check", check.result());
  ctx.add_case(r);
  HIP_CHECK(hipFree(A));
  HIP_CHECK(hipFree(B));
  HIP_CHECK(hipFree(C));
}

void run_impl(Context& ctx, const std::string& impl, const std::vector<int>& sizes, void* blas) {
  for (int s : sizes) {
    const double need = 3.0 * 8 * s * static_cast<double>(s);  // fp64, the largest
    if (need > 0.6 * static_cast<double>(ctx.free_memory())) {
      ctx.skip("gemm", fmt("gemm.%s.*.%dx%dx%d: operands exceed 60%% of the free device memory", impl.c_str(), s, s, s));
      continue;
    }
    run_case<double>(ctx, impl, s, blas);
    run_case<float>(ctx, impl, s, blas);
    run_case<__half>(ctx, impl, s, blas);
    run_case<rs_bf16>(ctx, impl, s, blas);
  }
}

}  // namespace

void run_gemm(Context& ctx) {
  const std::vector<int> sizes = ctx.opt.quick ? std::vector<int>{1024, 4096} : std::vector<int>{1024, 2048, 4096, 8192};
  run_impl(ctx, "racksim", sizes, nullptr);
#if defined(RACKSIM_VENDOR_BLAS)
  BlasHandle h;
  blas_create(&h);
  run_impl(ctx, RACKSIM_VENDOR_BLAS, sizes, &h);
  blas_destroy(h);
#elif defined(RACKSIM_HIP_NO_VENDOR_BLAS)
  ctx.skip("gemm", "vendor BLAS not available (built with RACKSIM_HIP_NO_VENDOR_BLAS: the library did not link)");
#else
  ctx.skip("gemm", RACKSIM_HIP_NVIDIA ? "vendor BLAS not available (no cublas_v2.h)"
                                      : "vendor BLAS not available (no rocblas/rocblas.h; hipBLASLt is not used yet)");
#endif
}

}  // namespace rsb
