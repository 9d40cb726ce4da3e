// racksim-hip: the racksim HIP microbenchmark suite (validation/hip/README.md).
//
// Runs the benchmark families on the local GPU(s) and writes one measurements file in the
// racksim-measurements format (format_version 1) that `racksim validate` and `racksim calibrate`
// read. This file holds the command line, the device description, the JSON writer, the summary
// table and the helpers of bench.hpp; each family lives in its own translation unit.
//
// usage: racksim-hip [--quick] [--out FILE | --out-dir DIR] [--gpu-id ID] [--warmup N] [--repeats N]
//                    [--only KIND[,KIND...]]
// Exit status: 0 all cases passed their checks, 1 some case failed its check (the file is still
// written), 2 usage, runtime or I/O error.
#include "bench.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace rsb {

// ---- Record

Record& Record::str(const std::string& k, const std::string& v) {
  Field f;
  f.key = k;
  f.type = Field::Str;
  f.s = v;
  fields_.push_back(f);
  return *this;
}
Record& Record::integer(const std::string& k, long long v) {
  Field f;
  f.key = k;
  f.type = Field::Int;
  f.i = v;
  fields_.push_back(f);
  return *this;
}
Record& Record::num(const std::string& k, double v) {
  Field f;
  f.key = k;
  f.type = Field::Num;
  f.d = v;
  fields_.push_back(f);
  return *this;
}
Record& Record::boolean(const std::string& k, bool v) {
  Field f;
  f.key = k;
  f.type = Field::Bool;
  f.b = v;
  fields_.push_back(f);
  return *this;
}
std::string Record::get_str(const std::string& k) const {
  for (const Field& f : fields_)
    if (f.key == k && f.type == Field::Str) return f.s;
  return "";
}
double Record::get_num(const std::string& k) const {
  for (const Field& f : fields_) {
    if (f.key != k) continue;
    if (f.type == Field::Num) return f.d;
    if (f.type == Field::Int) return static_cast<double>(f.i);
  }
  return NAN;
}

Record& add_timing(Record& r, const Stats& s) {
  return r.num("time_s", s.median_s).num("time_min_s", s.min_s).num("time_max_s", s.max_s).integer("repeats", s.repeats);
}

Stats summarize(std::vector<double> t) {
  Stats s;
  s.repeats = static_cast<int>(t.size());
  if (t.empty()) return s;
  std::sort(t.begin(), t.end());
  const size_t n = t.size();
  s.median_s = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  s.min_s = t.front();
  s.max_s = t.back();
  return s;
}

// ---- Context

bool Context::wants(const std::string& kind) const {
  if (opt.only.empty()) return true;
  return std::find(opt.only.begin(), opt.only.end(), kind) != opt.only.end();
}

void Context::add_case(const Record& r) {
  cases.push_back(r);
  const std::string check = r.get_str("check");
  if (check != "ok") ++failed;
  std::fprintf(stderr, "  %-44s %s\n", r.get_str("id").c_str(), check.c_str());
}

void Context::skip(const std::string& kind, const std::string& reason) {
  Record r;
  r.str("kind", kind).str("reason", reason);
  skipped.push_back(r);
  std::fprintf(stderr, "  skipped %s: %s\n", kind.c_str(), reason.c_str());
}

size_t Context::free_memory() const {
  size_t free_b = 0, total_b = 0;
  HIP_CHECK(hipMemGetInfo(&free_b, &total_b));
  return free_b;
}

// ---- Check

void Check::expect(bool ok, const std::string& what_if_not) {
  ++n_;
  if (ok) return;
  if (bad_ == 0) first_ = what_if_not;
  ++bad_;
}

std::string Check::result() const {
  if (bad_ == 0) return "ok";
  if (n_ <= 1) return "failed: " + first_;
  return fmt("failed: %lld of %lld checked values wrong; first: %s", bad_, n_, first_.c_str());
}

