// racksim studies: capacity planning for serving (docs/plan.md "Serving plans") — the grid,
// screening, peak power, the Pareto set per rate, and the table and JSON. The rules are in
// serving_plan.hpp.
#include "sim/studies/serving_plan.hpp"

#include "core/json_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace racksim {

namespace {

std::string base_name(const std::string& p) { return std::filesystem::path(p).filename().string(); }

std::string site_text(const SiteParams& s) {
  return s.kind == SiteParams::Kind::Pue ? fmt::format("PUE {}", s.pue)
                                         : fmt::format("cooling plant, COP {}, fixed {}", s.cop, format_power(s.plant_fixed.value()));
}

std::string limits_text(const PlanLimits& l) {
  std::string s;
  const auto add = [&](const std::string& x) { s += (s.empty() ? "" : ", ") + x; };
  if (l.site_power) add(fmt::format("site power {}", format_power(l.site_power->value())));
  if (l.it_power) add(fmt::format("IT power {}", format_power(l.it_power->value())));
  if (l.racks) add(fmt::format("{} racks", *l.racks));
  if (l.gpus) add(fmt::format("{} GPUs", *l.gpus));
  return s.empty() ? std::string("none") : s;
}

std::string slo_text(const PlanSpec& plan) {
  std::string s;
  if (plan.ttft_p99_s) s += fmt::format("p99 TTFT <= {}", format_seconds(Seconds(*plan.ttft_p99_s)));
  if (plan.tpot_p99_s) s += fmt::format("{}p99 TPOT <= {}", s.empty() ? "" : ", ", format_seconds(Seconds(*plan.tpot_p99_s)));
  return s.empty() ? std::string("none") : s;
}

std::string rate_text(double r) { return fmt::format("{:g} req/s", r); }

std::vector<std::int64_t> racks_of(const PlanSpec& plan, const PlanBase& base) {
  return plan.racks.empty() ? std::vector<std::int64_t>{base.domains} : plan.racks;
}

}  // namespace

std::string serving_layout_label(const PlanPoint& p) {
  std::string s = fmt::format("tp{} pp{}", p.tp, p.pp);
  if (p.layout.ep) s += fmt::format(" ep{}", *p.layout.ep);
  s += p.instances > 0 ? fmt::format(" x{}", p.instances) : std::string(" x-");
  return s;
}

std::vector<PlanPoint> expand_serving_grid(const PlanSpec& plan, const PlanBase& base) {
  std::vector<PlanPoint> out;
  // An empty list stands for fill (0 below).
  const std::vector<std::int64_t> counts = plan.instances.empty() ? std::vector<std::int64_t>{0} : plan.instances;
  for (const double rate : plan.rates)
    for (const std::int64_t racks : racks_of(plan, base))
      for (const PlanLayout& l : plan.layouts)
        for (const std::int64_t count : counts) {
          PlanPoint p;
          p.id = out.size() + 1;
          p.rate = rate;
          p.racks = racks;
          p.tp = l.tp.value_or(base.tp);
          p.pp = l.pp.value_or(base.pp);
          p.layout = l;
          const std::int64_t per_instance = p.tp * p.pp;
          const std::int64_t held = racks * base.gpus_per_rack;
          p.instances = count > 0 ? count : held / per_instance;
          p.gpus = p.instances * per_instance;
          if (plan.limits.racks && racks > *plan.limits.racks)
            reject(p, Reject::OverLimit, fmt::format("{} racks, over the limit of {}", racks, *plan.limits.racks));
          else if (p.instances == 0)
            reject(p, Reject::InvalidLayout,
                   fmt::format("tp x pp = {} x {} = {} GPUs per instance, more than the {} GPUs of {} rack{}", p.tp, p.pp,
                               per_instance, held, racks, racks == 1 ? "" : "s"));
          else if (p.gpus > held)
            reject(p, Reject::InvalidLayout,
                   fmt::format("{} instances x tp {} x pp {} = {} GPUs, more than the {} GPUs of {} rack{}", p.instances, p.tp,
                               p.pp, p.gpus, held, racks, racks == 1 ? "" : "s"));
          else if (plan.limits.gpus && p.gpus > *plan.limits.gpus)
            reject(p, Reject::OverLimit, fmt::format("{} GPUs, over the limit of {}", p.gpus, *plan.limits.gpus));
          p.overrides = plan.overrides;
          const auto set = [&](const std::string& key, const std::string& value) {
            p.overrides.push_back(fmt::format("{}={}", key, value));
          };
          set("cluster.domains", std::to_string(racks));
          set("workload.instance.tp", std::to_string(p.tp));
          set("workload.instance.pp", std::to_string(p.pp));
          if (l.ep) set("workload.instance.ep", std::to_string(*l.ep));
          set("workload.instances", std::to_string(std::max<std::int64_t>(p.instances, 1)));
          set("workload.requests.rate", fmt::format("{}", rate));
          if (plan.ttft_p99_s) set("workload.slo.ttft", fmt::format("{} s", *plan.ttft_p99_s));
          if (plan.tpot_p99_s) set("workload.slo.tpot", fmt::format("{} s", *plan.tpot_p99_s));
          out.push_back(std::move(p));
        }
  return out;
}

