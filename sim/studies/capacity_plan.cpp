// racksim studies: capacity planning (docs/plan.md) — the plan file, the grid, screening, the
// training estimate from one step, the Pareto set, and the table and JSON. The rules and formulas
// are in capacity_plan.hpp.
#include "sim/studies/capacity_plan.hpp"

#include "core/json_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace racksim {

namespace {

std::string resolve_against(const std::string& file, const std::string& p) {
  const std::filesystem::path path(p);
  if (path.is_absolute()) return p;
  const std::filesystem::path dir = std::filesystem::path(file).parent_path();
  return dir.empty() ? p : (dir / path).string();
}

std::string base_name(const std::string& p) { return std::filesystem::path(p).filename().string(); }

std::vector<std::int64_t> int_list(const ConfigNode& n, std::int64_t min, std::int64_t max, const std::string& what) {
  if (!n.is_sequence()) n.fail(fmt::format("expected a list of {} (e.g. [8, 16]), got a single value", what));
  std::vector<std::int64_t> v;
  for (const auto& item : n.items()) {
    const std::int64_t x = item.as_int(min, max);
    if (std::find(v.begin(), v.end(), x) != v.end()) item.fail(fmt::format("{} is listed twice", x));
    v.push_back(x);
  }
  if (v.empty()) n.fail(fmt::format("expected a non-empty list of {}", what));
  return v;
}

PlanLayout read_layout(const ConfigNode& n) {
  PlanLayout l;
  l.where = n.location();
  MapReader r(n, "layout");
  if (n.has("dp"))
    n.child("dp").fail("dp is not set by a layout: it is derived, GPUs / (tp x pp x cp), so that the layout fills the cluster");
  if (auto v = r.optional("tp")) l.tp = v->as_int(1, 1 << 16);
  if (auto v = r.optional("pp")) l.pp = v->as_int(1, 1 << 16);
  if (auto v = r.optional("cp")) l.cp = v->as_int(1, 1 << 16);
  if (auto v = r.optional("ep")) l.ep = v->as_int(1, 1 << 16);
  if (auto v = r.optional("virtual_stages")) l.virtual_stages = v->as_int(1, 1 << 10);
  if (auto v = r.optional("micro")) l.micro = v->as_int(1, 1 << 20);
  if (auto v = r.optional("zero")) l.zero = v->as_int(0, 3);
  if (auto v = r.optional("sequence_parallel")) l.sequence_parallel = v->as_bool();
  if (auto v = r.optional("order")) l.order = v->as_choice({"tp-cp-dp-pp", "tp-cp-pp-dp"});
  if (auto v = r.optional("recompute")) l.recompute = v->as_choice({"none", "selective", "full"});
  r.finish();
  return l;
}

std::optional<Watts> positive_watts(const std::optional<ConfigNode>& n) {
  if (!n) return std::nullopt;
  const Watts w = n->as_watts();
  if (!(w.value() > 0.0)) n->fail(fmt::format("expected a power greater than zero, got '{}'", n->as_string()));
  return w;
}

// A serving layout: one instance's tp, pp, ep (workload.instance.*).
PlanLayout read_serving_layout(const ConfigNode& n) {
  PlanLayout l;
  l.where = n.location();
  MapReader r(n, "layout");
  if (auto v = r.optional("tp")) l.tp = v->as_int(1, 1 << 16);
  if (auto v = r.optional("pp")) l.pp = v->as_int(1, 1 << 16);
  if (auto v = r.optional("ep")) l.ep = v->as_int(1, 1 << 16);
  r.finish();
  return l;
}

double positive_duration(const ConfigNode& n) {
  const double v = n.as_duration().value();
  if (!(v > 0.0)) n.fail(fmt::format("expected a duration greater than zero, got '{}'", n.as_string()));
  return v;
}

// The keys after schema_version and name of a `kind: serving` plan.
void read_serving_plan(PlanSpec& p, MapReader& top) {
  {
    const ConfigNode rn = top.required("rates");
    if (!rn.is_sequence()) rn.fail("expected a list of request rates in requests/s, e.g. [20, 40]");
    for (const auto& item : rn.items()) {
      const double r = item.as_number();
      if (!(r > 0.0) || !std::isfinite(r)) item.fail(fmt::format("expected a request rate greater than zero (requests/s), got {}", r));
      if (std::find(p.rates.begin(), p.rates.end(), r) != p.rates.end()) item.fail(fmt::format("{} is listed twice", r));
      p.rates.push_back(r);
    }
    if (p.rates.empty()) rn.fail("expected a non-empty list of request rates (requests/s)");
  }
  if (auto sn = top.optional("slo")) {
    MapReader sr(*sn, "slo");
    if (auto v = sr.optional("ttft_p99")) p.ttft_p99_s = positive_duration(*v);
    if (auto v = sr.optional("tpot_p99")) p.tpot_p99_s = positive_duration(*v);
    sr.finish();
  }
  const ConfigNode sn = top.required("search");
  p.search_where = sn.location();
  MapReader sr(sn, "search");
  if (auto rn = sr.optional("racks")) p.racks = int_list(*rn, 1, 1'000'000, "rack counts");
  {
    const ConfigNode ln = sr.required("layouts");
    if (!ln.is_sequence()) ln.fail("expected a list of instance layouts, each a map such as {tp: 4}");
    for (const auto& item : ln.items()) p.layouts.push_back(read_serving_layout(item));
    if (p.layouts.empty()) ln.fail("expected at least one instance layout, e.g. [{tp: 4}]");
  }
  if (auto in = sr.optional("instances")) {
    if (!(in->is_scalar() && in->as_string() == "fill")) p.instances = int_list(*in, 1, 1 << 24, "instance counts, or fill");
  }
  sr.finish();
}

PlanSpec read_plan(const ConfigDoc& doc) {
  PlanSpec p;
  p.file = doc.file();
  MapReader top(doc.root(), "plan");
  const ConfigNode ver = top.required("schema_version");
  if (ver.as_int(1, 1000) != kPlanSchemaVersion)
    ver.fail(fmt::format("unsupported plan schema_version; this racksim reads version {}", kPlanSchemaVersion));
  if (auto k = top.optional("kind"))
    p.kind = k->as_choice({"training", "serving"}) == "serving" ? PlanKind::Serving : PlanKind::Training;
  p.name = top.required("name").as_string();
  if (auto d = top.optional("description")) p.description = d->as_string();
  const ConfigNode sc = top.required("scenario");
  p.scenario = resolve_against(p.file, sc.as_string());
  p.scenario_where = sc.location();
  if (auto o = top.optional("overrides")) {
    p.overrides_where = o->location();
    if (!o->is_sequence()) o->fail("expected a list of the base scenario's KEY=VALUE overrides, e.g. [power.pue=1.2]");
    for (const auto& item : o->items()) {
      const std::string a = item.as_string();
      const auto eq = a.find('=');
      if (eq == std::string::npos || eq == 0)
        item.fail(fmt::format("expected KEY=VALUE (a key of the base scenario, as racksim run --set takes it), got '{}'", a));
      p.overrides.push_back(a);
    }
  }
  if (auto ln = top.optional("limits")) {
    MapReader lr(*ln, "limits");
    p.limits.site_power = positive_watts(lr.optional("site_power"));
    p.limits.it_power = positive_watts(lr.optional("it_power"));
    if (auto v = lr.optional("racks")) p.limits.racks = v->as_int(1, 1'000'000);
    if (auto v = lr.optional("gpus")) p.limits.gpus = v->as_int(1, 1LL << 40);
    lr.finish();
  }
  if (p.kind == PlanKind::Serving) {
    read_serving_plan(p, top);
    top.finish();
    return p;
  }
  const ConfigNode tok = top.required("tokens");
  p.tokens = tok.as_number();
  if (!(p.tokens > 0.0)) tok.fail(fmt::format("expected the training tokens, a number greater than zero, got {}", p.tokens));
  p.deadline = parse_deadline(top.required("deadline"));
  const ConfigNode sn = top.required("search");
  p.search_where = sn.location();
  MapReader sr(sn, "search");
  p.racks = int_list(sr.required("racks"), 1, 1'000'000, "rack counts");
  {
    const ConfigNode ln = sr.required("layouts");
    if (!ln.is_sequence()) ln.fail("expected a list of layouts, each a map such as {tp: 8, pp: 9}");
    for (const auto& item : ln.items()) p.layouts.push_back(read_layout(item));
    if (p.layouts.empty()) ln.fail("expected at least one layout, e.g. [{tp: 8, pp: 9}]");
  }
  if (auto g = sr.optional("global_batch")) p.global_batch = int_list(*g, 1, 1LL << 32, "global batches (sequences per step)");
  sr.finish();
  top.finish();
  return p;
}

}  // namespace

