// bench.hpp: what the benchmark families of racksim-hip share: options, the measurement records
// written to the JSON file, event timing (warm-up, repeats, median/min/max), the deterministic
// pseudo-random inputs and the sampled result checks.
//
// Inputs: every array element is a function of (seed, index) through a 64-bit hash (rs_hash), so a
// device kernel fills an array and the host recomputes any element without copying the inputs.
// The values are chosen exactly representable in their dtype, so the device's and the host's
// copies of an input are identical and only the arithmetic under test can differ.
#pragma once

#include "racksim_hip.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace rsb {

// ---- options

struct Options {
  bool quick = false;
  int warmup = 3;
  int repeats = 20;
  std::string out;      // "" = JSON on stdout (unless out_dir)
  std::string out_dir;  // write <out_dir>/<device slug>-<UTC date>[-N].json
  std::string gpu_id;  // racksim catalog id, "" when not given
  std::vector<std::string> only;  // kinds to run; empty = all
};

// ---- measurement records: an ordered list of key/value pairs (the JSON key order)

struct Field {
  enum Type { Str, Int, Num, Bool };
  std::string key;
  Type type = Str;
  std::string s;
  long long i = 0;
  double d = 0;
  bool b = false;
};

class Record {
 public:
  Record& str(const std::string& k, const std::string& v);
  Record& integer(const std::string& k, long long v);
  Record& num(const std::string& k, double v);
  Record& boolean(const std::string& k, bool v);
  const std::vector<Field>& fields() const { return fields_; }
  std::string get_str(const std::string& k) const;  // "" if absent or not a string
  double get_num(const std::string& k) const;       // NaN if absent

 private:
  std::vector<Field> fields_;
};

struct Stats {
  double median_s = 0, min_s = 0, max_s = 0;
  int repeats = 0;
};

// Adds time_s, time_min_s, time_max_s and repeats.
Record& add_timing(Record& r, const Stats& s);

// The run: options, the device, and what has been measured so far.
struct Context {
  Options opt;
  int device_count = 0;
  hipDeviceProp_t prop{};
  std::vector<Record> cases;
  std::vector<Record> skipped;
  int failed = 0;

  bool wants(const std::string& kind) const;
  void add_case(const Record& r);  // also prints a progress line on stderr
  void skip(const std::string& kind, const std::string& reason);
  size_t free_memory() const;      // free bytes on the current device
};

// ---- timing

// Times `enqueue` (which queues one run on `stream`) with device events: opt.warmup untimed
// runs, then opt.repeats samples. A sample times `inner` back-to-back runs and counts their
// mean, so kernels of a few microseconds are not dominated by event resolution. Cases whose
// warm-up run takes longer than 0.25 s get fewer repeats (at least 3) to bound the run time.
template <typename F>
Stats time_on_stream(const Options& opt, hipStream_t stream, int inner, F&& enqueue);

Stats summarize(std::vector<double> samples);

// ---- checks

// Collects sampled comparisons; result() is "ok" or "failed: <first problem, count>".
class Check {
 public:
  void expect(bool ok, const std::string& what_if_not);
  void fail(const std::string& why) { expect(false, why); }
  std::string result() const;
  bool ok() const { return bad_ == 0; }

 private:
  long long bad_ = 0, n_ = 0;
  std::string first_;
};

// Up to `count` indices spread evenly over [0, n), always with 0 and n-1, plus pseudo-random ones.
std::vector<size_t> sample_indices(size_t n, size_t count, uint64_t seed);

// Copies dev[idx[i]] for every sampled index to the host (one small gather kernel).
template <typename T>
std::vector<T> gather(const T* dev, const std::vector<size_t>& idx, hipStream_t stream = nullptr);

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));

// ---- deterministic inputs

