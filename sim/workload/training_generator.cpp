#include "sim/workload/training_generator.hpp"

#include "models/kernel.hpp"
#include "sim/workload/workload_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

namespace racksim {

// ---------------------------------------------------------------------------------------------
// Reading the scenario keys (their table: transformer_keys(), sim/workload/workload_keys.cpp)
// ---------------------------------------------------------------------------------------------
namespace {

// The row of a workload.model key: its type and range hold for a preset entry too.
const KeySpec& model_key(const char* key) { return *transformer_keys().find(std::string("workload.model.") + key); }

// Reads the shape keys of one map (a preset entry or the scenario's `model:`) into `m`; keys
// absent from the map leave `m` as it is. Returns nothing; MapReader::finish is the caller's.
void read_shape_keys(MapReader& r, TransformerShape& m) {
  for (const auto& [key, field] : {std::pair{"hidden", &m.hidden}, std::pair{"layers", &m.layers},
                                   std::pair{"heads", &m.heads}, std::pair{"kv_heads", &m.kv_heads},
                                   std::pair{"ffn", &m.ffn}, std::pair{"vocab", &m.vocab}})
    if (auto n = r.optional(key)) *field = read_integer(*n, model_key(key));
  if (auto n = r.optional("ffn_kind")) m.gated_ffn = read_text(*n, model_key("ffn_kind")) == "swiglu";
  if (auto n = r.optional("experts")) m.experts = read_integer(*n, model_key("experts"));
  if (auto n = r.optional("top_k")) m.top_k = read_integer(*n, model_key("top_k"));
  if (auto n = r.optional("head_dim")) m.head_size = read_integer(*n, model_key("head_dim"));
  if (auto n = r.optional("shared_experts")) m.shared_experts = read_integer(*n, model_key("shared_experts"));
  if (auto n = r.optional("sliding_window")) m.sliding_window = read_integer(*n, model_key("sliding_window"));
  if (auto n = r.optional("global_every")) m.global_every = read_integer(*n, model_key("global_every"));
}

TransformerShape load_preset(const ConfigNode& name_node, const std::string& data_dir) {
  const std::string name = name_node.as_string();
  const std::string file = data_dir + "/models/catalog/transformers.yaml";
  const ConfigDoc doc = ConfigDoc::load_file(file);
  MapReader top(doc.root(), "transformer presets");
  const ConfigNode sources = top.required("sources");
  const ConfigNode models = top.required("models");
  top.finish();
  std::string known;
  for (const auto& [id, entry] : models.entries()) {
    known += (known.empty() ? "" : ", ") + id;
    if (id != name) continue;
    MapReader r(entry, "transformer preset '" + id + "'");
    const ConfigNode src = r.required("source");
    if (!sources.has(src.as_string())) src.fail("a source id listed under 'sources'");
    TransformerShape m;
    m.name = id;
    read_shape_keys(r, m);
    r.finish();
    return m;
  }
  name_node.fail(fmt::format("a model preset of {} (one of: {})", file, known));
}

void require(bool ok, const ConfigNode& n, const std::string& what) {
  if (!ok) n.fail(what);
}

}  // namespace

// workload.model: a preset and/or the shape keys, then the shape's own rules.
TransformerShape read_transformer_model(const ConfigNode& mn, const std::string& data_dir) {
  TransformerShape m;
  MapReader r(mn, transformer_keys(), "workload.model");
  if (auto p = r.optional("preset")) m = load_preset(*p, data_dir);
  read_shape_keys(r, m);
  if (auto n = r.text("name")) m.name = *n;
  r.finish();
  const std::string hint = " (give it, or a 'preset')";
  if (m.hidden == 0) mn.fail("'hidden'" + hint);
  if (m.layers == 0) mn.fail("'layers'" + hint);
  if (m.heads == 0) mn.fail("'heads'" + hint);
  if (m.ffn == 0) mn.fail("'ffn'" + hint);
  if (m.vocab == 0) mn.fail("'vocab'" + hint);
  if (m.kv_heads == 0) m.kv_heads = m.heads;
  if (m.name.empty()) m.name = "transformer";
  if (m.head_size == 0)
    require(m.hidden % m.heads == 0, mn,
            fmt::format("heads ({}) dividing hidden ({}) into whole head dimensions, or 'head_dim'", m.heads, m.hidden));
  require(m.heads % m.kv_heads == 0, mn, fmt::format("kv_heads ({}) dividing heads ({})", m.kv_heads, m.heads));
  if (m.experts > 0 || m.top_k > 0) {
    require(m.experts > 0 && m.top_k > 0, mn, "both 'experts' and 'top_k' for a mixture-of-experts model");
    require(m.top_k <= m.experts, mn, fmt::format("top_k ({}) at most experts ({})", m.top_k, m.experts));
  }
  require(m.shared_experts == 0 || m.moe(), mn, "a mixture-of-experts model ('experts', 'top_k') for shared_experts");
  require(m.global_every == 0 || m.sliding_window > 0, mn, "a 'sliding_window' for global_every");
  return m;
}

namespace {

// parallel.stage_layers: pp x virtual_stages counts, each at least 1, summing to the layers.
std::vector<std::int64_t> read_stage_layers(const ConfigNode& n, const ParallelLayout& l, const TransformerShape& m) {
  const std::vector<ConfigNode> items = n.items();
  const std::int64_t stages = l.pp * l.virtual_stages;
  require(static_cast<std::int64_t>(items.size()) == stages, n,
          fmt::format("a list of pp x virtual_stages = {} x {} = {} layer counts, one per virtual stage in the model's "
                      "order, got {}",
                      l.pp, l.virtual_stages, stages, items.size()));
  std::vector<std::int64_t> out;
  std::int64_t sum = 0;
  for (const ConfigNode& item : items) {
    out.push_back(item.as_int(1, m.layers));
    sum += out.back();
  }
  require(sum == m.layers, n, fmt::format("layer counts summing to the model's layers ({}), got {}", m.layers, sum));
  return out;
}

// parallel.first_stage_layers / last_stage_layers (Megatron-LM's --decoder-first/last-pipeline-
// num-layers): pipeline rank 0 and rank pp - 1 hold the layers given, split evenly over their
// chunks; the other ranks share the rest evenly. Returned per virtual stage (chunk c of rank s
// at c pp + s). Each key is its node and value when given.
struct StageKey {
  std::optional<ConfigNode> node;
  std::optional<std::int64_t> layers;
};
std::vector<std::int64_t> first_last_stage_layers(const StageKey& first_key, const StageKey& last_key,
                                                  const ParallelLayout& l, const TransformerShape& m) {
  const std::int64_t p = l.pp, v = l.virtual_stages;
  const ConfigNode& at = first_key.node ? *first_key.node : *last_key.node;
  require(p > 1, at,
          "pp > 1 for first_stage_layers and last_stage_layers (the first and last of several pipeline stages)");
  for (const auto& [name, key] :
       {std::pair{"first_stage_layers", &first_key}, std::pair{"last_stage_layers", &last_key}})
    if (key->layers && *key->layers % v != 0)
      key->node->fail(fmt::format("{} ({}) divisible by virtual_stages ({}): each of the rank's chunks holds as many",
                                  name, *key->layers, v));
  const std::optional<std::int64_t> first = first_key.layers, last = last_key.layers;
  const std::int64_t middle_ranks = p - (first ? 1 : 0) - (last ? 1 : 0);
  const std::int64_t middle = m.layers - first.value_or(0) - last.value_or(0);
  if (middle_ranks == 0)
    require(middle == 0, at,
            fmt::format(
                "first_stage_layers + last_stage_layers ({} + {}) equal to the layers ({}): pp 2 has no other stage",
                *first, *last, m.layers));
  else
    require(middle >= middle_ranks * v && middle % (middle_ranks * v) == 0, at,
            fmt::format("the layers left for the other {} pipeline ranks ({} of {}) divisible by those ranks x "
                        "virtual_stages ({} x {}), at least one layer each",
                        middle_ranks, middle, m.layers, middle_ranks, v));
  std::vector<std::int64_t> out(static_cast<std::size_t>(p * v));
  for (std::int64_t k = 0; k < p * v; ++k) {
    const std::int64_t stage = k % p;
    const std::optional<std::int64_t> own = stage == 0 ? first : stage == p - 1 ? last : std::nullopt;
    out[static_cast<std::size_t>(k)] = own ? *own / v : middle / (middle_ranks * v);
  }
  return out;
}

// workload.parallel, then the layout's rules against the model.
ParallelLayout read_layout(const ConfigNode& pn, const TransformerShape& m) {
  ParallelLayout l;
  MapReader r(pn, transformer_keys(), "workload.parallel");
  l.tp = *r.integer("tp");
  l.pp = *r.integer("pp");
  l.dp = *r.integer("dp");
  l.ep = *r.integer("ep");
  l.cp = *r.integer("cp");
  l.virtual_stages = *r.integer("virtual_stages");
  l.sequence_parallel = *r.flag("sequence_parallel");
  l.zero_stage = static_cast<int>(*r.integer("zero"));
  l.order = *r.text("order") == "tp-cp-pp-dp" ? RankOrder::TpCpPpDp : RankOrder::TpCpDpPp;
  const std::optional<ConfigNode> stage_layers = r.optional("stage_layers");
  StageKey first{r.optional("first_stage_layers"), std::nullopt}, last{r.optional("last_stage_layers"), std::nullopt};
  if (first.node) first.layers = read_integer(*first.node, r.spec("first_stage_layers"));
  if (last.node) last.layers = read_integer(*last.node, r.spec("last_stage_layers"));
  r.finish();
  const std::int64_t stages = l.pp * l.virtual_stages;
  if (stage_layers) {
    require(!first.node && !last.node, *stage_layers,
            "either stage_layers or first_stage_layers / last_stage_layers, not both: the list gives every stage");
    l.stage_layers = read_stage_layers(*stage_layers, l, m);
  } else if (first.node || last.node) {
    l.stage_layers = first_last_stage_layers(first, last, l, m);
  } else {
    require(stages <= m.layers, pn,
            fmt::format(
                "pp x virtual_stages ({} x {}) at most the layers ({}): every virtual stage holds at least one layer",
                l.pp, l.virtual_stages, m.layers));
  }
  require(m.heads % l.tp == 0, pn, fmt::format("tp ({}) dividing the attention heads ({})", l.tp, m.heads));
  require(m.kv_heads % l.tp == 0, pn, fmt::format("tp ({}) dividing the key/value heads ({})", l.tp, m.kv_heads));
  require(m.ffn % l.tp == 0 || m.moe(), pn, fmt::format("tp ({}) dividing the FFN size ({})", l.tp, m.ffn));
  require(m.sliding_window == 0 || l.cp == 1, pn,
          "cp 1 for a model with a sliding window (a windowed attention's context-parallel blocks are not modelled)");
  require((m.shared_experts * m.ffn) % l.tp == 0, pn,
          fmt::format("tp ({}) dividing the shared experts' FFN size ({} x {})", l.tp, m.shared_experts, m.ffn));
  require(l.virtual_stages == 1 || l.pp > 1, pn, "pp > 1 for virtual_stages > 1 (interleaving needs a pipeline)");
  require(!l.sequence_parallel || l.tp > 1, pn, "tp > 1 for sequence_parallel (it splits activations over the TP group)");
  if (l.ep > 1) {
    require(m.moe(), pn, fmt::format("ep: 1 for a dense model (ep {} needs 'experts')", l.ep));
    require(m.experts % l.ep == 0, pn, fmt::format("ep ({}) dividing the experts ({})", l.ep, m.experts));
    require(l.dp % l.ep == 0, pn, fmt::format("ep ({}) dividing dp ({}): experts are spread over data-parallel ranks", l.ep, l.dp));
  }
  if (m.moe() && l.tp > 1)
    require(l.sequence_parallel, pn,
            "sequence_parallel: true for a mixture-of-experts model with tp > 1 (each TP rank routes its share of the tokens)");
  return l;
}

// workload.batch, then its rules against the layout.
TrainingBatch read_batch(const ConfigNode& bn, const ParallelLayout& l) {
  TrainingBatch b;
  MapReader r(bn, transformer_keys(), "workload.batch");
  b.seq = *r.integer("sequence");
  b.micro = *r.integer("micro");
  b.global = *r.integer("global");
  r.finish();
  require(b.global % (b.micro * l.dp) == 0, bn,
          fmt::format("a global batch ({}) divisible by micro x dp ({} x {})", b.global, b.micro, l.dp));
  require(b.seq % l.cp == 0, bn, fmt::format("a sequence ({}) divisible by cp ({})", b.seq, l.cp));
  require(!l.sequence_parallel || (b.micro * b.seq / l.cp) % l.tp == 0, bn,
          fmt::format("micro x sequence / cp ({}) divisible by tp ({}) for sequence parallelism", b.micro * b.seq / l.cp, l.tp));
  const std::int64_t mb = b.microbatches(l);
  require(l.virtual_stages == 1 || mb % l.pp == 0, bn,
          fmt::format("micro batches per step ({}) divisible by pp ({}) for the interleaved schedule", mb, l.pp));
  return b;
}

// workload.options.fp8 into s.fp8, after the precisions: only with an FP8 GEMM to apply to.
// Defaults: delayed scaling (TransformerEngine's default recipe, the one Megatron-LM and NeMo use
// unless told otherwise), the weight cache on for delayed scaling (Megatron-LM passes TE's
// is_first_microbatch) and off for tensor-wise (torchao casts the weights in every forward).
void read_fp8(const ConfigNode& fn, TransformerSpec& s) {
  if (s.precision != Precision::fp8 && s.logits_precision != Precision::fp8)
    fn.fail(fmt::format("no `fp8` map: it sets the recipe of the fp8 GEMMs, and no GEMM here is fp8 (the layers' "
                        "are {}, the output layer's {}; set workload.options.precision or its `gemm` to fp8)",
                        to_string(s.precision), to_string(s.logits_precision)));
  MapReader r(fn, transformer_keys(), "workload.options.fp8");
  const std::optional<ConfigNode> scaling_node = r.optional("scaling");
  const std::string scaling = *r.text("scaling");
  if (scaling == "rowwise")
    scaling_node->fail("`delayed` or `tensorwise`: `rowwise` (torchao's row-wise scaling) is refused, because its "
                       "row-wise-scaled GEMM kernels are slower than tensor-wise ones by an amount racksim has no "
                       "measurement of and its GEMM model has one FP8 rate, so it would predict the tensor-wise step");
  s.fp8.scaling = scaling == "tensorwise" ? Fp8Scaling::Tensorwise : Fp8Scaling::Delayed;
  s.fp8.weight_cache = s.fp8.scaling == Fp8Scaling::Delayed;
  if (auto c = r.optional("weight_cache")) s.fp8.weight_cache = read_flag(*c, r.spec("weight_cache"));
  r.finish();
}

// workload.options into `s`: recomputation, precisions (one, or per op), the FP8 recipe, overlap.
void read_options(const ConfigNode& on, const GpuSpec& gpu, TransformerSpec& s) {
  MapReader r(on, transformer_keys(), "workload.options");
  const std::string recompute = *r.text("recompute");
  s.recompute = recompute == "full"        ? Recompute::Full
                : recompute == "selective" ? Recompute::Selective
                : recompute == "per_op"    ? Recompute::PerOp
                                           : Recompute::None;
  if (auto n = r.optional("precision")) {
    auto read = [&](const ConfigNode& v) {
      const auto p = precision_from_string(v.as_string());
      if (!p) v.fail("a precision (bf16, fp16, fp8, fp4, ...)");
      if (!gpu.peak(*p)) v.fail(fmt::format("a precision GPU '{}' computes in (it has no {} rate)", gpu.id, to_string(*p)));
      return *p;
    };
    if (n->is_map()) {  // per op: {gemm, attention, logits}
      MapReader pr(*n, transformer_keys(), "workload.options.precision");
      if (auto v = pr.optional("gemm")) s.precision = s.logits_precision = read(*v);
      if (auto v = pr.optional("attention")) s.attention_precision = read(*v);
      if (auto v = pr.optional("logits")) s.logits_precision = read(*v);
      pr.finish();
    } else {  // one precision for every GEMM; attention stays bf16
      s.precision = s.logits_precision = read(*n);
    }
  }
  if (auto n = r.optional("fp8")) read_fp8(*n, s);
  s.overlap_grad_reduce = *r.flag("overlap_grad_reduce");
  s.overlap_tp_comm = *r.flag("overlap_tp_comm");
  s.overlap_param_gather = *r.flag("overlap_param_gather");
  if (s.overlap_param_gather && s.layout.zero_stage != 1 && s.layout.zero_stage != 2)
    r.required("overlap_param_gather")
        .fail(fmt::format("false, or parallel.zero 1 or 2 (the distributed optimizer's parameter all-gathers; "
                          "parallel.zero is {}: {})",
                          s.layout.zero_stage,
                          s.layout.zero_stage == 0 ? "nothing is gathered"
                                                   : "ZeRO-3 gathers each layer's weights before each use, "
                                                     "always one layer ahead"));
  s.unfused_attention = *r.text("attention") == "unfused";
  s.attention_dropout = *r.flag("attention_dropout");
  r.finish();
}

}  // namespace

TransformerSpec read_transformer_spec(MapReader& wm, const GpuSpec& gpu, const std::string& data_dir) {
  TransformerSpec s;
  s.where = wm.node().location();
  s.model = read_transformer_model(wm.required("model"), data_dir);
  s.layout = read_layout(wm.required("parallel"), s.model);
  s.batch = read_batch(wm.required("batch"), s.layout);
  if (auto on = wm.optional("options")) read_options(*on, gpu, s);
  if (auto tn = wm.optional("train")) {
    MapReader r(*tn, transformer_keys(), "workload.train");
    TrainGoal g;
    g.steps = r.integer("steps");
    g.tokens = r.number("tokens");
    r.finish();
    if (g.steps.has_value() == g.tokens.has_value()) tn->fail("exactly one of 'steps' and 'tokens'");
    s.train = g;
  }
  if (!gpu.peak(Precision::bf16))
    wm.node().fail(fmt::format("a GPU with a bf16 rate for attention and norms (GPU '{}' has none)", gpu.id));
  return s;
}

// The default split (the header has the rule and why): floor(L / S) layers per virtual stage,
// one more on stages 1 .. L mod S.
std::vector<std::int64_t> pipeline_stage_layers(std::int64_t layers, const ParallelLayout& l) {
  const std::int64_t stages = l.pp * l.virtual_stages;
  if (!l.stage_layers.empty()) {
    const auto& given = l.stage_layers;
    const bool positive = std::all_of(given.begin(), given.end(), [](std::int64_t n) { return n >= 1; });
    if (static_cast<std::int64_t>(given.size()) != stages || !positive ||
        std::accumulate(given.begin(), given.end(), std::int64_t{0}) != layers)
      throw Error(
          fmt::format("the layout's {} stage layer counts are not pp x virtual_stages = {} positive counts "
                      "summing to the {} layers",
                      l.stage_layers.size(), stages, layers));
    return l.stage_layers;
  }
  if (stages < 1 || stages > layers)
    throw Error(fmt::format("{} layers cannot fill pp x virtual_stages = {} virtual stages", layers, stages));
  std::vector<std::int64_t> out(static_cast<std::size_t>(stages), layers / stages);
  for (std::int64_t k = 1; k <= layers % stages; ++k) ++out[static_cast<std::size_t>(k)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generating the op graphs
// ---------------------------------------------------------------------------------------------
namespace {

// The layers pipeline rank `stage` holds: those of its chunks, virtual stages c pp + stage of
// `vs_layers` (pipeline_stage_layers).
std::int64_t rank_layer_count(const std::vector<std::int64_t>& vs_layers, const ParallelLayout& l, std::int64_t stage) {
  std::int64_t n = 0;
  for (std::int64_t chunk = 0; chunk < l.virtual_stages; ++chunk)
    n += vs_layers[static_cast<std::size_t>(chunk * l.pp + stage)];
  return n;
}

enum Stream : int { kCompute = 0, kTp = 1, kPpFwd = 2, kPpBwd = 3, kDp = 4 };
const std::vector<std::string> kStreams = {"compute", "tp_comm", "pp_send_fwd", "pp_send_bwd", "dp_comm"};

// Chunks a GEMM and its TP collective are cut into when overlap_tp_comm is on: the collective of
// chunk i runs while chunk i+1 computes (the pipelined overlap of Megatron-LM's --tp-comm-overlap).
constexpr int kOverlapChunks = 4;

struct Coords {
  std::int64_t tp = 0, cp = 0, dp = 0, pp = 0;
};

// One pipeline step of a rank: a forward or backward pass of micro batch `mb` through model
// chunk `chunk` (pipeline_schedule below).
struct Step {
  bool forward = true;
  std::int64_t chunk = 0, mb = 0;
};

// A gradient bucket: a layer, or the embedding or output layer, with the dense and expert
// parameters it holds on one rank.
struct Bucket {
  std::string id;
  double dense = 0.0, expert = 0.0;
};

// ZeRO-3's gathered weights of one layer: the buffer's alloc op and the gather's last collective
// (-1 when the layer's weights are not gathered).
struct Gather {
  int alloc = -1, done = -1;
};

class Generator {
public:
  // `materialize`: build the programs of ranks 0..materialize-1 only (< 0: all); generate_transformer.
  Generator(const TransformerSpec& s, int materialize)
      : s_(s),
        m_(s.model),
        l_(s.layout),
        layer_dense_(dense_params_per_layer()),
        layer_expert_(expert_params_per_layer()),
        vs_layers_(pipeline_stage_layers(s.model.layers, s.layout)),
        vs_first_(first_layers(vs_layers_)),
        sz_(step_sizes()),
        materialize_(materialize) {}
  Workload build();

private:
  // --- layout ---
  // Every rank number, group membership and pipeline peer goes through these two, so the rank
  // order (l_.order) is decided here alone. Both orders are mixed-radix numberings, strictly
  // increasing in each coordinate: a group's member with the lowest coordinates is its lowest rank.
  [[nodiscard]] int rank_of(const Coords& c) const {
    if (l_.order == RankOrder::TpCpPpDp) return static_cast<int>(c.tp + l_.tp * (c.cp + l_.cp * (c.pp + l_.pp * c.dp)));
    return static_cast<int>(c.tp + l_.tp * (c.cp + l_.cp * (c.dp + l_.dp * c.pp)));
  }
  [[nodiscard]] Coords coords_of(int r) const {
    Coords c;
    std::int64_t x = r;
    c.tp = x % l_.tp; x /= l_.tp;
    c.cp = x % l_.cp; x /= l_.cp;
    if (l_.order == RankOrder::TpCpPpDp) {
      c.pp = x % l_.pp; x /= l_.pp;
      c.dp = x;
    } else {
      c.dp = x % l_.dp; x /= l_.dp;
      c.pp = x;
    }
    return c;
  }
  // Ranks whose programs are built: 0..built_ranks()-1.
  [[nodiscard]] int built_ranks() const { return materialize_ < 0 ? w_.ranks : materialize_; }
  void make_groups();

  // --- one rank ---
  struct RankState {
    Coords c;
    std::vector<Op>* ops = nullptr;
    std::vector<int> last;                 // last op per stream
    std::map<int, int> seq;                // collective sequence per group
    int tp = -1, cp = -1, dpg = -1, ep = -1, edp = -1;  // group indices (-1: a group of one)
    int prev_rank = -1, next_rank = -1;    // the pipeline's previous and next stage
    // What one pipeline step leaves for later ones.
    std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, int> saved;  // (chunk, mb, layer) -> activations' alloc op
    int logits_alloc = -1;                 // the last forward step's logits buffer
    std::vector<Bucket> deferred;          // gradient reductions left for after the last backward step
    std::vector<Bucket> buckets;           // every layer's bucket, for ZeRO 1/2's parameter all-gathers
    int root_alloc = -1;                   // ZeRO-3: the gathered root unit's weights while held
  };
  // This rank's share of the model state (models/transformer.hpp model_state_bytes): dense
  // parameters are sharded over the dp x cp ranks of their group, expert parameters over the
  // dp x cp / ep ranks that hold the same experts.
  struct ModelShard {
    double params = 0.0;                   // every parameter the rank holds (rank_params)
    double expert_params = 0.0;            // of which in experts
    std::int64_t dense_ranks = 1, expert_ranks = 1;  // ranks the dense / expert state is sharded over
  };
  int add(RankState& st, Op op, const std::vector<int>& deps);
  int gemm(RankState& st, const std::string& id, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch,
           int stream, const std::vector<int>& deps, Precision p);
  int attention(RankState& st, const std::string& id, bool backward, const std::vector<int>& deps, std::int64_t layer);
  int unfused_attention(RankState& st, const std::string& id, bool backward, const std::vector<int>& deps);
  [[nodiscard]] double unfused_score_elements() const;       // micro x heads/tp x s^2/cp: the rank's scores
  [[nodiscard]] double unfused_attention_saved_bytes() const;  // one layer's s x s tensors kept for backward
  int memory(RankState& st, const std::string& id, double bytes, const std::vector<int>& deps = {});
  // A zero-length delay on the compute stream that waits for `deps`: how compute waits for
  // communication running on another stream.
  int join(RankState& st, const std::string& id, const std::vector<int>& deps);
  int collective(RankState& st, const std::string& id, CollectiveKind kind, int group, double bytes, int stream,
                 const std::vector<int>& deps);
  int alloc(RankState& st, const std::string& id, double bytes, const std::string& label, const std::vector<int>& deps = {});
  // A pipeline send or receive of `bytes` with `peer` (tag: which virtual stage and direction).
  int p2p(RankState& st, const std::string& id, OpKind kind, int stream, int peer, std::int64_t tag, double bytes,
          const std::vector<int>& deps);
  int free_op(RankState& st, const std::string& id, int alloc_op, const std::vector<int>& deps = {});
  // A GEMM followed by a TP reduction (reduce-scatter or all-reduce) of its output, or a TP
  // all-gather followed by the GEMM that consumes it; chunked when overlap_tp_comm is on.
  int gemm_then_reduce(RankState& st, const std::string& id, std::int64_t m, std::int64_t n, std::int64_t k,
                       double reduce_bytes, bool scatter, std::optional<Precision> precision = std::nullopt);
  int gather_then_gemms(RankState& st, const std::string& id, double gather_bytes,
                        const std::vector<std::array<std::int64_t, 3>>& shapes,
                        std::optional<Precision> precision = std::nullopt);

  // The FP8 recipe's memory ops of one linear layer (fp8_casts.hpp) whose forward GEMM is M = t,
  // N = n, K = k (`batch` of them) and runs at precision `pr`: nothing unless `pr` is fp8. The
  // forward pass's ops, and the once-per-step ones when `first` (the layer's first forward pass of
  // the step); or the backward pass's.
  void fp8_casts(RankState& st, const std::string& id, bool forward, bool first, Precision pr, std::int64_t t,
                 std::int64_t n, std::int64_t k, std::int64_t batch = 1);
  // `first`: micro batch 0's forward pass, not a recompute one (the FP8 weight cache is filled).
  void layer_forward(RankState& st, const std::string& p, bool recompute_pass, bool first, std::int64_t layer);
  void layer_backward(RankState& st, const std::string& p, std::int64_t layer);
  // A TP-split dense FFN of inner size `inner` (a dense layer's, or an MoE layer's shared
  // experts'), its ops named p + "." + name + "fc1" / "act" / "fc2": forward (`r` ".re" in a
  // recompute pass; `first` as for layer_forward) and backward.
  void ffn_forward(RankState& st, const std::string& p, const std::string& name, std::int64_t inner, const std::string& r,
                   bool first);
  void ffn_backward(RankState& st, const std::string& p, const std::string& name, std::int64_t inner);
  // Recompute::PerOp: what torchtitan's op-level SAC recomputes when a layer's backward starts:
  // the norms, residual and activation kernels and the even-numbered matmuls (W_k, W_o, and W_3
  // or the GELU FFN's second matrix; MoE experts are kept, not recomputed).
  void layer_recompute_per_op(RankState& st, const std::string& p);

  [[nodiscard]] RankState start_rank(int r);
  [[nodiscard]] ModelShard model_shard(const Coords& c) const;
  // Weights, gradients and optimizer state, allocated at t = 0 and never freed.
  void alloc_model_state(RankState& st, const ModelShard& shard);
  // Gradient reduction of one bucket over the data-parallel group: all-reduce (ZeRO 0) or
  // reduce-scatter (ZeRO 1-3), after the last compute op; deferred to after the last backward
  // step unless `now`.
  void reduce_bucket(RankState& st, const Bucket& b, bool now);
  // The gather before one use of a layer's weights, issued before the layer before it computes
  // (one layer of prefetch, as FSDP and Megatron-LM's --overlap-param-gather do). ZeRO-3: the
  // weights are all-gathered before each use and dropped after it, so two layers' weights can be
  // resident at once. ZeRO 1/2 with overlap_param_gather: the parameter all-gathers of the
  // previous step's optimizer, at the layer's first forward use of the step (`first_use`); the
  // weights stay resident. Otherwise (or without data parallelism) nothing.
  Gather start_gather(RankState& st, const std::string& id, bool first_use);
  // ZeRO-3 (FSDP): the rank's part of the root unit — the embedding on the first virtual stage,
  // the final norm and output layer on the last — gathered (alloc, all-gather, wait) when its
  // first forward step of the micro batch starts, exposed, and freed after its backward (both once
  // per step with pipeline stages, whose root FSDP keeps through the micro batches).
  void gather_root(RankState& st, const std::string& f, std::int64_t vs);
  void free_root(RankState& st, const std::string& b, std::int64_t vs, bool last_mb);
  // ZeRO 1/2: the all-gathers of bucket `b`'s updated parameters over the data-parallel group(s),
  // after `deps`; the last one's op, or -1 when there is no group.
  int param_gather(RankState& st, const Bucket& b, const std::vector<int>& deps);
  // Runs `body(layer, id)` for the chunk's layers in `order`, each inside its gathered weights
  // (`first_use`: the step's first forward pass through them). `tail`, when given, is the gather
  // that follows the chunk's layers (the output layer's), issued as the last layer starts, and
  // returned.
  template <class Body>
  Gather with_weights(RankState& st, const std::vector<std::int64_t>& order, const std::string& prefix, bool first_use,
                    const Body& body, const std::function<Gather()>& tail = {});
  void forward_step(RankState& st, const Step& step);
  void backward_step(RankState& st, const Step& step);
  // Adam's update of the rank's shard, then (ZeRO 1 and 2) the parameter all-gathers.
  void optimizer_step(RankState& st, const ModelShard& shard);
  void build_rank(int r);

  // --- sizes ---
  [[nodiscard]] std::int64_t tokens() const { return s_.batch.micro * s_.batch.seq / l_.cp; }   // T
  [[nodiscard]] std::int64_t sharded_tokens() const { return l_.sequence_parallel ? tokens() / l_.tp : tokens(); }
  [[nodiscard]] std::int64_t vocab_shard() const { return (m_.vocab + l_.tp - 1) / l_.tp; }
  [[nodiscard]] double embed_params() const { return static_cast<double>(vocab_shard() * m_.hidden); }  // V/t x h
  [[nodiscard]] double head_params() const { return embed_params() + static_cast<double>(m_.hidden); }   // + final norm
  [[nodiscard]] double dense_params_per_layer() const;   // one layer, one rank: attention/t + FFN/t + norms (+ router)
  [[nodiscard]] double expert_params_per_layer() const;  // one layer, one rank: its E/ep experts
  [[nodiscard]] double rank_params(const Coords& c) const;
  // The index of each virtual stage's first layer (the running sum of `counts`).
  [[nodiscard]] static std::vector<std::int64_t> first_layers(const std::vector<std::int64_t>& counts);

  // The sizes of one step, the same on every rank.
  struct StepSizes {
    std::int64_t p = 1, v = 1, m = 1;      // pipeline stages, virtual stages per stage, micro batches
    std::int64_t last_vs = 0;              // the last virtual stage: p v - 1
    std::int64_t T = 0, Tt = 0, h = 0, Vt = 0;  // tokens(), sharded_tokens(), hidden, vocab_shard()
    double Th = 0.0, Tth = 0.0;            // bytes of a bf16 T x h and Tt x h activation
    double act_layer = 0.0;                // one layer's saved activations (with the run's recompute)
    double act_full = 0.0;                 // the same without recompute
    double logits_bytes = 0.0;             // bf16 logits + fp32 softmax of T x Vt
  };
  [[nodiscard]] StepSizes step_sizes() const;

  const TransformerSpec& s_;
  const TransformerShape& m_;
  const ParallelLayout& l_;
  const double layer_dense_;   // dense_params_per_layer(), computed once
  const double layer_expert_;  // expert_params_per_layer()
  const std::vector<std::int64_t> vs_layers_;  // layers of each virtual stage (pipeline_stage_layers)
  const std::vector<std::int64_t> vs_first_;   // each virtual stage's first layer
  const StepSizes sz_;         // step_sizes(), computed once
  const int materialize_;      // < 0: every rank
  Workload w_;
  std::vector<int> tp_group_, cp_group_, dp_group_, ep_group_, edp_group_;  // per rank
  std::vector<int> last_backward_op_;                                         // per rank
};

void Generator::make_groups() {
  const auto n = static_cast<std::size_t>(w_.ranks);
  tp_group_.assign(n, -1);
  cp_group_.assign(n, -1);
  dp_group_.assign(n, -1);
  ep_group_.assign(n, -1);
  edp_group_.assign(n, -1);
  // Each group is made once, by its lowest-coordinate member, and assigned to all members. That
  // member is the group's lowest rank (rank_of), so visiting ranks 0..built_ranks()-1 makes
  // exactly the groups with a member among them, in the same order as a full generation would.
  const int upto = built_ranks();
  for (int r = 0; r < upto; ++r) {
    const Coords c = coords_of(r);
    if (l_.tp > 1 && c.tp == 0) {
      std::vector<int> rs;
      for (std::int64_t i = 0; i < l_.tp; ++i) rs.push_back(rank_of({i, c.cp, c.dp, c.pp}));
      const int g = add_group(w_, fmt::format("tp.pp{}.dp{}.cp{}", c.pp, c.dp, c.cp), rs, ParallelDim::TP);
      for (int x : rs) tp_group_[static_cast<std::size_t>(x)] = g;
    }
    if (l_.cp > 1 && c.cp == 0) {
      std::vector<int> rs;
      for (std::int64_t i = 0; i < l_.cp; ++i) rs.push_back(rank_of({c.tp, i, c.dp, c.pp}));
      const int g = add_group(w_, fmt::format("cp.pp{}.dp{}.tp{}", c.pp, c.dp, c.tp), rs, ParallelDim::CP);
      for (int x : rs) cp_group_[static_cast<std::size_t>(x)] = g;
    }
    if (l_.dp * l_.cp > 1 && c.dp == 0 && c.cp == 0) {  // dense gradients: over data and context ranks
      std::vector<int> rs;
      for (std::int64_t d = 0; d < l_.dp; ++d)
        for (std::int64_t i = 0; i < l_.cp; ++i) rs.push_back(rank_of({c.tp, i, d, c.pp}));
      const int g = add_group(w_, fmt::format("dp.pp{}.tp{}", c.pp, c.tp), rs, ParallelDim::DP);
      for (int x : rs) dp_group_[static_cast<std::size_t>(x)] = g;
    }
    if (m_.moe() && l_.ep > 1 && c.dp % l_.ep == 0) {  // experts: ep consecutive data-parallel ranks
      std::vector<int> rs;
      for (std::int64_t d = c.dp; d < c.dp + l_.ep; ++d) rs.push_back(rank_of({c.tp, c.cp, d, c.pp}));
      const int g = add_group(w_, fmt::format("ep.pp{}.dp{}.cp{}.tp{}", c.pp, c.dp / l_.ep, c.cp, c.tp), rs, ParallelDim::EP);
      for (int x : rs) ep_group_[static_cast<std::size_t>(x)] = g;
    }
    if (m_.moe() && (l_.dp / l_.ep) * l_.cp > 1 && c.dp < l_.ep && c.cp == 0) {  // expert gradients
      std::vector<int> rs;
      for (std::int64_t d = c.dp; d < l_.dp; d += l_.ep)
        for (std::int64_t i = 0; i < l_.cp; ++i) rs.push_back(rank_of({c.tp, i, d, c.pp}));
      const int g = add_group(w_, fmt::format("edp.pp{}.e{}.tp{}", c.pp, c.dp, c.tp), rs, ParallelDim::DP);
      for (int x : rs) edp_group_[static_cast<std::size_t>(x)] = g;
    }
  }
}

double Generator::dense_params_per_layer() const {
  const double h = static_cast<double>(m_.hidden), t = static_cast<double>(l_.tp);
  const ParameterCount pc = count_parameters(m_);
  // per_layer_dense = attention + 2h norms + (dense FFN | router hE); norms and router are
  // replicated over the TP group, the rest is split.
  const double replicated = 2.0 * h + (m_.moe() ? h * static_cast<double>(m_.experts) : 0.0);
  return (pc.per_layer_dense - replicated) / t + replicated;
}

double Generator::expert_params_per_layer() const {
  if (!m_.moe()) return 0.0;
  return count_parameters(m_).per_layer_expert * static_cast<double>(m_.experts / l_.ep);
}

std::vector<std::int64_t> Generator::first_layers(const std::vector<std::int64_t>& counts) {
  std::vector<std::int64_t> first;
  std::int64_t at = 0;
  for (const std::int64_t n : counts) {
    first.push_back(at);
    at += n;
  }
  return first;
}

double Generator::rank_params(const Coords& c) const {
  const double layers = static_cast<double>(rank_layer_count(vs_layers_, l_, c.pp));
  double psi = layers * (layer_dense_ + layer_expert_);
  const double emb = static_cast<double>(vocab_shard()) * static_cast<double>(m_.hidden);
  if (c.pp == 0) psi += emb;                                                  // input embedding
  if (c.pp == l_.pp - 1) psi += emb + static_cast<double>(m_.hidden);         // output layer + final norm
  return psi;
}

int Generator::add(RankState& st, Op op, const std::vector<int>& deps) {
  auto& ops = *st.ops;
  const int idx = static_cast<int>(ops.size());
  for (int d : deps)
    if (d >= 0) op.deps.push_back(d);
  int& prev = st.last[static_cast<std::size_t>(op.stream)];
  if (prev >= 0) op.deps.push_back(prev);
  prev = idx;
  std::sort(op.deps.begin(), op.deps.end());
  op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
  if (op.kind == OpKind::Collective) op.sequence = st.seq[op.group]++;
  op.where = s_.where;
  ops.push_back(std::move(op));
  return idx;
}

int Generator::gemm(RankState& st, const std::string& id, std::int64_t m, std::int64_t n, std::int64_t k,
                    std::int64_t batch, int stream, const std::vector<int>& deps, Precision p) {
  Op op;
  op.id = id;
  op.kind = OpKind::Compute;
  op.stream = stream;
  op.precision = p;
  GemmShape g;
  g.m = m; g.n = n; g.k = k; g.batch = batch;
  op.gemm = g;
  const KernelWork kw = gemm_work(g, p);
  op.flops = kw.flops;
  op.hbm_bytes = kw.bytes;
  return add(st, std::move(op), deps);
}

int Generator::attention(RankState& st, const std::string& id, bool backward, const std::vector<int>& deps,
                         std::int64_t layer) {
  if (s_.unfused_attention) return unfused_attention(st, id, backward, deps);
  // Context parallelism: the rank's queries (s/c of them) meet the keys of all c chunks, as c
  // causal blocks of s/c x s/c (the load-balanced ring-attention layout does 1/c of the causal work).
  const std::int64_t blocks = l_.cp;
  int last = -1;
  for (std::int64_t i = 0; i < blocks; ++i) {
    Op op;
    op.id = blocks > 1 ? fmt::format("{}.b{}", id, i) : id;
    op.kind = OpKind::Compute;
    op.stream = kCompute;
    op.precision = s_.attention_precision;
    AttentionShape a;
    a.batch = s_.batch.micro;
    a.heads = m_.heads / l_.tp;
    a.kv_heads = m_.kv_heads / l_.tp;
    a.seq = s_.batch.seq / l_.cp;
    a.head_dim = m_.head_dim();
    a.causal = true;
    a.backward = backward;
    a.window = m_.window_of(layer);  // cp is 1 with a window (read_layout)
    op.attention = a;
    const KernelWork kw = attention_work(a, op.precision);
    op.flops = kw.flops;
    op.hbm_bytes = kw.bytes;
    last = add(st, std::move(op), i == 0 ? deps : std::vector<int>{});
  }
  return last;
}

// Unfused attention (workload.options.attention: unfused), per context block of s/c queries x
// s/c keys, batch B = micro x heads/tp, as PyTorch/Megatron-LM's non-flash path runs it:
//   forward:  scores S = Q K^T        GEMM s/c x s/c x d, batch B (S written in bf16)
//             scale+mask+softmax      read S, write P: bf16 in and out, fp32 math in registers
//                                     (Megatron-LM's fused scaled-masked-softmax): 4 B per element
//             [dropout]               read P, write P' (bf16) and its mask (1 B): 5 B per element
//             O = P V                 GEMM s/c x d x s/c, batch B
//   backward: dP = dO V^T             GEMM s/c x s/c x d;  dV = P^T dO  GEMM s/c x d x s/c
//             [dropout backward]      read dP' and the mask, write dP: 5 B per element
//             softmax backward        read P and dP, write dS: 6 B per element
//             dQ = dS K               GEMM s/c x d x s/c;  dK = dS^T Q  GEMM s/c x d x s/c
// Every GEMM computes the whole s x s (the causal mask only zeroes), so unfused attention does
// twice the useful FLOPs of a causal flash kernel. Saved for backward: P (2 B per element), and
// with dropout its mask (1 B) and output (2 B): Korthikanti et al. 2022's 5 a s^2 b.
int Generator::unfused_attention(RankState& st, const std::string& id, bool backward, const std::vector<int>& deps) {
  const std::int64_t q = s_.batch.seq / l_.cp, d = m_.head_dim(), B = s_.batch.micro * (m_.heads / l_.tp);
  const double elems = static_cast<double>(B) * static_cast<double>(q) * static_cast<double>(q);
  const Precision p = s_.attention_precision;
  const bool drop = s_.attention_dropout;
  int last = -1;
  for (std::int64_t i = 0; i < l_.cp; ++i) {
    const std::string b = l_.cp > 1 ? fmt::format("{}.b{}", id, i) : id;
    const std::vector<int> first = i == 0 ? deps : std::vector<int>{};
    if (!backward) {
      gemm(st, b + ".scores", q, q, d, B, kCompute, first, p);
      memory(st, b + ".softmax", 4.0 * elems);
      if (drop) memory(st, b + ".dropout", 5.0 * elems);
      last = gemm(st, b + ".pv", q, d, q, B, kCompute, {}, p);
    } else {
      gemm(st, b + ".dprobs", q, q, d, B, kCompute, first, p);
      gemm(st, b + ".dv", q, d, q, B, kCompute, {}, p);
      if (drop) memory(st, b + ".dropout", 5.0 * elems);
      memory(st, b + ".softmax", 6.0 * elems);
      gemm(st, b + ".dq", q, d, q, B, kCompute, {}, p);
      last = gemm(st, b + ".dk", q, d, q, B, kCompute, {}, p);
    }
  }
  return last;
}

double Generator::unfused_score_elements() const {
  const double q = static_cast<double>(s_.batch.seq / l_.cp);
  return static_cast<double>(s_.batch.micro * (m_.heads / l_.tp)) * q * q * static_cast<double>(l_.cp);
}

double Generator::unfused_attention_saved_bytes() const {
  return (s_.attention_dropout ? 5.0 : 2.0) * unfused_score_elements();
}

int Generator::memory(RankState& st, const std::string& id, double bytes, const std::vector<int>& deps) {
  Op op;
  op.id = id;
  op.kind = OpKind::Compute;
  op.stream = kCompute;
  op.precision = Precision::bf16;
  op.hbm_bytes = Bytes(bytes);
  return add(st, std::move(op), deps);
}

int Generator::join(RankState& st, const std::string& id, const std::vector<int>& deps) {
  Op op;
  op.id = id;
  op.kind = OpKind::Delay;
  op.stream = kCompute;
  op.duration = Seconds(0.0);
  return add(st, std::move(op), deps);
}

int Generator::collective(RankState& st, const std::string& id, CollectiveKind kind, int group, double bytes,
                          int stream, const std::vector<int>& deps) {
  if (group < 0) return -1;  // a group of one: nothing to exchange
  Op op;
  op.id = id;
  op.kind = OpKind::Collective;
  op.stream = stream;
  op.collective = kind;
  op.algorithm = CollectiveAlgorithm::Auto;  // the run chooses, like the libraries do
  op.group = group;
  op.dim = w_.groups[static_cast<std::size_t>(group)].dim;
  op.bytes = static_cast<std::uint64_t>(bytes);
  return add(st, std::move(op), deps);
}

int Generator::alloc(RankState& st, const std::string& id, double bytes, const std::string& label,
                     const std::vector<int>& deps) {
  Op op;
  op.id = id;
  op.kind = OpKind::Alloc;
  op.stream = kCompute;
  op.bytes = static_cast<std::uint64_t>(bytes);
  op.label = label;
  return add(st, std::move(op), deps);
}

int Generator::p2p(RankState& st, const std::string& id, OpKind kind, int stream, int peer, std::int64_t tag,
                   double bytes, const std::vector<int>& deps) {
  Op op;
  op.id = id;
  op.kind = kind;
  op.stream = stream;
  op.peer = peer;
  op.tag = static_cast<int>(tag);
  op.bytes = static_cast<std::uint64_t>(bytes);
  op.dim = ParallelDim::PP;
  return add(st, std::move(op), deps);
}

int Generator::free_op(RankState& st, const std::string& id, int alloc_op, const std::vector<int>& deps) {
  const Op& a = (*st.ops)[static_cast<std::size_t>(alloc_op)];
  Op op;
  op.id = id;
  op.kind = OpKind::Free;
  op.stream = kCompute;
  op.frees = alloc_op;
  op.bytes = a.bytes;
  op.label = a.label;
  std::vector<int> d = deps;
  d.push_back(alloc_op);
  return add(st, std::move(op), d);
}

int Generator::gemm_then_reduce(RankState& st, const std::string& id, std::int64_t m, std::int64_t n, std::int64_t k,
                                double reduce_bytes, bool scatter, std::optional<Precision> precision) {
  const Precision p = precision.value_or(s_.precision);
  const CollectiveKind kind = scatter ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  if (st.tp < 0) return gemm(st, id, m, n, k, 1, kCompute, {}, p);
  if (!s_.overlap_tp_comm) {
    gemm(st, id, m, n, k, 1, kCompute, {}, p);
    return collective(st, id + ".tp", kind, st.tp, reduce_bytes, kCompute, {});
  }
  std::vector<int> colls;
  for (int i = 0; i < kOverlapChunks; ++i) {
    const int g = gemm(st, fmt::format("{}.c{}", id, i), m / kOverlapChunks, n, k, 1, kCompute, {}, p);
    colls.push_back(collective(st, fmt::format("{}.tp.c{}", id, i), kind, st.tp, reduce_bytes / kOverlapChunks, kTp, {g}));
  }
  // The next compute op waits for every chunk's reduction: a zero-byte join on the compute stream.
  return join(st, id + ".join", colls);
}

int Generator::gather_then_gemms(RankState& st, const std::string& id, double gather_bytes,
                                 const std::vector<std::array<std::int64_t, 3>>& shapes, std::optional<Precision> precision) {
  const Precision p = precision.value_or(s_.precision);
  const bool gather = l_.sequence_parallel && st.tp >= 0;
  int last = -1;
  if (!gather || !s_.overlap_tp_comm) {
    if (gather) collective(st, id + ".ag", CollectiveKind::AllGather, st.tp, gather_bytes, kCompute, {});
    for (std::size_t i = 0; i < shapes.size(); ++i)
      last = gemm(st, shapes.size() > 1 ? fmt::format("{}.{}", id, i == 0 ? "dgrad" : "wgrad") : id, shapes[i][0],
                  shapes[i][1], shapes[i][2], 1, kCompute, {}, p);
    return last;
  }
  // Chunk i of the gathered input arrives while chunk i-1 is multiplied.
  for (int c = 0; c < kOverlapChunks; ++c) {
    const int ag = collective(st, fmt::format("{}.ag.c{}", id, c), CollectiveKind::AllGather, st.tp,
                              gather_bytes / kOverlapChunks, kTp, {});
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      // The GEMM's token dimension is split: m for a forward or data-gradient GEMM, k for a weight gradient.
      auto sh = shapes[i];
      if (shapes.size() > 1 && i == 1) sh[2] /= kOverlapChunks; else sh[0] /= kOverlapChunks;
      last = gemm(st, fmt::format("{}{}.c{}", id, shapes.size() > 1 ? (i == 0 ? ".dgrad" : ".wgrad") : "", c), sh[0], sh[1],
                  sh[2], 1, kCompute, {ag}, p);
    }
  }
  return last;
}

void Generator::fp8_casts(RankState& st, const std::string& id, bool forward, bool first, Precision pr, std::int64_t t,
                          std::int64_t n, std::int64_t k, std::int64_t batch) {
  if (pr != Precision::fp8) return;
  for (const Fp8CastOp& op : fp8_linear_ops(s_.fp8, t, k, n, batch)) {
    const bool now = forward ? op.phase == Fp8Phase::Forward || (first && op.phase == Fp8Phase::PerStep)
                             : op.phase == Fp8Phase::Backward;
    if (now) memory(st, id + ".fp8." + op.name, op.bytes());
  }
}

// One layer's forward pass on one micro batch. `p` prefixes op ids ("f<mb>.l<layer>").
void Generator::layer_forward(RankState& st, const std::string& p, bool recompute_pass, bool first, std::int64_t layer) {
  const std::int64_t T = tokens(), Tt = sharded_tokens(), h = m_.hidden, t = l_.tp, d = m_.head_dim();
  const std::int64_t qkv = (m_.heads + 2 * m_.kv_heads) * d / t;
  const double act = 2.0;  // bytes per activation element
  const bool sp = l_.sequence_parallel;
  const double Th = act * static_cast<double>(T) * static_cast<double>(h);
  const double Tth = act * static_cast<double>(Tt) * static_cast<double>(h);
  const std::string r = recompute_pass ? ".re" : "";
  const Precision pr = s_.precision;
  auto fp8 = [&](const char* name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch = 1) {
    fp8_casts(st, p + name + r, true, first, pr, m, n, k, batch);
  };

  memory(st, p + ".norm1" + r, 2.0 * Tth);                                  // read x, write norm(x)
  fp8(".qkv", T, qkv, h);
  gather_then_gemms(st, p + ".qkv" + r, Th, {{T, qkv, h}});
  if (l_.cp > 1)  // every context rank needs the keys and values of all chunks
    collective(st, p + ".kv_ag" + r, CollectiveKind::AllGather, st.cp,
               act * static_cast<double>(T * 2 * m_.kv_heads * d / t * l_.cp), kCompute, {});
  attention(st, p + ".attn" + r, false, {}, layer);
  fp8(".proj", T, h, m_.heads * d / t);
  gemm_then_reduce(st, p + ".proj" + r, T, h, m_.heads * d / t, Th, sp);
  memory(st, p + ".resid1" + r, 3.0 * Tth);                                 // x + attn: read 2, write 1
  memory(st, p + ".norm2" + r, 2.0 * Tth);
  if (!m_.moe()) {
    ffn_forward(st, p, "", m_.ffn, r, first);
  } else {
    // Each rank routes its Tt tokens; with ep ranks exchanging, each of its E/ep experts gets
    // ep Tt k / E tokens on average (balanced routing).
    const std::int64_t local = m_.experts / l_.ep;
    const std::int64_t per_expert = std::max<std::int64_t>(1, (l_.ep * Tt * m_.top_k + m_.experts - 1) / m_.experts);
    const std::int64_t up = (m_.gated_ffn ? 2 : 1) * m_.ffn;
    const double dispatch = act * static_cast<double>(Tt * m_.top_k * h);
    // Every token also passes through the shared experts: a dense FFN of S x ffn.
    if (m_.shared_experts > 0) ffn_forward(st, p, "shared_", m_.shared_experts * m_.ffn, r, first);
    fp8(".router", Tt, m_.experts, h);
    gemm(st, p + ".router" + r, Tt, m_.experts, h, 1, kCompute, {}, s_.precision);
    collective(st, p + ".dispatch" + r, CollectiveKind::AllToAll, st.ep, dispatch, kCompute, {});
    fp8(".expert_fc1", per_expert, up, h, local);
    gemm(st, p + ".expert_fc1" + r, per_expert, up, h, local, kCompute, {}, s_.precision);
    memory(st, p + ".act" + r, act * static_cast<double>(per_expert * local) * static_cast<double>(up + m_.ffn));
    fp8(".expert_fc2", per_expert, h, m_.ffn, local);
    gemm(st, p + ".expert_fc2" + r, per_expert, h, m_.ffn, local, kCompute, {}, s_.precision);
    collective(st, p + ".combine" + r, CollectiveKind::AllToAll, st.ep, dispatch, kCompute, {});
  }
  memory(st, p + ".resid2" + r, 3.0 * Tth);
}

void Generator::ffn_forward(RankState& st, const std::string& p, const std::string& name, std::int64_t inner,
                            const std::string& r, bool first) {
  const std::int64_t T = tokens(), h = m_.hidden, f = inner / l_.tp, up = (m_.gated_ffn ? 2 : 1) * f;
  const double act = 2.0;
  const double Th = act * static_cast<double>(T) * static_cast<double>(h);
  const std::string id = p + "." + name;
  fp8_casts(st, id + "fc1" + r, true, first, s_.precision, T, up, h);
  gather_then_gemms(st, id + "fc1" + r, Th, {{T, up, h}});
  memory(st, id + "act" + r, act * static_cast<double>(T) * static_cast<double>(up + f));
  fp8_casts(st, id + "fc2" + r, true, first, s_.precision, T, h, f);
  gemm_then_reduce(st, id + "fc2" + r, T, h, f, Th, l_.sequence_parallel);
}

void Generator::ffn_backward(RankState& st, const std::string& p, const std::string& name, std::int64_t inner) {
  const std::int64_t T = tokens(), h = m_.hidden, f = inner / l_.tp, up = (m_.gated_ffn ? 2 : 1) * f;
  const double act = 2.0;
  const bool sp = l_.sequence_parallel;
  const double Th = act * static_cast<double>(T) * static_cast<double>(h);
  const Precision pr = s_.precision;
  const std::string id = p + "." + name;
  // fc2: the reduce-scatter's backward is an all-gather of dY; then dX = dY W^T, dW = X^T dY.
  fp8_casts(st, id + "fc2", false, false, pr, T, h, f);
  gather_then_gemms(st, id + "fc2", Th, {{T, f, h}, {f, h, T}});
  memory(st, id + "act", act * static_cast<double>(T) * static_cast<double>(2 * up + f));
  // fc1: its input (the norm's output) is gathered again for the weight gradient; dX is reduced.
  fp8_casts(st, id + "fc1", false, false, pr, T, up, h);
  if (sp) collective(st, id + "fc1.ag", CollectiveKind::AllGather, st.tp, Th, kCompute, {});
  gemm(st, id + "fc1.wgrad", h, up, T, 1, kCompute, {}, pr);
  gemm_then_reduce(st, id + "fc1.dgrad", T, h, up, Th, sp);
}

// One layer's backward pass: data gradients (dgrad) and weight gradients (wgrad) of every GEMM.
void Generator::layer_backward(RankState& st, const std::string& p, std::int64_t layer) {
  const std::int64_t T = tokens(), Tt = sharded_tokens(), h = m_.hidden, t = l_.tp, d = m_.head_dim();
  const std::int64_t qkv = (m_.heads + 2 * m_.kv_heads) * d / t;
  const double act = 2.0;
  const bool sp = l_.sequence_parallel;
  const double Th = act * static_cast<double>(T) * static_cast<double>(h);
  const double Tth = act * static_cast<double>(Tt) * static_cast<double>(h);
  const Precision pr = s_.precision;
  auto fp8 = [&](const char* name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch = 1) {
    fp8_casts(st, p + name, false, false, pr, m, n, k, batch);
  };

  memory(st, p + ".resid2", 3.0 * Tth);
  if (!m_.moe()) {
    ffn_backward(st, p, "", m_.ffn);
  } else {
    const std::int64_t local = m_.experts / l_.ep;
    const std::int64_t per_expert = std::max<std::int64_t>(1, (l_.ep * Tt * m_.top_k + m_.experts - 1) / m_.experts);
    const std::int64_t up = (m_.gated_ffn ? 2 : 1) * m_.ffn;
    const double dispatch = act * static_cast<double>(Tt * m_.top_k * h);
    collective(st, p + ".combine", CollectiveKind::AllToAll, st.ep, dispatch, kCompute, {});
    fp8(".expert_fc2", per_expert, h, m_.ffn, local);
    gemm(st, p + ".expert_fc2.dgrad", per_expert, m_.ffn, h, local, kCompute, {}, pr);
    gemm(st, p + ".expert_fc2.wgrad", m_.ffn, h, per_expert, local, kCompute, {}, pr);
    memory(st, p + ".act", act * static_cast<double>(per_expert * local) * static_cast<double>(2 * up + m_.ffn));
    fp8(".expert_fc1", per_expert, up, h, local);
    gemm(st, p + ".expert_fc1.dgrad", per_expert, h, up, local, kCompute, {}, pr);
    gemm(st, p + ".expert_fc1.wgrad", h, up, per_expert, local, kCompute, {}, pr);
    collective(st, p + ".dispatch", CollectiveKind::AllToAll, st.ep, dispatch, kCompute, {});
    fp8(".router", Tt, m_.experts, h);
    gemm(st, p + ".router.dgrad", Tt, h, m_.experts, 1, kCompute, {}, pr);
    gemm(st, p + ".router.wgrad", h, m_.experts, Tt, 1, kCompute, {}, pr);
    if (m_.shared_experts > 0) ffn_backward(st, p, "shared_", m_.shared_experts * m_.ffn);
  }
  memory(st, p + ".norm2", 3.0 * Tth);
  memory(st, p + ".resid1", 3.0 * Tth);
  fp8(".proj", T, h, m_.heads * d / t);
  gather_then_gemms(st, p + ".proj", Th, {{T, m_.heads * d / t, h}, {m_.heads * d / t, h, T}});
  if (s_.recompute == Recompute::Selective) attention(st, p + ".attn.re", false, {}, layer);
  attention(st, p + ".attn_bwd", true, {}, layer);
  if (l_.cp > 1)  // the gathered keys' and values' gradients go back to their owners
    collective(st, p + ".kv_rs", CollectiveKind::ReduceScatter, st.cp,
               act * static_cast<double>(T * 2 * m_.kv_heads * d / t * l_.cp), kCompute, {});
  fp8(".qkv", T, qkv, h);
  if (sp) collective(st, p + ".qkv.ag", CollectiveKind::AllGather, st.tp, Th, kCompute, {});
  gemm(st, p + ".qkv.wgrad", h, qkv, T, 1, kCompute, {}, pr);
  gemm_then_reduce(st, p + ".qkv.dgrad", T, h, qkv, Th, sp);
  memory(st, p + ".norm1", 3.0 * Tth);
}


void Generator::layer_recompute_per_op(RankState& st, const std::string& p) {
  const std::int64_t T = tokens(), Tt = sharded_tokens(), h = m_.hidden, t = l_.tp, d = m_.head_dim();
  const double Th = 2.0 * static_cast<double>(T) * static_cast<double>(h);
  const double Tth = 2.0 * static_cast<double>(Tt) * static_cast<double>(h);
  const Precision pr = s_.precision;
  const std::string r = ".re";
  memory(st, p + ".norm1" + r, 2.0 * Tth);
  fp8_casts(st, p + ".k" + r, true, false, pr, T, m_.kv_heads * d / t, h);
  gather_then_gemms(st, p + ".k" + r, Th, {{T, m_.kv_heads * d / t, h}});
  fp8_casts(st, p + ".proj" + r, true, false, pr, T, h, m_.heads * d / t);
  gemm(st, p + ".proj" + r, T, h, m_.heads * d / t, 1, kCompute, {}, pr);  // its reduce-scatter's output was saved
  memory(st, p + ".resid1" + r, 3.0 * Tth);
  memory(st, p + ".norm2" + r, 2.0 * Tth);
  if (m_.moe()) return;
  if (m_.gated_ffn) {  // W_3 from the norm's output, then silu(W_1 x) * W_3 x
    fp8_casts(st, p + ".fc3" + r, true, false, pr, T, m_.ffn / t, h);
    gather_then_gemms(st, p + ".fc3" + r, Th, {{T, m_.ffn / t, h}});
  } else {  // W_2 from the activation of the saved W_1 output
    fp8_casts(st, p + ".fc2" + r, true, false, pr, T, h, m_.ffn / t);
    gemm(st, p + ".fc2" + r, T, h, m_.ffn / t, 1, kCompute, {}, pr);
  }
  memory(st, p + ".act" + r, 2.0 * static_cast<double>(T) * static_cast<double>((m_.gated_ffn ? 3 : 2) * m_.ffn / t));
}

// The order of forward and backward steps on pipeline rank `stage`: 1F1B (PipeDream-Flush, as in
// Megatron-LM) and, with virtual stages, Megatron-LM's interleaved 1F1B (Narayanan et al. 2021,
// section 2.2). Step k of the forward sequence runs model chunk (k / p) mod v on micro batch
// (k / pv) p + k mod p; backward steps visit the chunks in reverse.
std::vector<Step> pipeline_schedule(std::int64_t p, std::int64_t v, std::int64_t m, std::int64_t stage) {
  const std::int64_t total = m * v;
  auto at = [&](std::int64_t k, bool fwd) {
    Step s;
    s.forward = fwd;
    const std::int64_t c = (k / p) % v;
    s.chunk = fwd ? c : v - 1 - c;
    s.mb = (k / (p * v)) * p + k % p;
    return s;
  };
  std::int64_t warmup = 0;
  if (v == 1) warmup = std::min(p - stage - 1, m);
  else if (m == p) warmup = total;
  else warmup = std::min((p - stage - 1) * 2 + (v - 1) * p, total);
  std::vector<Step> out;
  out.reserve(static_cast<std::size_t>(2 * total));
  for (std::int64_t k = 0; k < warmup; ++k) out.push_back(at(k, true));
  for (std::int64_t j = 0; j < total - warmup; ++j) {
    out.push_back(at(warmup + j, true));
    out.push_back(at(j, false));
  }
  for (std::int64_t j = total - warmup; j < total; ++j) out.push_back(at(j, false));
  return out;
}

Generator::StepSizes Generator::step_sizes() const {
  StepSizes z;
  z.p = l_.pp;
  z.v = l_.virtual_stages;
  z.m = s_.batch.microbatches(l_);
  z.last_vs = z.p * z.v - 1;
  z.T = tokens();
  z.Tt = sharded_tokens();
  z.h = m_.hidden;
  z.Vt = vocab_shard();
  z.Th = 2.0 * static_cast<double>(z.T * z.h);
  z.Tth = 2.0 * static_cast<double>(z.Tt * z.h);
  z.act_layer = layer_activation_bytes(m_, l_, z.T, s_.recompute);
  z.act_full = layer_activation_bytes(m_, l_, z.T, Recompute::None);
  if (s_.unfused_attention) {  // the s x s tensors unfused attention keeps for backward
    z.act_full += unfused_attention_saved_bytes();
    if (s_.recompute == Recompute::None) z.act_layer += unfused_attention_saved_bytes();
  }
  z.logits_bytes = static_cast<double>(z.T * z.Vt) * (2.0 + 4.0);  // bf16 logits + fp32 softmax
  return z;
}

Generator::RankState Generator::start_rank(int r) {
  RankState st;
  st.c = coords_of(r);
  st.ops = &w_.programs[static_cast<std::size_t>(r)];
  st.last.assign(kStreams.size(), -1);
  const auto ur = static_cast<std::size_t>(r);
  st.tp = tp_group_[ur];
  st.cp = cp_group_[ur];
  st.dpg = dp_group_[ur];
  st.ep = ep_group_[ur];
  st.edp = edp_group_[ur];
  const std::int64_t p = l_.pp;
  st.prev_rank = rank_of({st.c.tp, st.c.cp, st.c.dp, (st.c.pp + p - 1) % p});
  st.next_rank = rank_of({st.c.tp, st.c.cp, st.c.dp, (st.c.pp + 1) % p});
  return st;
}

Generator::ModelShard Generator::model_shard(const Coords& c) const {
  ModelShard sh;
  sh.dense_ranks = l_.dp * l_.cp;
  sh.expert_ranks = l_.dp * l_.cp / l_.ep;
  sh.params = rank_params(c);
  sh.expert_params = static_cast<double>(rank_layer_count(vs_layers_, l_, c.pp)) * layer_expert_;
  return sh;
}

void Generator::alloc_model_state(RankState& st, const ModelShard& shard) {
  const int zero = l_.zero_stage;
  const StateBytes sd = model_state_bytes(shard.params - shard.expert_params, shard.dense_ranks, zero);
  const StateBytes se = model_state_bytes(shard.expert_params, shard.expert_ranks, zero);
  alloc(st, "weights", sd.weights + se.weights, "weights");
  alloc(st, "gradients", sd.gradients + se.gradients, "gradients");
  alloc(st, "optimizer", sd.optimizer + se.optimizer, "optimizer state");
}

void Generator::reduce_bucket(RankState& st, const Bucket& b, bool now) {
  if (!now) {
    st.deferred.push_back(b);
    return;
  }
  const CollectiveKind k = l_.zero_stage == 0 ? CollectiveKind::AllReduce : CollectiveKind::ReduceScatter;
  const int after = st.last[kCompute];
  collective(st, b.id + ".grad_dp", k, st.dpg, 2.0 * b.dense, kDp, {after});
  if (b.expert > 0.0) collective(st, b.id + ".grad_edp", k, st.edp, 2.0 * b.expert, kDp, {after});
}

void Generator::gather_root(RankState& st, const std::string& f, std::int64_t vs) {
  if (l_.zero_stage < 3 || st.dpg < 0 || st.root_alloc >= 0 || (vs != 0 && vs != sz_.last_vs)) return;
  const double params = (vs == 0 ? embed_params() : 0.0) + (vs == sz_.last_vs ? head_params() : 0.0);
  st.root_alloc = alloc(st, f + ".root.w", 2.0 * params, "gathered weights");
  const int done = collective(st, f + ".root.w_ag", CollectiveKind::AllGather, st.dpg, 2.0 * params, kDp, {st.root_alloc});
  join(st, f + ".root.w_ready", {done});
}

void Generator::free_root(RankState& st, const std::string& b, std::int64_t vs, bool last_mb) {
  if (st.root_alloc < 0 || (vs != 0 && vs != sz_.last_vs) || (sz_.p > 1 && !last_mb)) return;
  free_op(st, b + ".root.w_free", st.root_alloc);
  st.root_alloc = -1;
}

int Generator::param_gather(RankState& st, const Bucket& b, const std::vector<int>& deps) {
  int done = collective(st, b.id + ".param_ag", CollectiveKind::AllGather, st.dpg, 2.0 * b.dense, kDp, deps);
  if (b.expert > 0.0) {
    const int e = collective(st, b.id + ".param_eag", CollectiveKind::AllGather, st.edp, 2.0 * b.expert, kDp, deps);
    if (e >= 0) done = e;
  }
  return done;
}

Gather Generator::start_gather(RankState& st, const std::string& id, bool first_use) {
  Gather g;
  if (st.dpg < 0 && st.edp < 0) return g;
  if (l_.zero_stage == 1 || l_.zero_stage == 2) {
    if (s_.overlap_param_gather && first_use) g.done = param_gather(st, {id, layer_dense_, layer_expert_}, {});
    return g;
  }
  if (l_.zero_stage < 3) return g;
  const double layer_w = 2.0 * (layer_dense_ + layer_expert_);  // one layer's bf16 weights
  g.alloc = alloc(st, id + ".w", layer_w, "gathered weights");
  g.done = collective(st, id + ".w_ag", CollectiveKind::AllGather, st.dpg, 2.0 * layer_dense_, kDp, {g.alloc});
  if (layer_expert_ > 0.0)
    g.done = collective(st, id + ".w_eag", CollectiveKind::AllGather, st.edp, 2.0 * layer_expert_, kDp, {g.alloc});
  return g;
}

template <class Body>
Gather Generator::with_weights(RankState& st, const std::vector<std::int64_t>& order, const std::string& prefix,
                             bool first_use, const Body& body, const std::function<Gather()>& tail) {
  Gather next = order.empty() ? Gather{} : start_gather(st, fmt::format("{}.l{}", prefix, order.front()), first_use);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string id = fmt::format("{}.l{}", prefix, order[k]);
    const Gather cur = next;
    if (k + 1 < order.size()) next = start_gather(st, fmt::format("{}.l{}", prefix, order[k + 1]), first_use);
    else next = tail ? tail() : Gather{};
    if (cur.done >= 0) join(st, id + ".w_ready", {cur.done});  // the layer's compute waits for its weights
    body(order[k], id);
    if (cur.alloc >= 0) free_op(st, id + ".w_free", cur.alloc);
  }
  return next;  // the tail's gather (none without one): its user waits for it
}

// Micro batch `step.mb` through model chunk `step.chunk`: the embedding or the previous stage's
// activations, the chunk's layers, then the loss or the send to the next stage.
void Generator::forward_step(RankState& st, const Step& step) {
  const StepSizes& z = sz_;
  const bool sp = l_.sequence_parallel;
  const std::int64_t vs = step.chunk * z.p + st.c.pp;
  const std::string f = fmt::format("f{}", step.mb);
  // ZeRO 1/2 with overlap_param_gather: the first micro batch gathers the embedding's and the
  // output layer's updated parameters like the layers' (start_gather).
  const bool gather_params = s_.overlap_param_gather && step.mb == 0 && (l_.zero_stage == 1 || l_.zero_stage == 2);
  gather_root(st, f, vs);
  if (vs == 0) {
    if (gather_params) {
      const int done = param_gather(st, {f + ".embed", embed_params(), 0.0}, {});
      if (done >= 0) join(st, f + ".embed.w_ready", {done});
    }
    memory(st, f + ".embed", z.Th);  // look up the rank's vocabulary shard
    if (st.tp >= 0)
      collective(st, f + ".embed.tp", sp ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce, st.tp, z.Th, kCompute, {});
  } else {
    p2p(st, fmt::format("{}.c{}.recv", f, step.chunk), OpKind::Recv, kCompute, st.prev_rank, 2 * vs, z.Tth, {});
  }
  std::vector<std::int64_t> layers;
  for (std::int64_t i = 0; i < vs_layers_[static_cast<std::size_t>(vs)]; ++i)
    layers.push_back(vs_first_[static_cast<std::size_t>(vs)] + i);
  std::function<Gather()> head;
  if (gather_params && vs == z.last_vs)
    head = [&] { return Gather{-1, param_gather(st, {f + ".head", head_params(), 0.0}, {})}; };
  const Gather head_gather = with_weights(
      st, layers, f, step.mb == 0,
      [&](std::int64_t layer, const std::string& id) {
        st.saved[{step.chunk, step.mb, layer}] = alloc(st, id + ".act", z.act_layer, "activations");
        layer_forward(st, id, false, step.mb == 0, layer);
      },
      head);
  if (vs == z.last_vs) {
    if (head_gather.done >= 0) join(st, f + ".head.w_ready", {head_gather.done});
    memory(st, f + ".final_norm", 2.0 * z.Tth);
    st.logits_alloc = alloc(st, f + ".logits_buf", z.logits_bytes, "logits");
    fp8_casts(st, f + ".logits", true, step.mb == 0, s_.logits_precision, z.T, z.Vt, z.h);
    gather_then_gemms(st, f + ".logits", z.Th, {{z.T, z.Vt, z.h}}, s_.logits_precision);
    memory(st, f + ".loss", static_cast<double>(z.T * z.Vt) * (2.0 + 4.0 + 4.0));  // softmax cross-entropy
    // Vocabulary-parallel cross-entropy: the max and the sum of exponentials over the TP group.
    collective(st, f + ".loss.tp", CollectiveKind::AllReduce, st.tp, 8.0 * static_cast<double>(z.T), kCompute, {});
  } else {
    p2p(st, fmt::format("{}.c{}.send", f, step.chunk), OpKind::Send, kPpFwd, st.next_rank, 2 * (vs + 1), z.Tth,
        {st.last[kCompute]});
  }
}

// The backward pass of micro batch `step.mb` through chunk `step.chunk`, in reverse: the loss or
// the next stage's gradients, the chunk's layers (recomputed first under full recompute), then
// the embedding or the send to the previous stage. The last micro batch reduces the gradients.
void Generator::backward_step(RankState& st, const Step& step) {
  const StepSizes& z = sz_;
  const bool sp = l_.sequence_parallel;
  const int zero = l_.zero_stage;
  const bool last_mb = step.mb == z.m - 1;
  const std::int64_t vs = step.chunk * z.p + st.c.pp;
  const std::string b = fmt::format("b{}", step.mb);
  if (vs == z.last_vs) {
    memory(st, b + ".loss", static_cast<double>(z.T * z.Vt) * (4.0 + 2.0));
    fp8_casts(st, b + ".logits", false, false, s_.logits_precision, z.T, z.Vt, z.h);
    if (sp) collective(st, b + ".logits.ag", CollectiveKind::AllGather, st.tp, z.Th, kCompute, {});
    gemm(st, b + ".logits.wgrad", z.h, z.Vt, z.T, 1, kCompute, {}, s_.logits_precision);
    gemm_then_reduce(st, b + ".logits.dgrad", z.T, z.h, z.Vt, z.Th, sp, s_.logits_precision);
    free_op(st, b + ".logits_free", st.logits_alloc);
    memory(st, b + ".final_norm", 3.0 * z.Tth);
    if (last_mb) {
      reduce_bucket(st, {b + ".head", head_params(), 0.0}, s_.overlap_grad_reduce);
      st.buckets.push_back({b + ".head", head_params(), 0.0});
    }
  } else {
    p2p(st, fmt::format("{}.c{}.recv", b, step.chunk), OpKind::Recv, kCompute, st.next_rank, 2 * vs + 1, z.Tth, {});
  }
  std::vector<std::int64_t> layers;
  for (std::int64_t i = vs_layers_[static_cast<std::size_t>(vs)] - 1; i >= 0; --i)
    layers.push_back(vs_first_[static_cast<std::size_t>(vs)] + i);
  with_weights(st, layers, b, false, [&](std::int64_t layer, const std::string& id) {
    int transient = -1;
    if (s_.recompute == Recompute::Full) {
      transient = alloc(st, id + ".recompute_buf", z.act_full - z.act_layer, "activations");
      layer_forward(st, id, true, false, layer);
    } else if (s_.recompute == Recompute::PerOp) {
      // The recomputed tensors live until the layer's backward is done: at most those of no
      // recompute less those kept (W_2's and the reduce-scatters' saved outputs are not among
      // racksim's no-recompute tensors, so the difference is floored at zero).
      transient = alloc(st, id + ".recompute_buf", std::max(0.0, z.act_full - z.act_layer), "activations");
      layer_recompute_per_op(st, id);
    }
    layer_backward(st, id, layer);
    free_op(st, id + ".act_free", st.saved.at({step.chunk, step.mb, layer}));
    if (transient >= 0) free_op(st, id + ".recompute_free", transient);
    // ZeRO 2 and 3 keep no full gradients: every micro batch's are reduce-scattered at once.
    if (zero >= 2 || last_mb) reduce_bucket(st, {id, layer_dense_, layer_expert_}, zero >= 2 || s_.overlap_grad_reduce);
    if (last_mb) st.buckets.push_back({id, layer_dense_, layer_expert_});
  });
  if (vs == 0) {
    if (sp) collective(st, b + ".embed.ag", CollectiveKind::AllGather, st.tp, z.Th, kCompute, {});
    memory(st, b + ".embed", 2.0 * z.Th);  // scatter-add into the embedding gradient
    if (last_mb) {
      reduce_bucket(st, {b + ".embed", embed_params(), 0.0}, s_.overlap_grad_reduce);
      st.buckets.push_back({b + ".embed", embed_params(), 0.0});
    }
  } else {
    p2p(st, fmt::format("{}.c{}.send", b, step.chunk), OpKind::Send, kPpBwd, st.prev_rank, 2 * (vs - 1) + 1, z.Tth,
        {st.last[kCompute]});
  }
  free_root(st, b, vs, last_mb);
}

void Generator::optimizer_step(RankState& st, const ModelShard& shard) {
  const int zero = l_.zero_stage;
  // Adam, memory-bound: per parameter it holds, read fp32 master, momentum, variance and the
  // bf16 gradient, write the three fp32 values and the bf16 weight: 28 bytes.
  const double opt_params = (shard.params - shard.expert_params) / (zero >= 1 ? static_cast<double>(shard.dense_ranks) : 1.0) +
                            shard.expert_params / (zero >= 1 ? static_cast<double>(shard.expert_ranks) : 1.0);
  const int opt = memory(st, "optimizer_step", 28.0 * opt_params, {st.last[kDp]});
  // ZeRO 1 and 2: every rank updated its shard; the new weights are all-gathered per bucket (the
  // layers', the embedding's and the output layer's): here, or with overlap_param_gather at their
  // first use in the next step's forward pass (start_gather), which the simulated step stands for.
  if ((zero == 1 || zero == 2) && !s_.overlap_param_gather)
    for (const Bucket& b : st.buckets) param_gather(st, b, {opt});
}

// Rank `r`'s step: its model state, the pipeline schedule's forward and backward steps, the
// deferred gradient reductions, the optimizer step.
void Generator::build_rank(int r) {
  RankState st = start_rank(r);
  const ModelShard shard = model_shard(st.c);
  alloc_model_state(st, shard);
  for (const Step& step : pipeline_schedule(sz_.p, sz_.v, sz_.m, st.c.pp)) {
    if (step.forward) forward_step(st, step);
    else backward_step(st, step);
  }
  last_backward_op_[static_cast<std::size_t>(r)] = st.last[kCompute];
  const std::vector<Bucket> deferred = std::move(st.deferred);
  for (const Bucket& b : deferred) reduce_bucket(st, b, true);
  optimizer_step(st, shard);
}

Workload Generator::build() {
  w_.name = fmt::format("{}-train", m_.name);
  w_.source = "transformer_training generator";
  w_.ranks = static_cast<int>(l_.world());
  w_.ranks_where = s_.where;
  w_.streams = kStreams;
  // The world group exists in every workload (index 0), as the trace reader makes it.
  std::vector<int> all(static_cast<std::size_t>(w_.ranks));
  for (int r = 0; r < w_.ranks; ++r) all[static_cast<std::size_t>(r)] = r;
  add_group(w_, "world", all);
  make_groups();
  w_.programs.resize(static_cast<std::size_t>(w_.ranks));
  last_backward_op_.assign(static_cast<std::size_t>(w_.ranks), -1);
  const int upto = built_ranks();
  for (int r = 0; r < upto; ++r) build_rank(r);

  TrainingInfo info;
  const StepFlops f = training_flops(m_, s_.batch, s_.recompute);
  info.tokens_per_step = static_cast<double>(s_.batch.global * s_.batch.seq);
  info.model_flops_per_step = f.model;
  info.hardware_flops_per_step = f.hardware;
  info.precision = s_.precision;
  info.pipeline_stages = static_cast<int>(l_.pp);
  info.microbatches = static_cast<int>(s_.batch.microbatches(l_));
  info.last_backward_op = std::move(last_backward_op_);
  w_.training = info;
  // A partial generation skips the cross-rank checks: the programs of ranks >= materialize_ are
  // empty, so the other members of a group or a pipeline peer have no matching ops.
  if (materialize_ < 0) validate_workload(w_);
  return std::move(w_);
}

}  // namespace

// Op count in closed form. Every op comes from one of the Generator's helpers; counting what each
// adds ([x] is 1 when x holds, else 0; a collective on a group of one adds nothing):
//   gemm, memory, join, alloc, free, send, recv: 1        attention: cp (one per causal block)
//   (unfused attention: A_f = 3 + [dropout] ops per block forward, A_b = 5 + [dropout] backward,
//   in place of 1 and 1 below)
//   collective on group g: [g exists]: TP = [tp > 1], CP = [cp > 1], DPG = [dp cp > 1],
//     EPG = [MoE, ep > 1], EDP = [MoE, (dp / ep) cp > 1]     (every rank is in every group kind
//     that exists, so the counts below are the same on every rank of a pipeline stage)
//   gemm_then_reduce  GTR = 1 without TP; 2 (GEMM + reduction); 2K + 1 when overlap_tp_comm
//                     chunks it (K = 4 chunks of GEMM + reduction, then a join)
//   gather_then_gemms GTG(n) = [SP] + n (SP = sequence_parallel, which needs tp > 1), or K (1 + n)
//                     when SP and overlap_tp_comm chunk it (a gather and n GEMMs per chunk)
// One layer's forward pass, LF = norm1 + GTG(1) + CP (kv_ag) + cp (attention) + GTR (proj)
//   + resid1 + norm2 + FFN + resid2, where FFN = GTG(1) + act + GTR (dense) or router + EPG
//   + fc1 + act + fc2 + EPG (MoE): LF = 4 + GTG(1) + CP + cp + GTR + FFN.
// Its backward pass, LB = resid2 + FFN' + norm2 + resid1 + GTG(2) (proj) + [selective] cp
//   (attention recomputed) + cp + CP (kv_rs) + SP (qkv.ag) + qkv.wgrad + GTR (qkv.dgrad) + norm1,
//   FFN' = GTG(2) + act + SP + fc1.wgrad + GTR (dense) or 7 + 2 EPG (MoE):
//   LB = 5 + FFN' + GTG(2) + (1 + [selective]) cp + CP + SP + GTR.
// FP8 (fp8_casts.hpp): each FP8 linear layer adds FF ops to every forward pass, FB to every
//   backward pass and FS once per step (in its first forward pass), the counts of its recipe
//   (delayed: FF = 1 + [no weight cache], FB = 1, FS = [weight cache]; tensorwise: FF = 2 + 2
//   [no cache], FB = 4 + [no cache], FS = 3 [cache]). A layer has n8 = 4 (dense: qkv, proj, fc1,
//   fc2) or 5 (MoE: qkv, proj, router, expert_fc1, expert_fc2) of them when the GEMMs are fp8, else 0, so
//   LF gains n8 FF and LB n8 FB; the output layer is one when the logits are fp8 (l8 = 1).
// ZeRO-3 (with DPG): each layer use gathers its weights (alloc + DPG + EDP), frees them, and
//   waits (join) for the last gather when there is one: the dense one, or a MoE layer's expert
//   one (EDP): W = 4 (dense) or 3 + 2 EDP (MoE) per layer use, else 0.
// A rank of pipeline stage s holds L = L_s layers (its virtual_stages chunks' counts of
// pipeline_stage_layers; layers / pp when they split evenly) and runs m micro batches through
// each chunk forward and backward:
//   model state (weights, gradients, optimizer)                          3
//   forward layers: activations' alloc + LF + W                          m L (1 + LF + W)
//   backward layers: LB + activations' free + W, and under full
//     recompute the buffer's alloc and free and the forward again        m L (LB + 1 + W + [full] (2 + LF))
//   gradient reductions R = DPG + EDP per layer, every micro batch
//     under ZeRO 2 and 3, else once                                      (ZeRO >= 2 ? m : 1) L R
//   optimizer step, and under ZeRO 1 and 2 each layer's all-gathers      1 + [ZeRO 1, 2] L R
//     (with overlap_param_gather in the first forward pass instead, each
//     followed by the layer's wait for it)                               + [overlap] L DPG
//   FP8 ops once per step, in each layer's first forward pass            L n8 FS
//   each (chunk, micro batch) forward and backward: a receive and a send 4 m v
// and where the chunk is the first virtual stage (s = 0, chunk 0: m of them) or the last (s = pp
// - 1, last chunk), the embedding or the loss in place of a receive or a send:
//   first: forward embed + TP in place of the receive; backward SP + embed in place of the send,
//          and the embedding's gradient reduction once                   m (TP + SP) + DPG
//   last:  forward final_norm, logits buffer, GTG(1), loss, TP in place of the send; backward
//          loss, SP, wgrad, GTR, free, final_norm in place of the receive, and the head's
//          gradient reduction once, and the logits' FP8 ops              m (5 + GTG(1) + TP + SP + GTR) + DPG
//                                                                        + l8 (m (FF + FB) + FS)
//   each of the two, under ZeRO 1 and 2, its parameters' all-gather
//     (and with overlap_param_gather the wait for it)                    ([ZeRO 1, 2] + [overlap]) DPG
//   under ZeRO 3 (with DPG) the root unit's alloc, all-gather, wait and
//     free: per micro batch on a one-stage rank (counted in first),
//     once on each of the two stages with pp > 1                         4 (pp = 1 ? m : 1)
// Summed over the ranks built: every one pays the common part, whose terms are 4 + 4 m v plus
// L_s times the rest, those of stage 0 the first's and those of stage pp - 1 the last's (one
// stage is both when pp = 1): built (4 + 4 m v) + sum over s of N_s L_s (per layer) + N_0 first
// + N_{pp-1} last, N_s the ranks built on stage s (a loop over the pp stages, no more).
double estimate_transformer_ops(const TransformerSpec& spec, std::int64_t materialize) {
  const ParallelLayout& l = spec.layout;
  const TransformerShape& m = spec.model;
  auto b = [](bool x) -> double { return x ? 1.0 : 0.0; };
  const double K = kOverlapChunks, cp = static_cast<double>(l.cp);
  const bool moe = m.moe(), sp = l.sequence_parallel, ov = spec.overlap_tp_comm;
  const double TP = b(l.tp > 1), CP = b(l.cp > 1), DPG = b(l.dp * l.cp > 1), SP = b(sp);
  const double EPG = b(moe && l.ep > 1), EDP = b(moe && (l.dp / l.ep) * l.cp > 1);
  const double GTR = l.tp <= 1 ? 1.0 : ov ? 2.0 * K + 1.0 : 2.0;
  auto GTG = [&](double n) { return sp && ov ? K * (1.0 + n) : SP + n; };
  const double DF = GTG(1) + 1.0 + GTR, DB = GTG(2) + 1.0 + SP + 1.0 + GTR;  // a dense FFN (ffn_forward, ffn_backward)
  const double SH = b(m.shared_experts > 0);  // MoE shared experts: a dense FFN's ops more
  const double FFN = moe ? 4.0 + 2.0 * EPG + SH * DF : DF;
  const double FFNb = moe ? 7.0 + 2.0 * EPG + SH * DB : DB;
  const double FF = fp8_op_count(spec.fp8, Fp8Phase::Forward), FB = fp8_op_count(spec.fp8, Fp8Phase::Backward);
  const double FS = fp8_op_count(spec.fp8, Fp8Phase::PerStep);
  const double n8 = spec.precision == Precision::fp8 ? (moe ? 5.0 + 2.0 * SH : 4.0) : 0.0;
  const double l8 = b(spec.logits_precision == Precision::fp8);
  const double Af = spec.unfused_attention ? 3.0 + b(spec.attention_dropout) : 1.0;
  const double Ab = spec.unfused_attention ? 5.0 + b(spec.attention_dropout) : 1.0;
  const double LF = 4.0 + GTG(1) + CP + Af * cp + GTR + FFN + n8 * FF;
  const double LB = 5.0 + FFNb + GTG(2) + (Ab + Af * b(spec.recompute == Recompute::Selective)) * cp + CP + SP + GTR + n8 * FB;
  const double W = l.zero_stage >= 3 && DPG > 0.0 ? (moe ? 3.0 + 2.0 * EDP : 4.0) : 0.0;
  const double R = DPG + EDP;
  const double full = b(spec.recompute == Recompute::Full);
  // per_op recompute (layer_recompute_per_op), per layer and micro batch: its buffer's alloc and
  // free, norm1, the W_k GEMM (gathered), W_o, resid1, norm2, and for a dense layer the FFN's
  // recomputed matrix (W_3 gathered, or W_2) and the activation; FP8 casts before each GEMM.
  const double PO = b(spec.recompute == Recompute::PerOp) *
                    (2.0 + 4.0 + GTG(1) + (moe ? 0.0 : (m.gated_ffn ? GTG(1) : 1.0) + 1.0) +
                     (spec.precision == Precision::fp8 ? (moe ? 2.0 : 3.0) * FF : 0.0));
  const double mb = static_cast<double>(spec.batch.microbatches(l));
  const double v = static_cast<double>(l.virtual_stages);
  const double per_rank = 3.0 + 1.0 + 4.0 * mb * v;  // model state, optimizer step, send/receive slots
  const double per_layer = mb * (1.0 + LF + W) + mb * (LB + 1.0 + W + full * (2.0 + LF) + PO) +
                           (l.zero_stage >= 2 ? mb : 1.0) * R + (l.zero_stage == 1 || l.zero_stage == 2 ? R : 0.0) +
                           b(spec.overlap_param_gather && (l.zero_stage == 1 || l.zero_stage == 2)) * DPG + n8 * FS;
  const double Z12 = b(l.zero_stage == 1 || l.zero_stage == 2), OPG = Z12 * b(spec.overlap_param_gather);
  // ZeRO-3's root unit: alloc, all-gather, wait and free, per micro batch on the one stage, or
  // once per step on the first stage and once on the last.
  const double ROOT = 4.0 * b(l.zero_stage >= 3 && DPG > 0.0);
  const double first = mb * (TP + SP) + DPG + (Z12 + OPG) * DPG + ROOT * (l.pp == 1 ? mb : 1.0);
  const double last = mb * (5.0 + GTG(1) + TP + SP + GTR) + DPG + l8 * (mb * (FF + FB) + FS) + (Z12 + OPG) * DPG +
                      ROOT * (l.pp == 1 ? 0.0 : 1.0);
  // Ranks built, and how many of them are on the first and on the last stage.
  const double world = static_cast<double>(l.tp) * static_cast<double>(l.cp) * static_cast<double>(l.dp) *
                       static_cast<double>(l.pp);
  const double built = materialize < 0 ? world : std::min(world, static_cast<double>(materialize));
  const double tc = static_cast<double>(l.tp) * static_cast<double>(l.cp), p = static_cast<double>(l.pp);
  auto on_stage = [&](double s) {  // ranks 0..built-1 whose pipeline stage is s
    if (l.order == RankOrder::TpCpPpDp) {  // stage = (r / tc) mod pp
      const double cycle = tc * p, whole = std::floor(built / cycle);
      return whole * tc + std::clamp(built - whole * cycle - s * tc, 0.0, tc);
    }
    const double per_stage = tc * static_cast<double>(l.dp);  // stage = r / (tc dp)
    return std::clamp(built - s * per_stage, 0.0, per_stage);
  };
  const std::vector<std::int64_t> vs_layers = pipeline_stage_layers(m.layers, l);
  double layers_built = 0.0;  // sum over the stages of (ranks built on it) x (its layers)
  for (std::int64_t s = 0; s < l.pp; ++s) {
    const double n = on_stage(static_cast<double>(s));
    if (n == 0.0) continue;
    layers_built += n * static_cast<double>(rank_layer_count(vs_layers, l, s));
  }
  return built * per_rank + layers_built * per_layer + on_stage(0.0) * first + on_stage(p - 1.0) * last;
}

Workload generate_transformer(const TransformerSpec& spec, const GpuSpec& gpu, int materialize) {
  for (const Precision p : {spec.precision, spec.attention_precision, spec.logits_precision, Precision::bf16})
    if (!gpu.peak(p))
      throw Error(fmt::format("GPU '{}' has no {} rate, which the training step needs", gpu.id, to_string(p)));
  if (materialize > spec.layout.world())
    throw Error(fmt::format("cannot build {} ranks of a training step of {} ranks", materialize, spec.layout.world()));
  return Generator(spec, materialize).build();
}

}  // namespace racksim