Seconds parse_deadline(const ConfigNode& n) {
  const std::string s = n.is_scalar() ? n.as_string() : std::string();
  // Days are the plan's own addition to the duration units of core/units.hpp.
  std::string t = s;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  double v = 0.0;
  if (t.size() >= 2 && t.back() == 'd' && (std::isdigit(static_cast<unsigned char>(t[t.size() - 2])) || t[t.size() - 2] == ' ' ||
                                           t[t.size() - 2] == '.')) {
    std::string num = t.substr(0, t.size() - 1);
    while (!num.empty() && num.back() == ' ') num.pop_back();
    char* end = nullptr;
    errno = 0;
    v = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || errno != 0 || !std::isfinite(v))
      n.fail(fmt::format("expected a deadline, a duration with a unit (d, h, min, s), got '{}'", s));
    v *= 86400.0;
  } else {
    if (!n.is_scalar()) n.fail("expected a deadline, a duration with a unit (d, h, min, s), e.g. 90 d");
    try {
      v = parse_quantity(t, UnitFamily::Seconds);
    } catch (const UnitError& e) {
      n.fail(fmt::format("expected a deadline, a duration with a unit: d (days, 86400 s) or {}: {}",
                         accepted_units(UnitFamily::Seconds), e.what()));
    }
  }
  if (!(v > 0.0)) n.fail(fmt::format("expected a deadline greater than zero, got '{}'", s));
  return Seconds(v);
}