std::vector<size_t> sample_indices(size_t n, size_t count, uint64_t seed) {
  std::vector<size_t> idx;
  if (n == 0) return idx;
  if (n <= count) {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  const size_t even = count / 2;
  for (size_t k = 0; k < even; ++k) idx.push_back(static_cast<size_t>(static_cast<double>(k) * static_cast<double>(n) / static_cast<double>(even)));
  for (size_t k = even; k + 1 < count; ++k) idx.push_back(static_cast<size_t>(rs_hash2(seed, k) % n));
  idx.push_back(n - 1);
  return idx;
}

std::string fmt(const char* f, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// ---- dtypes

float half_bits_to_float(unsigned short h) {
  const unsigned sign = (h >> 15) & 1u, ex = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  float v;
  if (ex == 0) v = std::ldexp(static_cast<float>(man), -24);
  else if (ex == 31) v = man ? NAN : INFINITY;
  else v = std::ldexp(static_cast<float>(man | 0x400u), static_cast<int>(ex) - 25);
  return sign ? -v : v;
}

unsigned short float_to_half_bits(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  const unsigned sign = (u >> 16) & 0x8000u;
  const float a = std::fabs(f);
  if (std::isnan(f)) return static_cast<unsigned short>(sign | 0x7e00u);
  if (a >= 65520.0f) return static_cast<unsigned short>(sign | 0x7c00u);  // rounds to infinity
  if (a < 0x1.0p-14f) {  // subnormal: a multiple of 2^-24, nearbyint rounds to even
    return static_cast<unsigned short>(sign | static_cast<unsigned>(std::nearbyint(a * 0x1.0p24f)));
  }
  int e;
  const float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  unsigned q = static_cast<unsigned>(std::nearbyint(m * 2048.0f));  // 11 significant bits
  if (q == 2048) {
    q = 1024;
    ++e;
  }
  const unsigned ex = static_cast<unsigned>(e + 14);
  if (ex >= 31) return static_cast<unsigned short>(sign | 0x7c00u);
  return static_cast<unsigned short>(sign | (ex << 10) | (q & 0x3ffu));
}

double dtype_eps(const std::string& dtype) {
  if (dtype == "fp64") return 0x1.0p-53;
  if (dtype == "fp32") return 0x1.0p-24;
  if (dtype == "fp16") return 0x1.0p-11;
  return 0x1.0p-8;  // bf16
}

namespace {

// ---- JSON

std::string json_escape(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) o += fmt("\\u%04x", c);
        else o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt("%.17g", v);
}

std::string json_record(const Record& r) {
  std::string o = "{";
  bool first = true;
  for (const Field& f : r.fields()) {
    if (!first) o += ", ";
    first = false;
    o += json_escape(f.key) + ": ";
    switch (f.type) {
      case Field::Str: o += json_escape(f.s); break;
      case Field::Int: o += fmt("%lld", f.i); break;
      case Field::Num: o += json_number(f.d); break;
      case Field::Bool: o += f.b ? "true" : "false"; break;
    }
  }
  return o + "}";
}

// ---- the device and its software

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

std::string read_first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  if (f) std::getline(f, line);
  return trim(line);
}

std::string device_arch(const hipDeviceProp_t& p) {
#if RACKSIM_HIP_NVIDIA
  return fmt("sm_%d%d", p.major, p.minor);
#else
  std::string a = p.gcnArchName;  // e.g. "gfx90a:sramecc+:xnack-"
  return a.substr(0, a.find(':'));
#endif
}

std::string driver_string() {
  int v = 0;
  HIP_CHECK(hipDriverGetVersion(&v));
#if RACKSIM_HIP_NVIDIA
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..."
  std::string kernel_module;
  const std::string line = read_first_line("/proc/driver/nvidia/version");
  const size_t k = line.find("Kernel Module");
  if (k != std::string::npos) {
    std::istringstream in(line.substr(k + 13));
    in >> kernel_module;
  }
  const std::string api = fmt("CUDA driver API %d.%d", v / 1000, (v % 1000) / 10);
  return kernel_module.empty() ? api : kernel_module + " (" + api + ")";
#else
  const std::string amdgpu = read_first_line("/sys/module/amdgpu/version");
  const std::string api = fmt("HIP driver %d", v);
  return amdgpu.empty() ? api : "amdgpu " + amdgpu + " (" + api + ")";
#endif
}

std::string runtime_string() {
  int v = 0;
  HIP_CHECK(hipRuntimeGetVersion(&v));
#if RACKSIM_HIP_NVIDIA
  return fmt("CUDA %d.%d", v / 1000, (v % 1000) / 10);
#else
  return fmt("HIP %d.%d (%d)", v / 10000000, (v / 100000) % 100, v);
#endif
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3"
std::string slug(const std::string& name) {
  std::string o;
  for (unsigned char c : name) {
    if (std::isalnum(c)) o += static_cast<char>(std::tolower(c));
    else if (!o.empty() && o.back() != '-') o += '-';
  }
  while (!o.empty() && o.back() == '-') o.pop_back();
  return o.empty() ? "gpu" : o;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

Record device_record(const Context& ctx) {
  int core_khz = 0, mem_khz = 0, bus_bits = 0, l2 = 0;
  HIP_CHECK(hipDeviceGetAttribute(&core_khz, hipDeviceAttributeClockRate, 0));
  HIP_CHECK(hipDeviceGetAttribute(&mem_khz, hipDeviceAttributeMemoryClockRate, 0));
  HIP_CHECK(hipDeviceGetAttribute(&bus_bits, hipDeviceAttributeMemoryBusWidth, 0));
  HIP_CHECK(hipDeviceGetAttribute(&l2, hipDeviceAttributeL2CacheSize, 0));
  Record d;
  d.str("name", ctx.prop.name)
      .str("vendor", RACKSIM_HIP_NVIDIA ? "nvidia" : "amd")
      .str("arch", device_arch(ctx.prop))
      .integer("compute_units", ctx.prop.multiProcessorCount)
      .integer("memory_bytes", static_cast<long long>(ctx.prop.totalGlobalMem))
      .num("core_clock_mhz", core_khz / 1000.0)
      .num("memory_clock_mhz", mem_khz / 1000.0)
      .integer("memory_bus_bits", bus_bits)
      .integer("l2_bytes", l2)
      .integer("count", ctx.device_count);
  return d;
}

std::string measurements_json(const Context& ctx) {
  const Options& o = ctx.opt;
  Record runner;
  runner.integer("version", 1)
      .integer("warmup", o.warmup)
      .integer("repeats", o.repeats)
      .str("timing", "device events; median of repeats");
  std::string j = "{\n";
  j += "  \"format\": \"racksim-measurements\",\n";
  j += "  \"format_version\": 1,\n";
  j += "  \"gpu\": " + json_escape(o.gpu_id) + ",\n";
  j += "  \"device\": " + json_record(device_record(ctx)) + ",\n";
  j += "  \"driver\": " + json_escape(driver_string()) + ",\n";
  j += "  \"runtime\": " + json_escape(runtime_string()) + ",\n";
  j += "  \"date\": " + json_escape(utc_now()) + ",\n";
  j += "  \"host\": " + json_escape(host_name()) + ",\n";
  j += "  \"runner\": " + json_record(runner) + ",\n";
  j += "  \"cases\": [";
  for (size_t i = 0; i < ctx.cases.size(); ++i) j += std::string(i ? ",\n" : "\n") + "    " + json_record(ctx.cases[i]);
  j += ctx.cases.empty() ? "],\n" : "\n  ],\n";
  j += "  \"skipped\": [";
  for (size_t i = 0; i < ctx.skipped.size(); ++i) j += std::string(i ? ",\n" : "\n") + "    " + json_record(ctx.skipped[i]);
  j += ctx.skipped.empty() ? "]\n" : "\n  ]\n";
  return j + "}\n";
}

// ---- the summary table

std::string human(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "-";
  if (unit == "B/s") return fmt("%10.2f GB/s", v / 1e9);
  if (unit == "FLOP/s") return fmt("%10.2f TFLOP/s", v / 1e12);
  if (unit == "s") return v < 1e-6 ? fmt("%10.1f ns", v * 1e9) : fmt("%10.3f us", v * 1e6);
  return fmt("%10.4g %s", v, unit.c_str());
}

void print_table(const Context& ctx, FILE* to) {
  std::fprintf(to, "%-44s %18s %12s  %s\n", "case", "value", "median", "check");
  for (const Record& r : ctx.cases) {
    const double t = r.get_num("time_s");
    std::fprintf(to, "%-44s %18s %9.3f ms  %s\n", r.get_str("id").c_str(),
                 human(r.get_num("value"), r.get_str("unit")).c_str(), t * 1e3, r.get_str("check").c_str());
  }
  for (const Record& r : ctx.skipped)
    std::fprintf(to, "skipped %-36s %s\n", r.get_str("kind").c_str(), r.get_str("reason").c_str());
  std::fprintf(to, "%zu cases, %d failed, %zu skipped\n", ctx.cases.size(), ctx.failed, ctx.skipped.size());
}

// ---- the command line

const char* const kKinds[] = {"stream", "roofline", "gemm", "pointer_chase", "launch", "memcpy", "peer_copy", "allreduce"};

void usage(FILE* to) {
  std::fprintf(to,
               "usage: racksim-hip [--quick] [--out FILE | --out-dir DIR] [--gpu-id ID] [--warmup N] [--repeats N]\n"
               "                   [--only KIND[,KIND...]]\n"
               "  --quick      reduced grid of sizes (a first check, about a minute)\n"
               "  --out FILE   write the measurements there (refuses to overwrite); default stdout\n"
               "  --out-dir D  write them to D/<device>-<UTC date>[-N].json, a name not yet taken\n"
               "  --gpu-id ID  racksim catalog id of this GPU (e.g. h100, mi300x), recorded as \"gpu\"\n"
               "  --warmup N   untimed runs before each case (default 3)\n"
               "  --repeats N  timed samples per case; the median is reported (default 20)\n"
               "  --only K,..  run only these kinds: stream roofline gemm pointer_chase launch\n"
               "               memcpy peer_copy allreduce\n");
}

int parse_int(const std::string& flag, const char* v) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || n < 0 || n > 100000) {
    std::fprintf(stderr, "racksim-hip: %s needs a whole number, got '%s'\n", flag.c_str(), v);
    std::exit(2);
  }
  return static_cast<int>(n);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "racksim-hip: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--quick") o.quick = true;
    else if (a == "--out") o.out = value();
    else if (a == "--out-dir") o.out_dir = value();
    else if (a == "--gpu-id") o.gpu_id = value();
    else if (a == "--warmup") o.warmup = parse_int(a, value());
    else if (a == "--repeats") o.repeats = std::max(1, parse_int(a, value()));
    else if (a == "--only") {
      std::stringstream in(value());
      std::string k;
      while (std::getline(in, k, ',')) {
        if (std::find(std::begin(kKinds), std::end(kKinds), k) == std::end(kKinds)) {
          std::fprintf(stderr, "racksim-hip: unknown kind '%s' in --only\n", k.c_str());
          usage(stderr);
          std::exit(2);
        }
        o.only.push_back(k);
      }
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "racksim-hip: unknown argument '%s'\n", a.c_str());
      usage(stderr);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace
}  // namespace rsb

