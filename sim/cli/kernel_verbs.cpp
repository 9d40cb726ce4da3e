// racksim cli: the verbs of the GPU kernel model — predict kernel, calibrate, validate --gpu.
#include "sim/cli/kernel_verbs.hpp"

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "models/calibration.hpp"
#include "core/atomic_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <cstdlib>
#include <map>

#include <cmath>
#include <fstream>
#include <ostream>

namespace racksim {

namespace {

const GpuSpec& gpu_or_fail(const Catalog& c, const std::string& id) {
  if (const GpuSpec* g = c.find_gpu(id)) return *g;
  std::string ids;
  for (const auto& x : c.gpu_ids()) ids += (ids.empty() ? "" : ", ") + x;
  throw InputError(Location{"--gpu", 0, 0, ""}, fmt::format("unknown GPU '{}'; catalog GPUs: {}", id, ids));
}

Location opt_loc(const std::string& name, const std::string& value) { return Location{fmt::format("{} {}", name, value), 0, 0, ""}; }

std::vector<std::int64_t> dims(const std::string& opt, const std::string& text, std::size_t min_n, std::size_t max_n) {
  std::vector<std::int64_t> v;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto x = text.find('x', start);
    if (x == std::string::npos) x = text.size();
    const std::string part = text.substr(start, x - start);
    char* end = nullptr;
    errno = 0;
    const long long d = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || !std::isdigit(static_cast<unsigned char>(part[0])) || end != part.c_str() + part.size() ||
        errno == ERANGE || d <= 0)
      throw InputError(opt_loc(opt, text), fmt::format("expected positive integers joined by 'x', got '{}'", part));
    v.push_back(d);
    start = x + 1;
  }
  if (v.size() < min_n || v.size() > max_n)
    throw InputError(opt_loc(opt, text), fmt::format("expected {} to {} dimensions joined by 'x'", min_n, max_n));
  return v;
}

Precision dtype_of(const std::string& s) {
  const auto p = precision_from_string(s);
  if (!p) throw InputError(opt_loc("--dtype", s), fmt::format("unknown dtype '{}'; valid: {}", s, precision_names()));
  return *p;
}

std::string calibration_dir(const std::string& data_dir) { return data_dir + "/models/catalog/calibration"; }

// The kernel the arguments describe: exactly one of --gemm, --stream, --attention (args.hpp
// checked that, and that --dtype or --bytes come with the one that needs them).
KernelWork kernel_work(const ParsedArgs& a) {
  if (const auto gemm = a.text("--gemm")) {
    const auto d = dims("--gemm", *gemm, 3, 4);
    GemmShape s{d[0], d[1], d[2], d.size() > 3 ? d[3] : 1, false, false};
    return gemm_work(s, dtype_of(*a.text("--dtype")));
  }
  if (const auto attention = a.text("--attention")) {
    const auto d = dims("--attention", *attention, 4, 4);
    AttentionShape s{d[0], d[1], d[2], d[3], a.flag("--causal")};
    return attention_work(s, dtype_of(*a.text("--dtype")));
  }
  const std::string opname = *a.text("--stream");
  const auto op = stream_op_from_string(opname);
  if (!op) throw InputError(opt_loc("--stream", opname), "unknown stream kernel; valid: copy, scale, add, triad, dot");
  const Precision dt = a.text("--dtype") ? dtype_of(*a.text("--dtype")) : Precision::fp64;
  return stream_work(*op, Bytes(static_cast<double>(*a.bytes("--bytes"))), dt);
}

ClockState clock_of(const ParsedArgs& a) {
  ClockState clock;
  if (const auto t = a.text("--clock")) {
    try {
      clock.core = parse_hertz(t->find_first_not_of("0123456789.") == std::string::npos ? *t + " MHz" : *t);
    } catch (const UnitError& e) {
      throw InputError(opt_loc("--clock", *t), e.what());
    }
  }
  if (const auto r = a.number("--hbm-clock-ratio")) clock.hbm_ratio = *r;
  return clock;
}

std::string estimate_json(const GpuSpec& gpu, const KernelWork& w, const KernelEstimate& e) {
  const double t = e.time.value();
  JsonWriter j;
  j.begin_object();
  j.field("gpu", gpu.id).field("kernel", w.description).field("class", to_string(w.cls)).field("dtype", to_string(w.dtype));
  j.field("time_s", t).field("launch_overhead_s", e.launch_overhead.value());
  j.field("flops", w.flops.value()).field("bytes", w.bytes.value());
  if (w.flops.value() > 0) j.field("flops_per_s", w.flops.value() / t);
  if (w.bytes.value() > 0) j.field("bytes_per_s", w.bytes.value() / t);
  j.field("bound", std::string(e.compute_bound ? "compute" : "memory"));
  j.field("eta_compute", e.eta_compute).field("eta_memory", e.eta_memory);
  if (const auto& q = e.gemm_waves) {
    j.key("gemm_waves").begin_object();
    j.field("tile_m", q->tile.m).field("tile_n", q->tile.n);
    j.field("tile_source", q->tile.source).field("compute_units", q->compute_units);
    j.field("tiles", q->tiles).field("waves", q->waves).field("useful_fraction", q->useful_fraction);
    j.end_object();
  }
  j.key("calibration_points").begin_array();
  for (const auto& p : e.points_used) j.value(p);
  j.end_array();
  j.key("notes").begin_array();
  for (const auto& n : e.notes) j.value(n);
  j.end_array();
  j.end_object();
  return j.str();
}