PlanSpec load_plan_text(const std::string& text, const std::string& path, const std::vector<std::string>& sets) {
  ConfigDoc doc = ConfigDoc::load_string(text, path);
  for (const auto& s : sets) doc.apply_override(s);
  return read_plan(doc);
}

PlanSpec load_plan(const std::string& path, const std::vector<std::string>& sets) {
  ConfigDoc doc = ConfigDoc::load_file(path);
  for (const auto& s : sets) doc.apply_override(s);
  return read_plan(doc);
}

std::string to_string(Reject r) {
  switch (r) {
    case Reject::None: return "none";
    case Reject::OverLimit: return "over_limit";
    case Reject::InvalidLayout: return "invalid_layout";
    case Reject::CannotEvaluate: return "cannot_evaluate";
    case Reject::SimulationFailed: return "simulation_failed";
    case Reject::OutOfMemory: return "out_of_memory";
    case Reject::OverPower: return "over_power";
    case Reject::TooSlow: return "too_slow";
    case Reject::SloMissed: return "slo_missed";
    case Reject::Unfinished: return "unfinished";
  }
  return "none";
}

std::string reject_title(Reject r) {
  std::string s = to_string(r);
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// ---- metrics through the pipe ----------------------------------------------------------------

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

std::string encode_metrics(const PointMetrics& m) {
  std::string s;
  const auto num = [&](const char* k, double v) { s += fmt::format("{} {:a}\n", k, v); };
  const auto integer = [&](const char* k, std::int64_t v) { s += fmt::format("{} {}\n", k, v); };
  const auto text = [&](const char* k, const std::string& v) { s += fmt::format("{} {}\n", k, one_line(v)); };
  num("step_time_s", m.step_time_s);
  num("tokens_per_s", m.tokens_per_s);
  num("mfu", m.mfu);
  num("energy_j", m.energy_j);
  num("site_energy_j", m.site_energy_j);
  num("it_avg_w", m.it_avg_w);
  num("site_avg_w", m.site_avg_w);
  num("rack_peak_w", m.rack_peak_w);
  num("gpu_peak_w", m.gpu_peak_w);
  num("switch_w", m.switch_w);
  num("clock_avg_mhz", m.clock_avg_mhz);
  num("hbm_peak_bytes", m.hbm_peak_bytes);
  num("hbm_capacity_bytes", m.hbm_capacity_bytes);
  integer("racks", m.racks);
  integer("gpus", m.gpus);
  integer("oom_events", m.oom_events);
  integer("reduced", m.reduced ? 1 : 0);
  integer("simulated_ranks", m.simulated_ranks);
  integer("replicas", m.replicas);
  text("oom_first", m.oom_first);
  text("not_reduced_because", m.not_reduced_because);
  text("throttle_limit", m.throttle_limit);
  if (m.serving) {
    integer("serving", 1);
    num("ttft_p99_s", m.ttft_p99_s);
    num("tpot_p99_s", m.tpot_p99_s);
    num("e2e_p99_s", m.e2e_p99_s);
    num("ttft_p50_s", m.ttft_p50_s);
    num("tpot_p50_s", m.tpot_p50_s);
    num("output_tokens_per_s", m.output_tokens_per_s);
    num("requests_per_s", m.requests_per_s);
    num("goodput_requests_per_s", m.goodput_requests_per_s);
    num("slo_attainment", m.slo_attainment);
    num("energy_per_output_token_j", m.energy_per_output_token_j);
    integer("requests", m.requests);
    integer("finished", m.finished);
    integer("unfinished", m.unfinished);
  }
  return s;
}

PointMetrics decode_metrics(const std::string& text) {
  PointMetrics m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    const std::string k = line.substr(0, sp);
    const std::string v = sp == std::string::npos ? std::string() : line.substr(sp + 1);
    const double d = std::strtod(v.c_str(), nullptr);
    const std::int64_t i = std::strtoll(v.c_str(), nullptr, 10);
    if (k == "step_time_s") m.step_time_s = d;
    else if (k == "tokens_per_s") m.tokens_per_s = d;
    else if (k == "mfu") m.mfu = d;
    else if (k == "energy_j") m.energy_j = d;
    else if (k == "site_energy_j") m.site_energy_j = d;
    else if (k == "it_avg_w") m.it_avg_w = d;
    else if (k == "site_avg_w") m.site_avg_w = d;
    else if (k == "rack_peak_w") m.rack_peak_w = d;
    else if (k == "gpu_peak_w") m.gpu_peak_w = d;
    else if (k == "switch_w") m.switch_w = d;
    else if (k == "clock_avg_mhz") m.clock_avg_mhz = d;
    else if (k == "hbm_peak_bytes") m.hbm_peak_bytes = d;
    else if (k == "hbm_capacity_bytes") m.hbm_capacity_bytes = d;
    else if (k == "racks") m.racks = i;
    else if (k == "gpus") m.gpus = i;
    else if (k == "oom_events") m.oom_events = i;
    else if (k == "reduced") m.reduced = i != 0;
    else if (k == "simulated_ranks") m.simulated_ranks = i;
    else if (k == "replicas") m.replicas = i;
    else if (k == "oom_first") m.oom_first = v;
    else if (k == "not_reduced_because") m.not_reduced_because = v;
    else if (k == "throttle_limit") m.throttle_limit = v;
    else if (k == "serving") m.serving = i != 0;
    else if (k == "ttft_p99_s") m.ttft_p99_s = d;
    else if (k == "tpot_p99_s") m.tpot_p99_s = d;
    else if (k == "e2e_p99_s") m.e2e_p99_s = d;
    else if (k == "ttft_p50_s") m.ttft_p50_s = d;
    else if (k == "tpot_p50_s") m.tpot_p50_s = d;
    else if (k == "output_tokens_per_s") m.output_tokens_per_s = d;
    else if (k == "requests_per_s") m.requests_per_s = d;
    else if (k == "goodput_requests_per_s") m.goodput_requests_per_s = d;
    else if (k == "slo_attainment") m.slo_attainment = d;
    else if (k == "energy_per_output_token_j") m.energy_per_output_token_j = d;
    else if (k == "requests") m.requests = i;
    else if (k == "finished") m.finished = i;
    else if (k == "unfinished") m.unfinished = i;
    else throw Error(fmt::format("internal error: unknown metric line from a plan point's process: '{}'", line));
  }
  return m;
}