Reject serving_refusal(const std::string& why) {
  if (why.find("does not fit") != std::string::npos) return Reject::OutOfMemory;
  if (why.find("must divide") != std::string::npos) return Reject::InvalidLayout;
  return Reject::CannotEvaluate;
}

void judge_serving(PlanPoint& p, const PointMetrics& m, const PlanSpec& plan, const PlanBase& base) {
  p.metrics = m;
  const double it = static_cast<double>(m.racks) * m.rack_peak_w + m.switch_w;
  p.peak_it_w = it;
  p.peak_site_w = site_power(base.site, Watts(it)).value();
  if (m.unfinished > 0)
    reject(p, Reject::Unfinished,
           fmt::format("{} of {} requests unfinished at the end of the run (its latencies count the finished ones only)",
                       m.unfinished, m.requests));
  if (plan.limits.site_power && *p.peak_site_w > plan.limits.site_power->value())
    reject(p, Reject::OverPower,
           fmt::format("peak site power {} over the limit of {}", format_power(*p.peak_site_w),
                       format_power(plan.limits.site_power->value())));
  if (plan.limits.it_power && it > plan.limits.it_power->value())
    reject(p, Reject::OverPower,
           fmt::format("peak IT power {} over the limit of {}", format_power(it), format_power(plan.limits.it_power->value())));
  const auto slo = [&](const char* what, double got, const std::optional<double>& limit) {
    if (limit && got > *limit)
      reject(p, Reject::SloMissed,
             fmt::format("p99 {} {} over the SLO of {} by {}", what, format_seconds(Seconds(got)), format_seconds(Seconds(*limit)),
                         format_seconds(Seconds(got - *limit))));
  };
  slo("TTFT", m.ttft_p99_s, plan.ttft_p99_s);
  slo("TPOT", m.tpot_p99_s, plan.tpot_p99_s);
}

bool serving_dominates(const PlanPoint& a, const PlanPoint& b) {
  const double pa = *a.peak_site_w, pb = *b.peak_site_w;
  const double ta = a.metrics->ttft_p99_s, tb = b.metrics->ttft_p99_s;
  const double oa = a.metrics->tpot_p99_s, ob = b.metrics->tpot_p99_s;
  const bool no_worse = a.gpus <= b.gpus && pa <= pb && ta <= tb && oa <= ob;
  const bool better = a.gpus < b.gpus || pa < pb || ta < tb || oa < ob;
  return no_worse && better;
}