std::string estimate_text(const GpuSpec& gpu, const KernelWork& w, const KernelEstimate& e) {
  const double t = e.time.value();
  std::string out = fmt::format("{} on {} ({})\n", w.description, gpu.id, gpu.name);
  out += fmt::format("  time                {} (device; + {} launch overhead)\n", format_seconds(e.time), format_seconds(e.launch_overhead));
  if (w.flops.value() > 0) out += fmt::format("  achieved            {}\n", format_flop_rate(FlopRate(w.flops.value() / t)));
  if (w.bytes.value() > 0) out += fmt::format("  HBM traffic         {} at {}\n", format_bytes(w.bytes), format_rate(BytesPerSecond(w.bytes.value() / t)));
  out += fmt::format("  bound               {} (compute {}, memory {})\n", e.compute_bound ? "compute" : "memory",
                     format_seconds(e.compute_time), format_seconds(e.memory_time));
  out += fmt::format("  efficiency          compute {:.3f}, memory {:.3f}\n", e.eta_compute, e.eta_memory);
  if (const auto& q = e.gemm_waves) {
    out += fmt::format("  tiles               {:.0f} of {}x{}: {}\n", q->tiles, q->tile.m, q->tile.n, q->tile.source);
    out += fmt::format("  waves               {:.0f} on {} compute units; useful fraction q {:.4f}\n", q->waves,
                       q->compute_units, q->useful_fraction);
  }
  std::string used;
  for (const auto& p : e.points_used) used += (used.empty() ? "" : ", ") + p;
  out += fmt::format("  calibration points  {}\n", used.empty() ? "none" : used);
  for (const auto& n : e.notes) out += fmt::format("  note                {}\n", n);
  return out;
}

int cmd_predict(const ParsedArgs& a, const CliContext& ctx) {
  const std::string data_dir = ctx.data_dir();
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, *a.text("--gpu"));
  const KernelWork w = kernel_work(a);
  const ClockState clock = clock_of(a);
  const auto cal = calibration_for(gpu, catalog, calibration_dir(data_dir));
  KernelEstimate e;
  try {
    e = estimate_kernel(gpu, cal ? &*cal : nullptr, w, clock);
  } catch (const InputError&) {
    throw;
  } catch (const Error& err) {
    throw InputError(Location{"racksim predict", 0, 0, ""}, err.what());
  }
  ctx.out << (a.flag("--json") ? estimate_json(gpu, w, e) : estimate_text(gpu, w, e));
  return 0;
}

}  // namespace

Verb predict_kernel_verb() {
  VerbSpec s;
  s.name = "predict kernel";
  s.words = {"predict", "kernel"};
  s.summary = "The GPU kernel model alone, no simulation: time, achieved rate, compute- or memory-bound, the "
              "efficiencies and the calibration points used (docs/gpu-model.md).";
  s.options = {
      text("--gpu", "ID", "the catalog GPU (h100, mi300x, ...)").required(),
      text("--gemm", "MxNxK[xBATCH]", "a GEMM of these dimensions (needs --dtype)"),
      text("--stream", "OP", "a STREAM kernel: copy, scale, add, triad or dot (needs --bytes)"),
      byte_count("--bytes", "SIZE", 1, "the size of each STREAM array"),
      text("--attention", "BxHxSxD", "flash attention: batch x heads x sequence x head size (needs --dtype)"),
      flag("--causal", "causal attention (with --attention)"),
      text("--dtype", "DT", "the precision: fp64, fp32, tf32, bf16, fp16, fp8, fp6, fp4").default_shown("fp64 for --stream"),
      text("--clock", "MHz", "the core clock, in MHz or with a unit (1.8 GHz)").default_shown("the GPU's maximum"),
      number_above("--hbm-clock-ratio", "R", 0.0, "the HBM clock relative to nominal").default_shown("1"),
      flag("--json", "print one JSON object instead of the table")};
  using K = Constraint::Kind;
  s.constraints = {{K::OneOf, {"--gemm", "--stream", "--attention"}, ""},
                   {K::Requires, {"--gemm", "--dtype"}, ""},
                   {K::Requires, {"--attention", "--dtype"}, ""},
                   {K::Requires, {"--stream", "--bytes"}, ""},
                   {K::Requires, {"--bytes", "--stream"}, "it is the size of each STREAM array"},
                   {K::Requires, {"--causal", "--attention"}, ""}};
  s.exits = {{3, "invalid input: an unknown GPU or dtype, or a shape, size or clock out of range"}};
  return {s, cmd_predict};
}