// ---- the training run from one step ------------------------------------------------------------

double steps_for(double tokens, double tokens_per_step) {
  // Whole steps: the last one runs in full even when it is not needed in full. A ratio a hair
  // above a whole number from rounding (15.6e12 / 2,097,152 is not exact) is not a step more.
  const double r = tokens / tokens_per_step;
  const double whole = std::round(r);
  if (std::fabs(r - whole) <= 1e-9 * std::max(1.0, whole)) return whole;
  return std::ceil(r);
}

TrainingEstimate estimate_training(double tokens, double tokens_per_step, const PointMetrics& m, const SiteParams& site) {
  TrainingEstimate e;
  e.tokens_per_step = tokens_per_step;
  e.steps = steps_for(tokens, tokens_per_step);
  e.time_s = e.steps * m.step_time_s;
  e.energy_j = e.steps * m.site_energy_j;
  e.it_energy_j = e.steps * m.energy_j;
  e.peak_it_w = static_cast<double>(m.racks) * m.rack_peak_w + m.switch_w;
  e.peak_site_w = site_power(site, Watts(e.peak_it_w)).value();
  return e;
}

// ---- the grid ----------------------------------------------------------------------------------

std::string PlanPoint::layout_label() const {
  std::string s = fmt::format("tp{} pp{}", tp, pp);
  if (cp != 1 || layout.cp) s += fmt::format(" cp{}", cp);
  s += dp > 0 ? fmt::format(" dp{}", dp) : std::string(" dp-");
  if (layout.ep) s += fmt::format(" ep{}", *layout.ep);
  if (layout.virtual_stages) s += fmt::format(" vs{}", *layout.virtual_stages);
  if (layout.micro) s += fmt::format(" mb{}", *layout.micro);
  if (layout.zero) s += fmt::format(" zero{}", *layout.zero);
  if (layout.sequence_parallel) s += *layout.sequence_parallel ? " sp" : " no-sp";
  if (layout.recompute) s += fmt::format(" rc-{}", *layout.recompute);
  if (layout.order) s += fmt::format(" {}", *layout.order);
  return s;
}

std::string model_state_overflow(const Workload& w, std::uint64_t capacity) {
  if (capacity == 0) return "";
  for (std::size_t r = 0; r < w.programs.size(); ++r) {
    const auto& prog = w.programs[r];
    std::vector<bool> freed(prog.size(), false);
    for (const Op& op : prog)
      if (op.kind == OpKind::Free && op.frees >= 0 && static_cast<std::size_t>(op.frees) < prog.size())
        freed[static_cast<std::size_t>(op.frees)] = true;
    std::uint64_t held = 0;
    std::string parts;
    for (std::size_t i = 0; i < prog.size() && prog[i].kind == OpKind::Alloc; ++i) {
      if (freed[i]) continue;
      held += prog[i].bytes;
      parts += fmt::format("{}{} {}", parts.empty() ? "" : " + ", prog[i].label.empty() ? prog[i].id : prog[i].label,
                           format_bytes(Bytes(static_cast<double>(prog[i].bytes))));
    }
    if (held > capacity)
      return fmt::format("rank {} holds {} of model state from the start of the step ({}), more than the GPU's {} of HBM", r,
                         format_bytes(Bytes(static_cast<double>(held))), parts, format_bytes(Bytes(static_cast<double>(capacity))));
  }
  return "";
}

void reject(PlanPoint& p, Reject r, const std::string& why) {
  if (p.reject == Reject::None) p.reject = r;
  p.status = PointStatus::Rejected;
  p.reasons.push_back(why);
}