void mark_serving_pareto(std::vector<PlanPoint>& points) {
  std::vector<PlanPoint*> feasible;
  for (auto& p : points)
    if (p.status != PointStatus::Rejected && p.metrics && p.peak_site_w) feasible.push_back(&p);
  for (PlanPoint* b : feasible) {
    b->status = PointStatus::Pareto;
    for (const PlanPoint* a : feasible)
      if (a != b && a->rate == b->rate && serving_dominates(*a, *b)) b->status = PointStatus::Dominated;
  }
  for (PlanPoint* b : feasible) {
    if (b->status != PointStatus::Dominated) continue;
    for (const PlanPoint* a : feasible)
      if (a->status == PointStatus::Pareto && a->rate == b->rate && serving_dominates(*a, *b)) {
        b->dominated_by = a->id;
        break;
      }
  }
}

// ---- the table ---------------------------------------------------------------------------------

namespace {

std::string feasible_head(std::size_t lw, bool with_dom) {
  std::string h = fmt::format("  {:>4}  {:>5}  {:>5}  {:<{}}  {:>10}  {:>10}  {:>11}  {:>10}  {:>10}  {:>10}", "#", "racks", "GPUs",
                              "layout", lw, "p99 TTFT", "p99 TPOT", "out tok/s", "goodput/s", "peak site", "J/token");
  if (with_dom) h += "  dominated by";
  return h + "\n";
}

std::string feasible_row(const PlanPoint& p, std::size_t lw, bool with_dom) {
  const PointMetrics& m = *p.metrics;
  std::string r = fmt::format("  {:>4}  {:>5}  {:>5}  {:<{}}  {:>10}  {:>10}  {:>11.4g}  {:>10.4g}  {:>10}  {:>10.4g}",
                              fmt::format("#{}", p.id), p.racks, p.gpus, serving_layout_label(p), lw,
                              format_seconds(Seconds(m.ttft_p99_s)), format_seconds(Seconds(m.tpot_p99_s)), m.output_tokens_per_s,
                              m.goodput_requests_per_s, format_power(*p.peak_site_w), m.energy_per_output_token_j);
  if (with_dom) r += fmt::format("  #{}", p.dominated_by);
  return r + "\n";
}

bool by_gpus(const PlanPoint* a, const PlanPoint* b) {
  if (a->gpus != b->gpus) return a->gpus < b->gpus;
  if (*a->peak_site_w != *b->peak_site_w) return *a->peak_site_w < *b->peak_site_w;
  return a->id < b->id;
}

}  // namespace

