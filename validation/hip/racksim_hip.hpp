// racksim_hip.hpp: the one portability header of the racksim HIP microbenchmarks (validation/hip/).
//
// The suite is written in HIP. The same sources build two ways:
//   - AMD: hipcc (__HIP_PLATFORM_AMD__): this header includes <hip/hip_runtime.h> and adds nothing
//     but HIP_CHECK and the helpers at the end.
//   - NVIDIA: nvcc -x cu (__CUDACC__, no HIP headers): Debian's HIP 5.2 NVIDIA headers do not
//     compile against CUDA 13, so this header maps the small HIP subset the suite uses onto the
//     CUDA runtime with inline functions and macros. Only what the suite calls is mapped; a new
//     call needs a line here.
// Kernels are launched with <<<grid, block, shmem, stream>>> everywhere (hipcc accepts it too).
//
// Half precision: fp16 uses __half/__half2 (hip_fp16.h / cuda_fp16.h, the same names). bf16 data is
// stored as raw 16-bit words (rs_bf16 below, the bit layout of bfloat16) because HIP 5.2 has no
// __hip_bfloat16; kernels convert to float, or on NVIDIA use __nv_bfloat162 arithmetic.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__HIP_PLATFORM_AMD__) || defined(__HIPCC__)
#define RACKSIM_HIP_AMD 1
#define RACKSIM_HIP_NVIDIA 0
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>
#elif defined(__CUDACC__)
#define RACKSIM_HIP_AMD 0
#define RACKSIM_HIP_NVIDIA 1
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

// ---- errors
typedef cudaError_t hipError_t;
#define hipSuccess cudaSuccess
inline const char* hipGetErrorString(hipError_t e) { return cudaGetErrorString(e); }
inline hipError_t hipGetLastError() { return cudaGetLastError(); }

// ---- devices
typedef cudaDeviceProp hipDeviceProp_t;
inline hipError_t hipGetDeviceCount(int* n) { return cudaGetDeviceCount(n); }
inline hipError_t hipSetDevice(int d) { return cudaSetDevice(d); }
inline hipError_t hipGetDevice(int* d) { return cudaGetDevice(d); }
inline hipError_t hipGetDeviceProperties(hipDeviceProp_t* p, int d) { return cudaGetDeviceProperties(p, d); }
inline hipError_t hipDeviceSynchronize() { return cudaDeviceSynchronize(); }
inline hipError_t hipDriverGetVersion(int* v) { return cudaDriverGetVersion(v); }
inline hipError_t hipRuntimeGetVersion(int* v) { return cudaRuntimeGetVersion(v); }
inline hipError_t hipMemGetInfo(size_t* free_b, size_t* total_b) { return cudaMemGetInfo(free_b, total_b); }
typedef cudaDeviceAttr hipDeviceAttribute_t;
// CUDA 13 removed cudaDeviceProp::clockRate and ::memoryClockRate; the attributes remain.
#define hipDeviceAttributeClockRate cudaDevAttrClockRate
#define hipDeviceAttributeMemoryClockRate cudaDevAttrMemoryClockRate
#define hipDeviceAttributeMemoryBusWidth cudaDevAttrGlobalMemoryBusWidth
#define hipDeviceAttributeL2CacheSize cudaDevAttrL2CacheSize
inline hipError_t hipDeviceGetAttribute(int* v, hipDeviceAttribute_t a, int d) { return cudaDeviceGetAttribute(v, a, d); }
inline hipError_t hipDeviceCanAccessPeer(int* can, int d, int peer) { return cudaDeviceCanAccessPeer(can, d, peer); }
inline hipError_t hipDeviceEnablePeerAccess(int peer, unsigned flags) { return cudaDeviceEnablePeerAccess(peer, flags); }
#define hipErrorPeerAccessAlreadyEnabled cudaErrorPeerAccessAlreadyEnabled