std::vector<PlanPoint> expand_grid(const PlanSpec& plan, const PlanBase& base) {
  std::vector<PlanPoint> out;
  const std::vector<std::int64_t> globals =
      plan.global_batch.empty() ? std::vector<std::int64_t>{base.global_batch} : plan.global_batch;
  for (const std::int64_t racks : plan.racks)
    for (const PlanLayout& l : plan.layouts)
      for (const std::int64_t global : globals) {
        PlanPoint p;
        p.id = out.size() + 1;
        p.racks = racks;
        p.gpus = racks * base.gpus_per_rack;
        p.tp = l.tp.value_or(base.tp);
        p.pp = l.pp.value_or(base.pp);
        p.cp = l.cp.value_or(base.cp);
        p.global_batch = global;
        p.layout = l;
        const std::int64_t replica = p.tp * p.pp * p.cp;
        if (p.gpus % replica == 0) p.dp = p.gpus / replica;
        if (plan.limits.racks && racks > *plan.limits.racks)
          reject(p, Reject::OverLimit, fmt::format("{} racks, over the limit of {}", racks, *plan.limits.racks));
        else if (plan.limits.gpus && p.gpus > *plan.limits.gpus)
          reject(p, Reject::OverLimit, fmt::format("{} GPUs, over the limit of {}", p.gpus, *plan.limits.gpus));
        else if (p.dp == 0)
          reject(p, Reject::InvalidLayout,
                 fmt::format("tp x pp x cp = {} x {} x {} = {} does not divide the {} GPUs", p.tp, p.pp, p.cp, replica, p.gpus));
        p.overrides = plan.overrides;
        const auto set = [&](const std::string& key, const std::string& value) {
          p.overrides.push_back(fmt::format("{}={}", key, value));
        };
        set("cluster.domains", std::to_string(racks));
        set("workload.parallel.tp", std::to_string(p.tp));
        set("workload.parallel.pp", std::to_string(p.pp));
        set("workload.parallel.cp", std::to_string(p.cp));
        set("workload.parallel.dp", std::to_string(std::max<std::int64_t>(p.dp, 1)));
        if (l.ep) set("workload.parallel.ep", std::to_string(*l.ep));
        if (l.virtual_stages) set("workload.parallel.virtual_stages", std::to_string(*l.virtual_stages));
        if (l.sequence_parallel) set("workload.parallel.sequence_parallel", *l.sequence_parallel ? "true" : "false");
        if (l.zero) set("workload.parallel.zero", std::to_string(*l.zero));
        if (l.order) set("workload.parallel.order", *l.order);
        if (l.micro) set("workload.batch.micro", std::to_string(*l.micro));
        set("workload.batch.global", std::to_string(global));
        if (l.recompute) set("workload.options.recompute", *l.recompute);
        set("simulation.out_of_memory", "warn");
        out.push_back(std::move(p));
      }
  return out;
}

void judge(PlanPoint& p, const PointMetrics& m, const PlanSpec& plan, const PlanBase& base) {
  p.metrics = m;
  if (m.oom_events > 0) {
    reject(p, Reject::OutOfMemory,
           fmt::format("out of HBM: {}; the step would need {} per GPU of {} ({} allocation{} did not fit)", m.oom_first,
                       format_bytes(Bytes(m.hbm_peak_bytes)), format_bytes(Bytes(m.hbm_capacity_bytes)), m.oom_events,
                       m.oom_events == 1 ? "" : "s"));
    return;
  }
  const double tokens_per_step = static_cast<double>(p.global_batch) * static_cast<double>(base.sequence);
  const TrainingEstimate e = estimate_training(plan.tokens, tokens_per_step, m, base.site);
  p.estimate = e;
  if (plan.limits.site_power && e.peak_site_w > plan.limits.site_power->value())
    reject(p, Reject::OverPower,
           fmt::format("peak site power {} over the limit of {}", format_power(e.peak_site_w),
                       format_power(plan.limits.site_power->value())));
  if (plan.limits.it_power && e.peak_it_w > plan.limits.it_power->value())
    reject(p, Reject::OverPower,
           fmt::format("peak IT power {} over the limit of {}", format_power(e.peak_it_w),
                       format_power(plan.limits.it_power->value())));
  if (e.time_s > plan.deadline.value())
    reject(p, Reject::TooSlow,
           fmt::format("time to train {} past the deadline of {}", format_long_duration(e.time_s),
                       format_long_duration(plan.deadline.value())));
}

// ---- Pareto ------------------------------------------------------------------------------------

bool dominates(const TrainingEstimate& a, std::int64_t gpus_a, const TrainingEstimate& b, std::int64_t gpus_b) {
  const bool no_worse = a.time_s <= b.time_s && a.energy_j <= b.energy_j && gpus_a <= gpus_b && a.peak_site_w <= b.peak_site_w;
  const bool better = a.time_s < b.time_s || a.energy_j < b.energy_j || gpus_a < gpus_b || a.peak_site_w < b.peak_site_w;
  return no_worse && better;
}

void mark_pareto(std::vector<PlanPoint>& points) {
  std::vector<PlanPoint*> feasible;
  for (auto& p : points)
    if (p.status != PointStatus::Rejected && p.estimate) feasible.push_back(&p);
  for (PlanPoint* b : feasible) {
    b->status = PointStatus::Pareto;
    for (const PlanPoint* a : feasible)
      if (a != b && dominates(*a->estimate, a->gpus, *b->estimate, b->gpus)) b->status = PointStatus::Dominated;
  }
  // Name, for each dominated point, the lowest-id Pareto point that dominates it (one always
  // does: dominance is transitive and the set is finite).
  for (PlanPoint* b : feasible) {
    if (b->status != PointStatus::Dominated) continue;
    for (const PlanPoint* a : feasible)
      if (a->status == PointStatus::Pareto && dominates(*a->estimate, a->gpus, *b->estimate, b->gpus)) {
        b->dominated_by = a->id;
        break;
      }
  }
}