std::string serving_plan_table(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points) {
  std::string o;
  o += fmt::format("racksim plan {} ({}, serving)\n", plan.name, base_name(plan.file));
  if (!plan.description.empty()) o += fmt::format("  {}\n", plan.description);
  o += fmt::format("  base scenario   {}{}\n", base_name(plan.scenario), plan.overrides.empty() ? "" : " with overrides:");
  for (const auto& ov : plan.overrides) o += fmt::format("                    {}\n", ov);
  std::string rates;
  for (const double r : plan.rates) rates += (rates.empty() ? "" : ", ") + fmt::format("{:g}", r);
  o += fmt::format("  rates           {} requests/s (each planned separately)\n", rates);
  o += fmt::format("  SLO             {}\n", slo_text(plan));
  o += fmt::format("  limits          {}\n", limits_text(plan.limits));
  const std::size_t nr = racks_of(plan, base).size();
  const std::string counts = plan.instances.empty() ? std::string("fill") : fmt::format("{} instance counts", plan.instances.size());
  o += fmt::format("  search          {} rate{} x {} rack count{} x {} layout{} x {} = {} points, {} GPUs per rack\n", plan.rates.size(),
                   plan.rates.size() == 1 ? "" : "s", nr, nr == 1 ? "" : "s", plan.layouts.size(),
                   plan.layouts.size() == 1 ? "" : "s", counts, points.size(), base.gpus_per_rack);
  std::size_t simulated = 0;
  for (const auto& p : points) simulated += p.metrics ? 1 : 0;
  o += fmt::format("  evaluated       {} simulated, {} rejected before simulating\n", simulated, points.size() - simulated);

  std::size_t lw = 6;
  for (const auto& p : points) lw = std::max(lw, serving_layout_label(p).size());
  for (const double rate : plan.rates) {
    std::vector<const PlanPoint*> pareto, dominated;
    for (const auto& p : points) {
      if (p.rate != rate) continue;
      if (p.status == PointStatus::Pareto) pareto.push_back(&p);
      else if (p.status == PointStatus::Dominated) dominated.push_back(&p);
    }
    std::stable_sort(pareto.begin(), pareto.end(), by_gpus);
    std::stable_sort(dominated.begin(), dominated.end(), by_gpus);
    o += fmt::format("\nAt {}: Pareto set: {} point{} (fewest GPUs first; none is beaten on GPUs, peak site power, p99 TTFT "
                     "and p99 TPOT at once)\n",
                     rate_text(rate), pareto.size(), pareto.size() == 1 ? "" : "s");
    if (pareto.empty()) o += "  no point meets every limit and the SLO\n";
    else {
      o += feasible_head(lw, false);
      for (const auto* p : pareto) o += feasible_row(*p, lw, false);
    }
    if (!dominated.empty()) {
      o += fmt::format("  Dominated at {}: {} feasible point{}\n", rate_text(rate), dominated.size(), dominated.size() == 1 ? "" : "s");
      o += feasible_head(lw, true);
      for (const auto* p : dominated) o += feasible_row(*p, lw, true);
    }
  }
  std::vector<const PlanPoint*> rejected;
  for (const auto& p : points)
    if (p.status != PointStatus::Pareto && p.status != PointStatus::Dominated) rejected.push_back(&p);
  if (!rejected.empty()) {
    o += fmt::format("\nRejected: {} point{}\n", rejected.size(), rejected.size() == 1 ? "" : "s");
    std::size_t tw = 12;
    for (const auto* p : rejected) tw = std::max(tw, reject_title(p->reject).size());
    o += fmt::format("  {:>4}  {:>12}  {:>5}  {:>5}  {:<{}}  {:<{}}  {}\n", "#", "rate", "racks", "GPUs", "layout", lw, "rejected for", tw,
                     "why");
    for (const auto* p : rejected) {
      std::string reasons;
      for (const auto& r : p->reasons) reasons += (reasons.empty() ? "" : "; ") + r;
      o += fmt::format("  {:>4}  {:>12}  {:>5}  {:>5}  {:<{}}  {:<{}}  {}\n", fmt::format("#{}", p->id), rate_text(p->rate), p->racks,
                       p->gpus, serving_layout_label(*p), lw, reject_title(p->reject), tw, reasons);
    }
  }
  o += fmt::format(
      "\nHow these numbers were obtained: each point is a racksim simulation of {} serving its requests at the point's rate "
      "with the point's instances (every request, every iteration). p99 TTFT and p99 TPOT are over the finished requests; "
      "goodput/s counts the requests meeting the SLO per second; J/token is the run's IT energy per output token. "
      "peak site = {} applied to racks x the highest rack's peak power (control-period average) + scale-out switches. "
      "The Pareto set is per rate. Reproduce point #N: racksim run {} --set <each override of point N in the JSON output>.\n",
      base_name(plan.scenario), site_text(base.site), base_name(plan.scenario));
  return o;
}

// ---- JSON --------------------------------------------------------------------------------------