namespace {
void print_results(std::ostream& out, const std::vector<CaseResult>& rs, const char* title) {
  out << fmt::format("\n{}\n  {:<58} {:>10} {:>10} {:>9}  {}\n", title, "case", "measured", "predicted", "error", "");
  for (const auto& r : rs) {
    if (r.skipped) {
      out << fmt::format("  {:<58} {:>10} {:>10} {:>9}  skipped: {}\n", r.id, "-", "-", "-", r.note);
      continue;
    }
    out << fmt::format("  {:<58} {:>10.4g} {:>10.4g} {:>8.1f}%  {} ({})\n", r.id, r.measured, r.predicted, 100.0 * r.error,
                       r.unit, r.note);
  }
  const CaseResult* worst = nullptr;
  for (const auto& r : rs)
    if (!r.skipped && (!worst || std::fabs(r.error) > std::fabs(worst->error))) worst = &r;
  out << fmt::format("  median |error| {:.2f}%", 100.0 * median_abs_error(rs));
  if (worst) out << fmt::format("; worst {} at {:+.1f}%", worst->id, 100.0 * worst->error);
  out << "\n";
}

int cmd_calibrate(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const std::vector<std::string>& files = a.positional();
  const std::string out_path = *a.text("--out");
  if (std::filesystem::is_directory(out_path))  // before the fit: write_atomic would refuse it after
    throw OutputError(fmt::format("cannot write {}: it is a folder, not a file; name the calibration file", out_path));
  if (std::ifstream(out_path) && !a.flag("--force"))
    throw OutputError(fmt::format("{} exists; racksim never overwrites a calibration without --force", out_path));
  const std::string data_dir = ctx.data_dir();
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, *a.text("--gpu"));
  const auto cases = read_published_cases(files, gpu.id);
  std::size_t usable = 0;
  for (const auto& c : cases) usable += c.work && c.fit_point ? 1 : 0;
  if (usable == 0)
    throw InputError(Location{files[0], 0, 0, ""}, fmt::format("no usable kernel case for GPU '{}'", gpu.id));
  const auto before = calibration_for(gpu, catalog, calibration_dir(data_dir));
  std::string base;
  for (const auto& p : files) base += (base.empty() ? "" : " + ") + std::filesystem::path(p).filename().string();
  GpuCalibration after = fit_calibration(gpu, cases, base);
  // The attention backward ratio is fitted on whole training steps, not on these kernel cases
  // (tools/fit_attention_backward.py): kept from the GPU's own current file.
  if (before && before->scaled_from.empty()) after.attention_backward = before->attention_backward;
  print_results(out, compare_cases(gpu, before ? &*before : nullptr, cases),
                before ? "before (the current tables):" : "before (no tables: plain roofline):");
  print_results(out, compare_cases(gpu, &after, cases), "after (the refitted tables):");
  print_results(out, leave_one_out(gpu, cases, base), "leave-one-out (each fit case predicted by tables fitted without it):");
  std::string cmd = "racksim calibrate";
  for (const auto& p : files) cmd += " " + p;
  write_atomic(out_path, calibration_yaml(after, fmt::format("{} --gpu {}", cmd, gpu.id)));
  out << fmt::format("\nwrote {}\n", out_path);
  return 0;
}

std::string validation_json(const std::string& gpu, double med, double budget, const std::vector<CaseResult>& rs) {
  JsonWriter j;
  j.begin_object();
  j.field("gpu", gpu).field("median_abs_error", med).field("budget", budget);
  j.key("cases").begin_array();
  for (const auto& r : rs) {
    j.begin_object().field("id", r.id);
    if (r.skipped) {
      j.field("skipped", r.note);
    } else {
      j.field("unit", r.unit).field("predicted", r.predicted).field("measured", r.measured).field("error", r.error);
      j.field("role", r.note);
    }
    j.end_object();
  }
  j.end_array().end_object();
  return j.str();
}

// The files, joined by ", " for messages.
std::string file_list(const std::vector<std::string>& files) {
  std::string list;
  for (const auto& p : files) list += (list.empty() ? "" : ", ") + p;
  return list;
}

// Whether the kernel model has something to compare a case with (not a skipped case).
bool comparable(const MeasuredCase& c) { return c.launch || c.work.has_value(); }