// ---- formatting --------------------------------------------------------------------------------

std::string format_long_duration(double seconds) {
  if (seconds >= 86400.0) return fmt::format("{:.2f} d", seconds / 86400.0);
  if (seconds >= 3600.0) return fmt::format("{:.2f} h", seconds / 3600.0);
  if (seconds >= 60.0) return fmt::format("{:.2f} min", seconds / 60.0);
  return format_seconds(Seconds(seconds));
}

std::string format_energy(double joules) {
  const double wh = joules / 3600.0;
  if (wh >= 1e9) return fmt::format("{:.4g} GWh", wh / 1e9);
  if (wh >= 1e6) return fmt::format("{:.4g} MWh", wh / 1e6);
  if (wh >= 1e3) return fmt::format("{:.4g} kWh", wh / 1e3);
  return fmt::format("{:.4g} Wh", wh);
}

std::string format_power(double watts) {
  if (watts >= 1e6) return fmt::format("{:.4g} MW", watts / 1e6);
  if (watts >= 1e3) return fmt::format("{:.4g} kW", watts / 1e3);
  return fmt::format("{:.4g} W", watts);
}

namespace {

std::string limits_text(const PlanLimits& l) {
  std::string s;
  const auto add = [&](const std::string& x) { s += (s.empty() ? "" : ", ") + x; };
  if (l.site_power) add(fmt::format("site power {}", format_power(l.site_power->value())));
  if (l.it_power) add(fmt::format("IT power {}", format_power(l.it_power->value())));
  if (l.racks) add(fmt::format("{} racks", *l.racks));
  if (l.gpus) add(fmt::format("{} GPUs", *l.gpus));
  return s.empty() ? std::string("none") : s;
}

std::string sim_label(const PointMetrics& m) {
  return m.reduced ? fmt::format("reduced {}x{}", m.simulated_ranks, m.replicas) : std::string("full");
}

std::string site_text(const SiteParams& s) {
  return s.kind == SiteParams::Kind::Pue ? fmt::format("PUE {}", s.pue)
                                         : fmt::format("cooling plant, COP {}, fixed {}", s.cop, format_power(s.plant_fixed.value()));
}

}  // namespace