int main(int argc, char** argv) {
  using namespace rsb;
  Context ctx;
  ctx.opt = parse(argc, argv);

  const hipError_t count_err = hipGetDeviceCount(&ctx.device_count);
  if (count_err != hipSuccess || ctx.device_count < 1) {
    std::fprintf(stderr, "racksim-hip: no GPU: %s\n",
                 count_err != hipSuccess ? hipGetErrorString(count_err) : "the runtime reports 0 devices");
    return 2;
  }
  HIP_CHECK(hipSetDevice(0));
  HIP_CHECK(hipGetDeviceProperties(&ctx.prop, 0));

  // The file is created before the run, so a bad path fails at once, and never overwritten.
  FILE* out = stdout;
  if (!ctx.opt.out.empty()) {
    out = std::fopen(ctx.opt.out.c_str(), "wx");  // "x": fails if the file exists
    if (!out) {
      std::fprintf(stderr, "racksim-hip: cannot create %s (%s); measurements are never overwritten\n",
                   ctx.opt.out.c_str(), std::strerror(errno));
      return 2;
    }
  } else if (!ctx.opt.out_dir.empty()) {
    const std::string base = ctx.opt.out_dir + "/" + slug(ctx.prop.name) + "-" + utc_now().substr(0, 10);
    for (int k = 1; k < 1000 && out == stdout; ++k) {
      const std::string path = base + (k == 1 ? "" : fmt("-%d", k)) + ".json";
      FILE* f = std::fopen(path.c_str(), "wx");
      if (f) {
        out = f;
        ctx.opt.out = path;
      } else if (errno != EEXIST) {
        std::fprintf(stderr, "racksim-hip: cannot create %s (%s)\n", path.c_str(), std::strerror(errno));
        return 2;
      }
    }
    if (out == stdout) {
      std::fprintf(stderr, "racksim-hip: no free file name %s*.json\n", base.c_str());
      return 2;
    }
  }
  std::fprintf(stderr, "racksim-hip: %s (%s), %d device(s)%s\n", ctx.prop.name, device_arch(ctx.prop).c_str(),
               ctx.device_count, ctx.opt.quick ? ", quick grid" : "");

  struct Family {
    const char* kind;
    void (*run)(Context&);
  };
  const Family families[] = {{"stream", run_stream},       {"roofline", run_roofline},   {"gemm", run_gemm},
                             {"pointer_chase", run_pointer_chase}, {"launch", run_launch}, {"memcpy", run_memcpy},
                             {"peer_copy", run_peer_copy}, {"allreduce", run_allreduce}};
  for (const Family& f : families) {
    if (!ctx.wants(f.kind)) continue;
    std::fprintf(stderr, "[%s]\n", f.kind);
    HIP_CHECK(hipSetDevice(0));
    f.run(ctx);
    HIP_CHECK(hipSetDevice(0));
  }

  const std::string json = measurements_json(ctx);
  const bool to_stdout = out == stdout;
  if (std::fwrite(json.data(), 1, json.size(), out) != json.size() || (!to_stdout && std::fclose(out) != 0)) {
    std::fprintf(stderr, "racksim-hip: writing %s failed\n", ctx.opt.out.empty() ? "stdout" : ctx.opt.out.c_str());
    return 2;
  }
  print_table(ctx, to_stdout ? stderr : stdout);  // the table never mixes into JSON on stdout
  if (!ctx.opt.out.empty()) std::fprintf(stderr, "racksim-hip: wrote %s\n", ctx.opt.out.c_str());
  return ctx.failed ? 1 : 0;
}