// Zero comparable cases is no validation at all (it used to print "0.00%, within"): an error
// naming the GPU, the files, and the catalog GPUs they do hold cases for.
void require_comparable_cases(const std::vector<MeasuredCase>& cases, const GpuSpec& gpu, const Catalog& catalog,
                              const std::vector<std::string>& files) {
  if (std::any_of(cases.begin(), cases.end(), comparable)) return;
  std::string have;
  for (const auto& id : catalog.gpu_ids()) {
    const auto other = read_published_cases(files, id);
    if (std::any_of(other.begin(), other.end(), comparable)) have += (have.empty() ? "" : ", ") + id;
  }
  throw InputError(opt_loc("--gpu", gpu.id),
                   fmt::format("no kernel case of this GPU to compare in {}{}; {}", file_list(files),
                               cases.empty() ? "" : fmt::format(" ({} case{}, all skipped)", cases.size(), cases.size() == 1 ? "" : "s"),
                               have.empty() ? "they hold no comparable kernel case for any catalog GPU"
                                            : "they hold kernel cases for: " + have));
}

int cmd_validate(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const std::vector<std::string>& files = a.positional();
  const std::string data_dir = ctx.data_dir();
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, *a.text("--gpu"));
  const double budget = *a.number("--budget") / 100.0;
  const bool refit = a.flag("--leave-one-out");
  std::vector<MeasurementProvenance> provenance;
  const auto cases = read_published_cases(files, gpu.id, &provenance);
  require_comparable_cases(cases, gpu, catalog, files);
  const auto cal = calibration_for(gpu, catalog, calibration_dir(data_dir));
  const auto rs = refit ? leave_one_out(gpu, cases, "validation") : compare_cases(gpu, cal ? &*cal : nullptr, cases);
  if (std::none_of(rs.begin(), rs.end(), [](const CaseResult& r) { return !r.skipped; }))
    throw InputError(Location{"--leave-one-out", 0, 0, ""},
                     fmt::format("no kernel case of GPU '{}' in {} is a fit point, so none can be left out and refitted; "
                                 "validate without --leave-one-out",
                                 gpu.id, file_list(files)));
  const double med = median_abs_error(rs);
  if (a.flag("--json")) {
    out << validation_json(gpu.id, med, budget, rs);
  } else {
    const std::string list = file_list(files);
    // Where racksim's own measurements were taken (the files' provenance).
    for (const auto& m : provenance)
      out << fmt::format("{}: {} ({}), driver {}, {}, measured {} on {}\n", m.file, m.device, m.arch, m.driver, m.runtime, m.date,
                         m.host);
    print_results(out, rs,
                  fmt::format("{} kernel model vs {}{}:", gpu.id, list, refit ? " (leave-one-out refits)" : "").c_str());
    out << fmt::format("  budget: median |error| <= {:.1f}%: {}\n", 100.0 * budget, med <= budget ? "within" : "EXCEEDED");
  }
  return med <= budget ? 0 : 1;
}

PositionalSpec measurements_argument() {
  return {"MEASUREMENTS", "a measurements file",
          "measurements files: published ones like validation/reference/*.yaml, or the racksim-measurements JSON "
          "that tools/microbench.sh writes",
          true, true};
}

}  // namespace

Verb calibrate_verb() {
  VerbSpec s;
  s.name = "calibrate";
  s.words = {"calibrate"};
  s.summary = "Fit the GPU's kernel-model efficiency tables from measurements files, print predicted vs measured per "
              "case before and after the fit and with each case left out, and write the tables to FILE (never over an "
              "existing file without --force).";
  s.positionals = {measurements_argument()};
  s.options = {text("--gpu", "ID", "the catalog GPU whose cases are fitted").required(),
               text("--out", "FILE", "the calibration file to write").required(),
               flag("--force", "replace an existing FILE")};
  s.exits = {{3, "invalid input: a measurements file, an unknown GPU, or no usable case of it"},
               {5, "FILE exists (without --force), is a folder, or could not be written"}};
  return {s, cmd_calibrate};
}

Verb validate_kernels_verb() {
  VerbSpec s;
  s.name = "validate --gpu";
  s.words = {"validate"};
  s.summary = "Predicted vs measured for every kernel case of the GPU; exit status 1 when the median |error| exceeds "
              "the budget.";
  s.positionals = {measurements_argument()};
  s.options = {text("--gpu", "ID", "the catalog GPU whose kernel cases are compared").required(),
               number_above("--budget", "PERCENT", 0.0, "the largest median |error| that passes, in percent").defaults_to("5"),
               flag("--leave-one-out", "predict each case with tables refitted without it"),
               flag("--json", "print one JSON object instead of the table")};
  s.exits = {{1, "the median |error| is past the budget"},
               {3, "invalid input: a measurements file, an unknown GPU, or no case of it to compare"}};
  return {s, cmd_validate};
}

}  // namespace racksim