namespace {

// The plan's name, base scenario, tokens, deadline, limits, search and how many points were
// simulated.
std::string plan_header(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points) {
  std::string o;
  o += fmt::format("racksim plan {} ({})\n", plan.name, base_name(plan.file));
  if (!plan.description.empty()) o += fmt::format("  {}\n", plan.description);
  o += fmt::format("  base scenario   {}{}\n", base_name(plan.scenario), plan.overrides.empty() ? "" : " with overrides:");
  for (const auto& ov : plan.overrides) o += fmt::format("                    {}\n", ov);
  o += fmt::format("  tokens          {:.4g}, {} tokens per sequence\n", plan.tokens, base.sequence);
  o += fmt::format("  deadline        {}\n", format_long_duration(plan.deadline.value()));
  o += fmt::format("  limits          {}\n", limits_text(plan.limits));
  const std::size_t globals = plan.global_batch.empty() ? 1 : plan.global_batch.size();
  o += fmt::format("  search          {} rack count{} x {} layout{} x {} global batch{} = {} points, {} GPUs per rack\n",
                   plan.racks.size(), plan.racks.size() == 1 ? "" : "s", plan.layouts.size(), plan.layouts.size() == 1 ? "" : "s",
                   globals, globals == 1 ? "" : "es", points.size(), base.gpus_per_rack);
  std::size_t simulated = 0, screened = 0;
  for (const auto& p : points) (p.metrics ? simulated : screened) += 1;
  o += fmt::format("  evaluated       {} simulated (one training step each), {} rejected before simulating\n", simulated,
                   screened);
  return o;
}

// The points by status: Pareto and dominated fastest first, rejected (and pending) in grid order.
struct PointsByStatus {
  std::vector<const PlanPoint*> pareto, dominated, rejected;
};

PointsByStatus by_status(const std::vector<PlanPoint>& points) {
  PointsByStatus g;
  for (const auto& p : points) {
    if (p.status == PointStatus::Pareto) g.pareto.push_back(&p);
    else if (p.status == PointStatus::Dominated) g.dominated.push_back(&p);
    else g.rejected.push_back(&p);
  }
  const auto by_time = [](const PlanPoint* a, const PlanPoint* b) {
    if (a->estimate->time_s != b->estimate->time_s) return a->estimate->time_s < b->estimate->time_s;
    return a->id < b->id;
  };
  std::stable_sort(g.pareto.begin(), g.pareto.end(), by_time);
  std::stable_sort(g.dominated.begin(), g.dominated.end(), by_time);
  return g;
}

// The header line of a table of feasible points, the layout column `lw` wide; `with_dom` adds
// the "dominated by" column.
std::string feasible_head(std::size_t lw, bool with_dom) {
  std::string h = fmt::format("  {:>4}  {:>5}  {:>6}  {:<{}}  {:>6}  {:>10}  {:>6}  {:>11}  {:>10}  {:>10}  {:>10}  {}", "#", "racks",
                              "GPUs", "layout", lw, "batch", "step", "MFU", "tokens/s", "train", "energy", "peak site", with_dom ? "simulated  " : "simulated");
  if (with_dom) h += "  dominated by";
  return h + "\n";
}

// One feasible point's row under feasible_head.
std::string feasible_row(const PlanPoint& p, std::size_t lw, bool with_dom) {
  const PointMetrics& m = *p.metrics;
  const TrainingEstimate& e = *p.estimate;
  std::string r = fmt::format("  {:>4}  {:>5}  {:>6}  {:<{}}  {:>6}  {:>10}  {:>5.1f}%  {:>11.4g}  {:>10}  {:>10}  {:>10}  {}",
                              fmt::format("#{}", p.id), p.racks, p.gpus, p.layout_label(), lw, p.global_batch,
                              format_seconds(Seconds(m.step_time_s)), 100.0 * m.mfu, m.tokens_per_s,
                              format_long_duration(e.time_s), format_energy(e.energy_j), format_power(e.peak_site_w),
                              sim_label(m));
  if (with_dom) r = fmt::format("{:<{}}  #{}", r, r.size() + 11 - std::min<std::size_t>(11, sim_label(m).size()), p.dominated_by);
  return r + "\n";
}

// The rejected points with the category and every reason, the layout column `lw` wide.
std::string rejected_table(const std::vector<const PlanPoint*>& rejected, std::size_t lw) {
  std::string o = fmt::format("\nRejected: {} point{}\n", rejected.size(), rejected.size() == 1 ? "" : "s");
  std::size_t tw = 0;
  for (const auto* p : rejected) tw = std::max(tw, reject_title(p->reject).size());
  o += fmt::format("  {:>4}  {:>5}  {:>6}  {:<{}}  {:>6}  {:<{}}  {}\n", "#", "racks", "GPUs", "layout", lw, "batch", "rejected for",
                   std::max<std::size_t>(tw, 12), "why");
  for (const auto* p : rejected) {
    std::string reasons;
    for (const auto& r : p->reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    o += fmt::format("  {:>4}  {:>5}  {:>6}  {:<{}}  {:>6}  {:<{}}  {}\n", fmt::format("#{}", p->id), p->racks, p->gpus,
                     p->layout_label(), lw, p->global_batch, reject_title(p->reject), std::max<std::size_t>(tw, 12), reasons);
  }
  return o;
}

std::string how_obtained(const PlanSpec& plan, const PlanBase& base) {
  return fmt::format(
      "\nHow these numbers were obtained: each point's step is a racksim simulation of one training step of {} with the "
      "point's overrides ('simulated': full = every rank and flow; reduced RxN = R ranks of one data-parallel replica "
      "simulated for N identical replicas, docs/scale.md). tokens/s and MFU are the step's. train = ceil({:.4g} tokens / "
      "tokens per step) steps x step time. energy = steps x the step's site energy (IT energy, whole cluster, x {}). "
      "peak site = {} applied to racks x the highest rack's peak power (control-period average) + scale-out switches. "
      "Racks follow GPUs. Reproduce point #N: racksim run {} --set <each override of point N in the JSON output>.\n",
      base_name(plan.scenario), plan.tokens, site_text(base.site), site_text(base.site), base_name(plan.scenario));
}

}  // namespace

std::string plan_table(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points) {
  std::string o = plan_header(plan, base, points);
  const PointsByStatus g = by_status(points);
  std::size_t lw = 6;
  for (const auto& p : points) lw = std::max(lw, p.layout_label().size());

  o += fmt::format("\nPareto set: {} point{} (fastest first; none is beaten on time to train, energy, GPUs and peak site "
                   "power at once)\n",
                   g.pareto.size(), g.pareto.size() == 1 ? "" : "s");
  if (g.pareto.empty()) o += "  no point meets every limit and the deadline\n";
  else {
    o += feasible_head(lw, false);
    for (const auto* p : g.pareto) o += feasible_row(*p, lw, false);
  }
  if (!g.dominated.empty()) {
    o += fmt::format("\nDominated: {} feasible point{} (another is no worse on all four and better on one)\n",
                     g.dominated.size(), g.dominated.size() == 1 ? "" : "s");
    o += feasible_head(lw, true);
    for (const auto* p : g.dominated) o += feasible_row(*p, lw, true);
  }
  if (!g.rejected.empty()) o += rejected_table(g.rejected, lw);
  return o + how_obtained(plan, base);
}

namespace {

// The plan's own keys and what the base scenario fixes.
void write_plan(JsonWriter& w, const PlanSpec& plan, const PlanBase& base) {
  w.field("schema_version", kPlanSchemaVersion);
  w.field("racksim_version", RACKSIM_VERSION);
  w.field("plan", plan.name);
  w.field("plan_file", base_name(plan.file));
  w.field("scenario_file", base_name(plan.scenario));
  w.string_array("overrides", plan.overrides);
  w.field("tokens", plan.tokens);
  w.field("deadline_s", plan.deadline.value());
  w.key("limits").begin_object();
  w.optional_field("site_power_w", in_watts(plan.limits.site_power));
  w.optional_field("it_power_w", in_watts(plan.limits.it_power));
  w.optional_field("racks", plan.limits.racks);
  w.optional_field("gpus", plan.limits.gpus);
  w.end_object();
  w.field("gpus_per_rack", base.gpus_per_rack);
  w.field("sequence", base.sequence);
  w.field("site_model", site_text(base.site));
  w.key("objectives").begin_array().value("time_to_train_s").value("energy_j").value("gpus").value("peak_site_w").end_array();
}

void write_counts(JsonWriter& w, const std::vector<PlanPoint>& points) {
  std::size_t n_pareto = 0, n_dom = 0, n_rej = 0;
  for (const auto& p : points)
    (p.status == PointStatus::Pareto ? n_pareto : p.status == PointStatus::Dominated ? n_dom : n_rej) += 1;
  w.key("counts").begin_object();
  w.field("points", static_cast<std::int64_t>(points.size()));
  w.field("pareto", static_cast<std::int64_t>(n_pareto));
  w.field("dominated", static_cast<std::int64_t>(n_dom));
  w.field("rejected", static_cast<std::int64_t>(n_rej));
  w.end_object();
}

// A point's simulated step (docs/plan.md "JSON", `step`).
void write_step(JsonWriter& w, const PointMetrics& m) {
  w.begin_object();
  w.field("simulation", m.reduced ? "reduced" : "full");
  w.field("simulated_ranks", m.simulated_ranks);
  w.field("replicas", m.replicas);
  w.key("not_reduced_because");
  m.reduced ? w.null() : w.value(m.not_reduced_because);
  w.field("step_time_s", m.step_time_s);
  w.field("tokens_per_s", m.tokens_per_s);
  w.field("mfu", m.mfu);
  w.field("it_energy_j", m.energy_j);
  w.field("site_energy_j", m.site_energy_j);
  w.field("it_avg_w", m.it_avg_w);
  w.field("site_avg_w", m.site_avg_w);
  w.field("rack_peak_w", m.rack_peak_w);
  w.field("gpu_peak_w", m.gpu_peak_w);
  w.field("scale_out_switches_w", m.switch_w);
  w.field("clock_avg_mhz", m.clock_avg_mhz);
  w.field("throttle_limit", m.throttle_limit);
  w.field("hbm_peak_bytes", m.hbm_peak_bytes);
  w.field("hbm_capacity_bytes", m.hbm_capacity_bytes);
  w.field("oom_events", m.oom_events);
  w.end_object();
}

// A point's training run (docs/plan.md "JSON", `training`).
void write_training(JsonWriter& w, const TrainingEstimate& e) {
  w.begin_object();
  w.field("tokens_per_step", e.tokens_per_step);
  w.field("steps", e.steps);
  w.field("time_to_train_s", e.time_s);
  w.field("energy_j", e.energy_j);
  w.field("it_energy_j", e.it_energy_j);
  w.field("peak_it_w", e.peak_it_w);
  w.field("peak_site_w", e.peak_site_w);
  w.end_object();
}

void write_point(JsonWriter& w, const PlanPoint& p) {
  w.begin_object();
  w.field("id", static_cast<std::int64_t>(p.id));
  w.field("status", to_string(p.status));
  w.field("racks", p.racks);
  w.field("gpus", p.gpus);
  w.field("layout", p.layout_label());
  w.key("parallel").begin_object();
  w.field("tp", p.tp).field("pp", p.pp).field("cp", p.cp);
  w.key("dp");
  p.dp > 0 ? w.value(p.dp) : w.null();
  w.end_object();
  w.field("global_batch", p.global_batch);
  w.string_array("overrides", p.overrides);
  w.key("rejected_for");
  p.reject == Reject::None ? w.null() : w.value(to_string(p.reject));
  w.string_array("reasons", p.reasons);
  w.key("dominated_by");
  p.status == PointStatus::Dominated ? w.value(static_cast<std::int64_t>(p.dominated_by)) : w.null();
  w.key("step");
  if (p.metrics) write_step(w, *p.metrics);
  else w.null();
  w.key("training");
  if (p.estimate) write_training(w, *p.estimate);
  else w.null();
  w.end_object();
}

}  // namespace

std::string plan_json(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points) {
  JsonWriter w;
  w.begin_object();
  write_plan(w, plan, base);
  write_counts(w, points);
  w.key("points").begin_array();
  for (const auto& p : points) write_point(w, p);
  w.end_array();
  w.end_object();
  return w.str();
}

const char* to_string(PointStatus s) {
  return s == PointStatus::Pareto      ? "pareto"
         : s == PointStatus::Dominated ? "dominated"
         : s == PointStatus::Rejected  ? "rejected"
                                       : "pending";
}

std::optional<double> in_watts(const std::optional<Watts>& w) {
  return w ? std::optional<double>(w->value()) : std::nullopt;
}

}  // namespace racksim