__host__ __device__ inline uint64_t rs_hash(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
__host__ __device__ inline uint64_t rs_hash2(uint64_t seed, uint64_t i) { return rs_hash(rs_hash(seed) ^ i); }

// In [0.5, 1.5), exact in the type.
__host__ __device__ inline double rs_pos_f64(uint64_t seed, uint64_t i) {
  return 0.5 + static_cast<double>(rs_hash2(seed, i) >> 11) * 0x1.0p-53;
}
__host__ __device__ inline float rs_pos_f32(uint64_t seed, uint64_t i) {
  return 0.5f + static_cast<float>(rs_hash2(seed, i) >> 40) * 0x1.0p-24f;
}
// In [1, 2) with `bits` mantissa bits (10 for fp16, 7 for bf16): exact in the type.
__host__ __device__ inline float rs_pos_small(uint64_t seed, uint64_t i, int bits) {
  return 1.0f + static_cast<float>(rs_hash2(seed, i) >> (64 - bits)) * (1.0f / static_cast<float>(1u << bits));
}
// Zero-mean in [-1, 1) with `bits` significant bits (53 fp64, 24 fp32, 11 fp16, 8 bf16).
__host__ __device__ inline double rs_signed(uint64_t seed, uint64_t i, int bits) {
  const long long v = static_cast<long long>(rs_hash2(seed, i) >> (64 - bits)) - (1ll << (bits - 1));
  return static_cast<double>(v) / static_cast<double>(1ll << (bits - 1));
}

// ---- dtypes

// Host-side half -> float (exact).
float half_bits_to_float(unsigned short h);
// Host-side float -> half bits, round to nearest even.
unsigned short float_to_half_bits(float f);

// Relative tolerance of one rounding to the dtype.
double dtype_eps(const std::string& dtype);

// ---- the benchmark families (one translation unit each)

void run_stream(Context& ctx);
void run_roofline(Context& ctx);
void run_gemm(Context& ctx);
void run_pointer_chase(Context& ctx);
void run_launch(Context& ctx);
void run_memcpy(Context& ctx);
void run_peer_copy(Context& ctx);
void run_allreduce(Context& ctx);

// ---- template definitions

template <typename T>
__global__ void gather_kernel(const T* __restrict__ src, const size_t* __restrict__ idx, T* __restrict__ dst, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) dst[i] = src[idx[i]];
}

template <typename T>
std::vector<T> gather(const T* dev, const std::vector<size_t>& idx, hipStream_t stream) {
  std::vector<T> host(idx.size());
  if (idx.empty()) return host;
  size_t* d_idx = nullptr;
  T* d_out = nullptr;
  HIP_CHECK(hipMalloc(&d_idx, idx.size() * sizeof(size_t)));
  HIP_CHECK(hipMalloc(&d_out, idx.size() * sizeof(T)));
  HIP_CHECK(hipMemcpy(d_idx, idx.data(), idx.size() * sizeof(size_t), hipMemcpyHostToDevice));
  const unsigned blocks = static_cast<unsigned>((idx.size() + 255) / 256);
  gather_kernel<T><<<blocks, 256, 0, stream>>>(dev, d_idx, d_out, idx.size());
  HIP_CHECK_LAUNCH();
  HIP_CHECK(hipStreamSynchronize(stream));
  HIP_CHECK(hipMemcpy(host.data(), d_out, idx.size() * sizeof(T), hipMemcpyDeviceToHost));
  HIP_CHECK(hipFree(d_idx));
  HIP_CHECK(hipFree(d_out));
  return host;
}

template <typename F>
Stats time_on_stream(const Options& opt, hipStream_t stream, int inner, F&& enqueue) {
  hipEvent_t start, stop;
  HIP_CHECK(hipEventCreate(&start));
  HIP_CHECK(hipEventCreate(&stop));
  auto sample = [&]() {
    HIP_CHECK(hipEventRecord(start, stream));
    for (int k = 0; k < inner; ++k) enqueue();
    HIP_CHECK(hipEventRecord(stop, stream));
    HIP_CHECK(hipEventSynchronize(stop));
    HIP_CHECK_LAUNCH();
    float ms = 0;
    HIP_CHECK(hipEventElapsedTime(&ms, start, stop));
    return static_cast<double>(ms) * 1e-3 / inner;
  };
  double last_warm = 0;
  for (int w = 0; w < opt.warmup; ++w) last_warm = sample();
  int repeats = opt.repeats;
  if (last_warm * inner > 0.25) repeats = std::max(3, std::min(repeats, static_cast<int>(2.0 / (last_warm * inner))));
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) t.push_back(sample());
  HIP_CHECK(hipEventDestroy(start));
  HIP_CHECK(hipEventDestroy(stop));
  return summarize(t);
}

}  // namespace rsb