// ---- memory
typedef cudaMemcpyKind hipMemcpyKind;
#define hipMemcpyHostToDevice cudaMemcpyHostToDevice
#define hipMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define hipMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define hipMemcpyDefault cudaMemcpyDefault
#define hipHostMallocDefault cudaHostAllocDefault
template <typename T>
inline hipError_t hipMalloc(T** p, size_t bytes) { return cudaMalloc(reinterpret_cast<void**>(p), bytes); }
inline hipError_t hipFree(void* p) { return cudaFree(p); }
template <typename T>
inline hipError_t hipHostMalloc(T** p, size_t bytes, unsigned flags = hipHostMallocDefault) {
  return cudaHostAlloc(reinterpret_cast<void**>(p), bytes, flags);
}
inline hipError_t hipHostFree(void* p) { return cudaFreeHost(p); }
inline hipError_t hipMemcpy(void* dst, const void* src, size_t bytes, hipMemcpyKind k) { return cudaMemcpy(dst, src, bytes, k); }
inline hipError_t hipMemset(void* dst, int v, size_t bytes) { return cudaMemset(dst, v, bytes); }

// ---- streams and events
typedef cudaStream_t hipStream_t;
typedef cudaEvent_t hipEvent_t;
#define hipEventDisableTiming cudaEventDisableTiming
inline hipError_t hipStreamCreate(hipStream_t* s) { return cudaStreamCreate(s); }
inline hipError_t hipStreamDestroy(hipStream_t s) { return cudaStreamDestroy(s); }
inline hipError_t hipStreamSynchronize(hipStream_t s) { return cudaStreamSynchronize(s); }
inline hipError_t hipStreamWaitEvent(hipStream_t s, hipEvent_t e, unsigned flags) { return cudaStreamWaitEvent(s, e, flags); }
inline hipError_t hipEventCreate(hipEvent_t* e) { return cudaEventCreate(e); }
inline hipError_t hipEventCreateWithFlags(hipEvent_t* e, unsigned f) { return cudaEventCreateWithFlags(e, f); }
inline hipError_t hipEventDestroy(hipEvent_t e) { return cudaEventDestroy(e); }
inline hipError_t hipEventRecord(hipEvent_t e, hipStream_t s = nullptr) { return cudaEventRecord(e, s); }
inline hipError_t hipEventSynchronize(hipEvent_t e) { return cudaEventSynchronize(e); }
inline hipError_t hipEventElapsedTime(float* ms, hipEvent_t a, hipEvent_t b) { return cudaEventElapsedTime(ms, a, b); }
inline hipError_t hipMemcpyAsync(void* dst, const void* src, size_t bytes, hipMemcpyKind k, hipStream_t s = nullptr) {
  return cudaMemcpyAsync(dst, src, bytes, k, s);
}
inline hipError_t hipMemcpyPeerAsync(void* dst, int dst_dev, const void* src, int src_dev, size_t bytes,
                                     hipStream_t s = nullptr) {
  return cudaMemcpyPeerAsync(dst, dst_dev, src, src_dev, bytes, s);
}
#else
#error "racksim_hip.hpp: compile with hipcc (AMD) or with nvcc -x cu (NVIDIA)"
#endif

// HIP_CHECK(call): on an error prints file:line, the call and the runtime's message, and exits 2.
// The suite is a standalone program (not racksim library code): a runtime error leaves the device
// in an unknown state, so it stops rather than writing measurements it cannot trust.
#define HIP_CHECK(call)                                                                         \
  do {                                                                                          \
    hipError_t racksim_hip_err_ = (call);                                                       \
    if (racksim_hip_err_ != hipSuccess) {                                                       \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,                 \
                   hipGetErrorString(racksim_hip_err_));                                        \
      std::exit(2);                                                                             \
    }                                                                                           \
  } while (0)

// HIP_CHECK_LAUNCH(): checks the last kernel launch.
#define HIP_CHECK_LAUNCH() HIP_CHECK(hipGetLastError())

// bf16 storage: the upper 16 bits of an IEEE binary32. Conversions round to nearest even.
struct rs_bf16 {
  unsigned short bits;
};

__host__ __device__ inline float rs_bf16_to_float(rs_bf16 v) {
  unsigned u = static_cast<unsigned>(v.bits) << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

__host__ __device__ inline rs_bf16 rs_float_to_bf16(float f) {
  unsigned u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0) return rs_bf16{0x7fc0};  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return rs_bf16{static_cast<unsigned short>(u >> 16)};
}
