#include "models/measurements.hpp"

#include "core/error.hpp"
#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace racksim {

namespace {

constexpr const char* kFormat = "racksim-measurements";

// The unit each kind's "value" is in.
std::string unit_of(const std::string& kind) {
  if (kind == "gemm" || kind == "roofline") return "FLOP/s";
  if (kind == "pointer_chase" || kind == "launch") return "s";
  return "B/s";  // stream, memcpy, peer_copy, allreduce
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Precision dtype_of(const ConfigNode& n) {
  const std::string s = n.as_choice({"fp64", "fp32", "fp16", "bf16", "fp8"});
  return *precision_from_string(s);
}

// One case: checks its keys (all of them: a case with a key this reader does not know is
// refused, so a changed runner cannot pass silently) and maps it onto the kernel model.
MeasuredCase read_case(const ConfigNode& c, double l2_bytes) {
  MapReader r(c, "measurement case");
  MeasuredCase m;
  m.id = r.required("id").as_string();
  const std::string kind =
      r.required("kind").as_choice({"stream", "gemm", "roofline", "pointer_chase", "launch", "memcpy", "peer_copy", "allreduce"});
  m.metric = kind;
  const ConfigNode unit = r.required("unit");
  if (unit.as_string() != unit_of(kind))
    unit.fail(fmt::format("expected '{}' (the unit of a {} case's value), got '{}'", unit_of(kind), kind, unit.as_string()));
  const ConfigNode value = r.required("value");
  m.measured = value.as_number();
  if (!(m.measured > 0.0)) value.fail(fmt::format("expected a positive {} value, got {}", unit_of(kind), m.measured));
  const std::string check = r.required("check").as_string();
  // Timing fields every timed case carries; read so that they are checked (numbers) and known.
  for (const char* k : {"time_s", "time_min_s", "time_max_s"})
    if (const auto t = r.optional(k)) (void)t->as_number();
  if (const auto n = r.optional("repeats")) (void)n->as_int(1, 1 << 30);

  auto bytes_key = [&](const char* k) { return r.required(k).as_int(1, 1LL << 50); };
  if (kind == "stream") {
    const std::string op = r.required("op").as_choice({"copy", "scale", "add", "triad"});
    const ConfigNode dt = r.required("dtype");
    const Precision p = dtype_of(dt);
    const auto array = static_cast<double>(bytes_key("array_bytes"));
    (void)bytes_key("bytes");
    (void)r.required("flops").as_number();
    const double arrays = op == "copy" || op == "scale" ? 2.0 : 3.0;
    if (p != Precision::fp64) m.skip_reason = "STREAM kernels are modelled in fp64 (BabelStream's type)";
    else if (arrays * array < 4.0 * l2_bytes)
      m.skip_reason = fmt::format("cache-resident ({:.3g} MB of arrays against a {:.3g} MB L2): the kernel model has no cache level",
                                  arrays * array / 1e6, l2_bytes / 1e6);
    else {
      m.work = stream_work(*stream_op_from_string(op), Bytes(array), Precision::fp64);
      m.fit_point = true;
    }
  } else if (kind == "gemm") {
    const std::string impl = r.required("impl").as_choice({"racksim", "cublas", "hipblaslt", "rocblas"});
    const Precision p = dtype_of(r.required("dtype"));
    GemmShape s;
    s.m = r.required("m").as_int(1, 1LL << 40);
    s.n = r.required("n").as_int(1, 1LL << 40);
    s.k = r.required("k").as_int(1, 1LL << 40);
    (void)r.required("flops").as_number();
    (void)bytes_key("bytes");
    if (impl == "racksim")
      m.skip_reason = "the project's own tiled GEMM (a check of the suite): the kernel model is of vendor-library GEMMs";
    else {
      m.work = gemm_work(s, p);
      m.fit_point = std::min(s.m, s.n) >= 256;
    }
  } else if (kind == "roofline") {
    const Precision p = dtype_of(r.required("dtype"));
    (void)r.required("flops_per_byte").as_number();
    const double flops = r.required("flops").as_number();
    const auto bytes = static_cast<double>(bytes_key("bytes"));
    if (p == Precision::fp16 || p == Precision::bf16 || p == Precision::fp8)
      m.skip_reason = "scalar FMAs in a low precision: the catalog's peak for it is the matrix cores' rate";
    else
      m.work = generic_work(Flops(flops), p, Bytes(bytes));
  } else if (kind == "launch") {
    const std::string mode = r.required("mode").as_choice({"back_to_back", "synchronized"});
    if (mode == "back_to_back") m.launch = true;
    else m.skip_reason = "a launch with a host synchronization each time: the model's launch overhead is the spacing on a stream";
  } else if (kind == "pointer_chase") {
    (void)bytes_key("footprint_bytes");
    (void)bytes_key("stride_bytes");
    (void)r.required("loads").as_number();
    m.skip_reason = "load latency: the kernel model has no latency or cache level";
  } else if (kind == "memcpy") {
    (void)r.required("direction").as_choice({"h2d", "d2h"});
    (void)r.required("pinned").as_bool();
    (void)bytes_key("bytes");
    m.skip_reason = "a host<->device copy: modelled by the host link, not the kernel model";
  } else if (kind == "peer_copy") {
    (void)r.required("src").as_int(0, 1 << 20);
    (void)r.required("dst").as_int(0, 1 << 20);
    (void)bytes_key("bytes");
    m.skip_reason = "a peer copy: a scale-up link, validated through collectives (racksim validate --system)";
  } else {  // allreduce
    (void)r.required("gpus").as_int(2, 1 << 20);
    (void)bytes_key("bytes");
    m.skip_reason = "a collective: validated by racksim validate --system";
  }
  r.finish();
  if (check != "ok") {
    m.skip_reason = fmt::format("its own result check failed ({})", check);
    m.work.reset();
    m.launch = false;
    m.fit_point = false;
  }
  if (!m.skip_reason.empty()) {
    m.work.reset();
    m.fit_point = false;
  }
  return m;
}

}  // namespace

bool is_racksim_measurements(const ConfigNode& root) {
  return root.is_map() && root.has("format") && root.child("format").is_scalar() && root.child("format").as_string() == kFormat;
}

bool is_racksim_measurements(const std::string& path) { return is_racksim_measurements(ConfigDoc::load_file(path).root()); }

std::vector<MeasuredCase> read_racksim_measurements(const std::string& path, const std::string& gpu_id, const std::string& token,
                                                    MeasurementProvenance* provenance) {
  return read_racksim_measurements(ConfigDoc::load_file(path), gpu_id, token, provenance);
}

std::vector<MeasuredCase> read_racksim_measurements(const ConfigDoc& doc, const std::string& gpu_id, const std::string& token,
                                                    MeasurementProvenance* provenance) {
  MapReader top(doc.root(), "racksim measurements file");
  const ConfigNode format = top.required("format");
  if (format.as_string() != kFormat) format.fail(fmt::format("expected '{}'", kFormat));
  const ConfigNode version = top.required("format_version");
  if (version.as_int(0, 1000) != 1) version.fail("expected format_version 1 (the version this racksim reads)");
  const ConfigNode gpu = top.required("gpu");
  const std::string measured_on = gpu.as_text();

  MeasurementProvenance prov;
  prov.file = doc.file();
  double l2_bytes = 0.0;
  {
    MapReader d(top.required("device"), "device");
    prov.device = d.required("name").as_string();
    (void)d.required("vendor").as_choice({"nvidia", "amd"});
    prov.arch = d.required("arch").as_string();
    (void)d.required("compute_units").as_int(1, 1 << 20);
    (void)d.required("memory_bytes").as_int(1, 1LL << 50);
    (void)d.required("core_clock_mhz").as_number();
    (void)d.required("memory_clock_mhz").as_number();
    (void)d.required("memory_bus_bits").as_int(0, 1 << 20);
    l2_bytes = static_cast<double>(d.required("l2_bytes").as_int(0, 1LL << 40));
    (void)d.required("count").as_int(1, 1 << 20);
    d.finish();
  }
  prov.driver = top.required("driver").as_string();
  prov.runtime = top.required("runtime").as_string();
  prov.date = top.required("date").as_string();
  prov.host = top.required("host").as_string();
  {
    MapReader rn(top.required("runner"), "runner");
    (void)rn.required("version").as_int(1, 1000);
    (void)rn.required("warmup").as_int(0, 1 << 20);
    (void)rn.required("repeats").as_int(1, 1 << 20);
    (void)rn.required("timing").as_string();
    rn.finish();
  }
  if (!measured_on.empty()) {
    if (measured_on != gpu_id)
      gpu.fail(fmt::format("the file was measured on '{}' ({}), not on '{}'", measured_on, prov.device, gpu_id));
  } else if (lower(prov.device).find(lower(token)) == std::string::npos) {
    gpu.fail(fmt::format("unknown device: '{}' is not a {} (catalog id '{}'); rerun tools/microbench.sh with --gpu-id ID "
                         "to name the catalog entry it was measured on",
                         prov.device, token, gpu_id));
  }
  std::vector<MeasuredCase> out;
  for (const auto& c : top.required("cases").items()) out.push_back(read_case(c, l2_bytes));
  if (const auto skipped = top.optional("skipped"))
    for (const auto& s : skipped->items()) {
      MapReader sr(s, "skipped benchmark");
      (void)sr.required("kind").as_string();
      (void)sr.required("reason").as_string();
      sr.finish();
    }
  top.finish();
  if (provenance) *provenance = prov;
  return out;
}

}  // namespace racksim