namespace {

void write_run(JsonWriter& w, const PointMetrics& m) {
  w.begin_object();
  w.field("requests", m.requests);
  w.field("finished", m.finished);
  w.field("unfinished", m.unfinished);
  w.field("ttft_p99_s", m.ttft_p99_s);
  w.field("tpot_p99_s", m.tpot_p99_s);
  w.field("e2e_p99_s", m.e2e_p99_s);
  w.field("ttft_p50_s", m.ttft_p50_s);
  w.field("tpot_p50_s", m.tpot_p50_s);
  w.field("output_tokens_per_s", m.output_tokens_per_s);
  w.field("requests_per_s", m.requests_per_s);
  w.field("goodput_requests_per_s", m.goodput_requests_per_s);
  w.field("slo_attainment", m.slo_attainment);
  w.field("energy_per_output_token_j", m.energy_per_output_token_j);
  w.field("it_energy_j", m.energy_j);
  w.field("site_energy_j", m.site_energy_j);
  w.field("it_avg_w", m.it_avg_w);
  w.field("rack_peak_w", m.rack_peak_w);
  w.field("gpu_peak_w", m.gpu_peak_w);
  w.field("scale_out_switches_w", m.switch_w);
  w.end_object();
}

void write_point(JsonWriter& w, const PlanPoint& p) {
  w.begin_object();
  w.field("id", static_cast<std::int64_t>(p.id));
  w.field("status", to_string(p.status));
  w.field("rate", p.rate);
  w.field("racks", p.racks);
  w.field("instances", p.instances);
  w.field("gpus", p.gpus);
  w.field("layout", serving_layout_label(p));
  w.key("instance").begin_object();
  w.field("tp", p.tp).field("pp", p.pp);
  w.optional_field("ep", p.layout.ep);
  w.end_object();
  w.string_array("overrides", p.overrides);
  w.key("rejected_for");
  p.reject == Reject::None ? w.null() : w.value(to_string(p.reject));
  w.string_array("reasons", p.reasons);
  w.key("dominated_by");
  p.status == PointStatus::Dominated ? w.value(static_cast<std::int64_t>(p.dominated_by)) : w.null();
  w.key("run");
  if (p.metrics) write_run(w, *p.metrics);
  else w.null();
  w.optional_field("peak_it_w", p.peak_it_w);
  w.optional_field("peak_site_w", p.peak_site_w);
  w.end_object();
}

}  // namespace

std::string serving_plan_json(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", kPlanSchemaVersion);
  w.field("racksim_version", RACKSIM_VERSION);
  w.field("kind", "serving");
  w.field("plan", plan.name);
  w.field("plan_file", base_name(plan.file));
  w.field("scenario_file", base_name(plan.scenario));
  w.string_array("overrides", plan.overrides);
  w.key("rates").begin_array();
  for (const double r : plan.rates) w.value(r);
  w.end_array();
  w.key("slo").begin_object();
  w.optional_field("ttft_p99_s", plan.ttft_p99_s);
  w.optional_field("tpot_p99_s", plan.tpot_p99_s);
  w.end_object();
  w.key("limits").begin_object();
  w.optional_field("site_power_w", in_watts(plan.limits.site_power));
  w.optional_field("it_power_w", in_watts(plan.limits.it_power));
  w.optional_field("racks", plan.limits.racks);
  w.optional_field("gpus", plan.limits.gpus);
  w.end_object();
  w.field("gpus_per_rack", base.gpus_per_rack);
  w.field("site_model", site_text(base.site));
  w.key("objectives").begin_array().value("gpus").value("peak_site_w").value("ttft_p99_s").value("tpot_p99_s").end_array();
  std::size_t n_pareto = 0, n_dom = 0, n_rej = 0;
  for (const auto& p : points)
    (p.status == PointStatus::Pareto ? n_pareto : p.status == PointStatus::Dominated ? n_dom : n_rej) += 1;
  w.key("counts").begin_object();
  w.field("points", static_cast<std::int64_t>(points.size()));
  w.field("pareto", static_cast<std::int64_t>(n_pareto));
  w.field("dominated", static_cast<std::int64_t>(n_dom));
  w.field("rejected", static_cast<std::int64_t>(n_rej));
  w.end_object();
  w.key("points").begin_array();
  for (const auto& p : points) write_point(w, p);
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace racksim
