// The FP8 recipes' memory-bound kernels (sim/workload/fp8_casts.hpp) per linear layer, by hand
// from the tables of that header, and the training generator's use of them: which ops a one-layer
// step gains, their bytes, the weight cache, the op count estimate, and the reader's errors.
#include "catalog_support.hpp"
#include "sim/workload/fp8_casts.hpp"
#include "sim/workload/training_generator.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

using namespace racksim;
using racksim::test::input_error_of;

namespace {

std::map<std::string, Fp8CastOp> by_name(const std::vector<Fp8CastOp>& ops) {
  std::map<std::string, Fp8CastOp> m;
  for (const auto& op : ops) m[op.name] = op;
  return m;
}

double total(const std::vector<Fp8CastOp>& ops) {
  double b = 0.0;
  for (const auto& op : ops) b += op.bytes();
  return b;
}

TransformerSpec one_layer(const std::string& options, int global = 1) {
  const std::string yaml = fmt::format(
      "kind: transformer_training\nmodel: {{hidden: 256, layers: 1, heads: 4, ffn: 512, vocab: 512, ffn_kind: gelu}}\n"
      "parallel: {{dp: 1}}\nbatch: {{sequence: 128, global: {}}}\noptions: {}\n",
      global, options);
  const ConfigDoc doc = ConfigDoc::load_string(yaml, "workload.yaml");
  MapReader wm(doc.root(), "workload");
  (void)wm.required("kind");
  TransformerSpec s = read_transformer_spec(wm, racksim::test::gpu("mi300x"), RACKSIM_SOURCE_DIR);
  wm.finish();
  return s;
}

// The ids of rank 0's ops, and those that contain ".fp8." (with their bytes).
std::vector<std::string> ids_of(const Workload& w) {
  std::vector<std::string> v;
  for (const Op& op : w.programs[0]) v.push_back(op.id);
  return v;
}
std::vector<std::pair<std::string, double>> fp8_ops_of(const Workload& w) {
  std::vector<std::pair<std::string, double>> v;
  for (const Op& op : w.programs[0])
    if (op.id.find(".fp8.") != std::string::npos) v.emplace_back(op.id, op.hbm_bytes.value());
  return v;
}

}  // namespace

TEST_CASE("FP8 overhead bytes of one 4096 x 4096 x 4096 linear layer, per recipe", "[fp8]") {
  // T = K = N = 4096: every tensor (X: T K, W: K N, dY: T N) has e = 16,777,216 elements.
  const double e = 16'777'216.0;
  SECTION("delayed scaling: one fused cast-transpose per tensor, read 2 B, write 2 x 1 B per element") {
    const Fp8Recipe r{Fp8Scaling::Delayed, false};
    const auto ops = fp8_linear_ops(r, 4096, 4096, 4096);
    REQUIRE(ops.size() == 3);
    auto m = by_name(ops);
    for (const char* n : {"x.cast_t", "w.cast_t", "dy.cast_t"}) {
      INFO(n);
      CHECK(m[n].read == 2.0 * e);     // 33,554,432 B
      CHECK(m[n].written == 2.0 * e);  // 33,554,432 B
    }
    CHECK(m["x.cast_t"].phase == Fp8Phase::Forward);
    CHECK(m["w.cast_t"].phase == Fp8Phase::Forward);
    CHECK(m["dy.cast_t"].phase == Fp8Phase::Backward);
    // 3 tensors x 4 e = 201,326,592 B per micro batch.
    CHECK(total(ops) == 201'326'592.0);
  }
  SECTION("delayed scaling with the weight cache: W's cast-transpose once per step") {
    auto m = by_name(fp8_linear_ops(Fp8Recipe{Fp8Scaling::Delayed, true}, 4096, 4096, 4096));
    CHECK(m["w.cast_t"].phase == Fp8Phase::PerStep);
    CHECK(m["w.cast_t"].bytes() == 67'108'864.0);  // 4 e
    CHECK(m["x.cast_t"].phase == Fp8Phase::Forward);
  }
  SECTION("tensor-wise dynamic scaling: amax, cast, transposed FP8 copy, each its own kernel") {
    const auto ops = fp8_linear_ops(Fp8Recipe{Fp8Scaling::Tensorwise, false}, 4096, 4096, 4096);
    REQUIRE(ops.size() == 9);
    auto m = by_name(ops);
    for (const char* t : {"x", "w", "dy"}) {
      INFO(t);
      const std::string s = t;
      CHECK(m[s + ".amax"].read == 2.0 * e);  // bf16 in, a scalar out
      CHECK(m[s + ".amax"].written == 0.0);
      CHECK(m[s + ".cast"].read == 2.0 * e);  // bf16 in, fp8 out
      CHECK(m[s + ".cast"].written == e);
      CHECK(m[s + ".t"].read == e);  // fp8 in, fp8 out (transposed)
      CHECK(m[s + ".t"].written == e);
    }
    CHECK(m["x.amax"].phase == Fp8Phase::Forward);
    CHECK(m["w.cast"].phase == Fp8Phase::Forward);
    CHECK(m["dy.cast"].phase == Fp8Phase::Backward);
    CHECK(m["w.t"].phase == Fp8Phase::Backward);  // dgrad's W_fp8ᵀ
    CHECK(m["x.t"].phase == Fp8Phase::Backward);  // wgrad's X_fp8ᵀ
    // Per tensor 2 + 3 + 2 = 7 e; 3 tensors: 21 e = 352,321,536 B per micro batch.
    CHECK(total(ops) == 352'321'536.0);
  }
  SECTION("tensor-wise with the weight cache: W's amax, cast and transpose once per step") {
    auto m = by_name(fp8_linear_ops(Fp8Recipe{Fp8Scaling::Tensorwise, true}, 4096, 4096, 4096));
    for (const char* n : {"w.amax", "w.cast", "w.t"}) CHECK(m[n].phase == Fp8Phase::PerStep);
    CHECK(m["x.t"].phase == Fp8Phase::Backward);
  }
}

TEST_CASE("FP8 overhead bytes follow X = T x K, W = K x N, dY = T x N on an uneven shape", "[fp8]") {
  // T = 8, K = 16, N = 32, 3 experts: X 3 x 128 = 384, W 3 x 512 = 1536, dY 3 x 256 = 768 elements.
  auto d = by_name(fp8_linear_ops(Fp8Recipe{Fp8Scaling::Delayed, false}, 8, 16, 32, 3));
  CHECK(d["x.cast_t"].bytes() == 4.0 * 384);
  CHECK(d["w.cast_t"].bytes() == 4.0 * 1536);
  CHECK(d["dy.cast_t"].bytes() == 4.0 * 768);
  auto t = by_name(fp8_linear_ops(Fp8Recipe{Fp8Scaling::Tensorwise, false}, 8, 16, 32, 3));
  CHECK(t["x.cast"].bytes() == 3.0 * 384);
  CHECK(t["w.amax"].bytes() == 2.0 * 1536);
  CHECK(t["dy.t"].bytes() == 2.0 * 768);
  CHECK(t["w.t"].bytes() == 2.0 * 1536);
}

TEST_CASE("a one-layer FP8 step holds exactly its recipe's extra ops, before the GEMMs they feed", "[fp8]") {
  // One layer (h 256, 4 heads of d = 64, GELU FFN 512), T = 128 tokens, one micro batch, logits
  // BF16. Its FP8 linears, forward GEMM M x N x K: qkv 128 x 768 x 256 ((4 + 2 x 4) x 64 = 768),
  // proj 128 x 256 x 256, fc1 128 x 512 x 256, fc2 128 x 256 x 512.
  const GpuSpec gpu = racksim::test::gpu("mi300x");
  const Workload bf16 = generate_transformer(one_layer("{precision: {gemm: bf16}}"), gpu);
  const Workload fp8 = generate_transformer(one_layer("{precision: {gemm: fp8, logits: bf16}}"), gpu);
  // Default recipe: delayed, weight cache. Micro batch 0 fills the cache: per linear x.cast_t
  // (4 T K) and w.cast_t (4 K N) in the forward, dy.cast_t (4 T N) in the backward.
  const std::vector<std::pair<std::string, double>> expected = {
      {"f0.l0.qkv.fp8.x.cast_t", 4.0 * 128 * 256},    // 131,072
      {"f0.l0.qkv.fp8.w.cast_t", 4.0 * 256 * 768},    // 786,432
      {"f0.l0.proj.fp8.x.cast_t", 4.0 * 128 * 256},   // 131,072
      {"f0.l0.proj.fp8.w.cast_t", 4.0 * 256 * 256},   // 262,144
      {"f0.l0.fc1.fp8.x.cast_t", 4.0 * 128 * 256},    // 131,072
      {"f0.l0.fc1.fp8.w.cast_t", 4.0 * 256 * 512},    // 524,288
      {"f0.l0.fc2.fp8.x.cast_t", 4.0 * 128 * 512},    // 262,144
      {"f0.l0.fc2.fp8.w.cast_t", 4.0 * 512 * 256},    // 524,288
      {"b0.l0.fc2.fp8.dy.cast_t", 4.0 * 128 * 256},   // 131,072
      {"b0.l0.fc1.fp8.dy.cast_t", 4.0 * 128 * 512},   // 262,144
      {"b0.l0.proj.fp8.dy.cast_t", 4.0 * 128 * 256},  // 131,072
      {"b0.l0.qkv.fp8.dy.cast_t", 4.0 * 128 * 768},   // 393,216
  };
  CHECK(fp8_ops_of(fp8) == expected);
  CHECK(fp8_ops_of(bf16).empty());
  // Every other op is the BF16 step's, in the same order.
  std::vector<std::string> rest;
  for (const auto& id : ids_of(fp8))
    if (id.find(".fp8.") == std::string::npos) rest.push_back(id);
  CHECK(rest == ids_of(bf16));
  // Each cast sits right before the op that starts its GEMM: the forward GEMM, or the backward's
  // first GEMM (fc2's dgrad, fc1's and qkv's wgrad, proj's dgrad).
  const auto ids = ids_of(fp8);
  auto next_after = [&](const std::string& id) {
    for (std::size_t i = 0; i + 1 < ids.size(); ++i)
      if (ids[i] == id) return ids[i + 1];
    return std::string("<none>");
  };
  CHECK(next_after("f0.l0.qkv.fp8.w.cast_t") == "f0.l0.qkv");
  CHECK(next_after("f0.l0.fc2.fp8.w.cast_t") == "f0.l0.fc2");
  CHECK(next_after("b0.l0.fc2.fp8.dy.cast_t") == "b0.l0.fc2.dgrad");
  CHECK(next_after("b0.l0.fc1.fp8.dy.cast_t") == "b0.l0.fc1.wgrad");
  CHECK(next_after("b0.l0.qkv.fp8.dy.cast_t") == "b0.l0.qkv.wgrad");
}

TEST_CASE("the weight cache casts the weights in micro batch 0 only; without it in every one", "[fp8]") {
  // Two micro batches (global 2), 4 FP8 linears. Tensor-wise without the cache: per linear and
  // micro batch 4 forward ops (x.amax, x.cast, w.amax, w.cast) and 5 backward (dy.amax, dy.cast,
  // w.t, dy.t, x.t): 2 x 4 x 9 = 72. With it: forward 2 per linear and micro batch, plus w.amax,
  // w.cast and w.t once per linear; backward 4: 2 x 4 x (2 + 4) + 4 x 3 = 60.
  const GpuSpec gpu = racksim::test::gpu("mi300x");
  auto count = [&](const std::string& options, const std::string& needle) {
    std::size_t n = 0;
    for (const auto& [id, bytes] : fp8_ops_of(generate_transformer(one_layer(options, 2), gpu)))
      if (id.find(needle) != std::string::npos) ++n;
    return n;
  };
  const std::string tw = "{precision: {gemm: fp8, logits: bf16}, fp8: {scaling: tensorwise";
  CHECK(count(tw + "}}", ".fp8.") == 72);
  CHECK(count(tw + ", weight_cache: false}}", ".fp8.") == 72);  // tensorwise's default
  CHECK(count(tw + ", weight_cache: true}}", ".fp8.") == 60);
  CHECK(count(tw + ", weight_cache: true}}", "f1.l0.qkv.fp8.w.") == 0);
  CHECK(count(tw + ", weight_cache: true}}", "f0.l0.qkv.fp8.w.") == 3);
  // Delayed without the cache: 3 per linear and micro batch, 2 x 4 x 3 = 24; with (its default):
  // 2 per linear and micro batch and w.cast_t once: 2 x 4 x 2 + 4 = 20.
  CHECK(count("{precision: fp8, fp8: {scaling: delayed, weight_cache: false}}", ".l0.") == 24);
  CHECK(count("{precision: fp8}", ".l0.") == 20);
  // precision: fp8 alone makes the output layer FP8 too: its x.cast_t per micro batch, w.cast_t
  // once, dy.cast_t per micro batch: 2 + 1 + 2 = 5.
  CHECK(count("{precision: fp8}", ".logits.fp8.") == 5);
}

TEST_CASE("a full recompute casts the activations again, and the weights unless cached", "[fp8]") {
  // One micro batch, full recompute: the layer's forward runs twice (f0.l0 and b0.l0 ... .re).
  // Tensor-wise without the cache: the recompute pass has x.amax, x.cast, w.amax, w.cast per
  // linear (16); with the cache only x.amax and x.cast (8).
  const GpuSpec gpu = racksim::test::gpu("mi300x");
  auto recomputed = [&](const std::string& cache) {
    std::size_t n = 0;
    const auto s = one_layer(
        "{recompute: full, precision: {gemm: fp8, logits: bf16}, fp8: {scaling: tensorwise, weight_cache: " + cache +
        "}}");
    for (const auto& [id, bytes] : fp8_ops_of(generate_transformer(s, gpu)))
      if (id.find(".re.fp8.") != std::string::npos) ++n;
    return n;
  };
  CHECK(recomputed("false") == 16);
  CHECK(recomputed("true") == 8);
}

TEST_CASE("the closed-form op count holds with every FP8 recipe", "[fp8][estimate]") {
  const GpuSpec gpu = racksim::test::gpu("mi300x");
  struct Case {
    std::string model, parallel, options;
  };
  const std::string dense = "{hidden: 256, layers: 8, heads: 8, kv_heads: 2, ffn: 512, vocab: 1000}";
  const std::string moe =
      "{hidden: 256, layers: 8, heads: 8, kv_heads: 2, ffn: 512, vocab: 1000, experts: 8, top_k: 2}";
  const std::vector<Case> cases = {
      {dense, "tp: 2, pp: 2, dp: 2", "{precision: fp8}"},
      {dense, "tp: 2, pp: 2, dp: 2, virtual_stages: 2", "{precision: fp8, fp8: {scaling: tensorwise}}"},
      {dense, "tp: 2, dp: 2, sequence_parallel: true, zero: 3",
       "{recompute: full, precision: {gemm: fp8, logits: bf16}, fp8: {scaling: tensorwise, weight_cache: true}}"},
      {dense, "tp: 2, dp: 2, sequence_parallel: true",
       "{overlap_tp_comm: true, precision: {gemm: fp8}, fp8: {weight_cache: false}}"},
      {dense, "tp: 1, pp: 2, dp: 1", "{precision: {gemm: bf16, logits: fp8}, fp8: {scaling: tensorwise}}"},
      {moe, "tp: 1, pp: 2, dp: 4, ep: 2, zero: 1",
       "{recompute: selective, precision: fp8, fp8: {scaling: tensorwise}}"},
  };
  for (const Case& c : cases) {
    const std::string yaml = fmt::format(
        "kind: transformer_training\nmodel: {}\nparallel: {{{}}}\nbatch: {{sequence: 128, micro: 1, global: "
        "8}}\noptions: {}\n",
        c.model, c.parallel, c.options);
    INFO(yaml);
    const ConfigDoc doc = ConfigDoc::load_string(yaml, "workload.yaml");
    MapReader wm(doc.root(), "workload");
    (void)wm.required("kind");
    const TransformerSpec s = read_transformer_spec(wm, gpu, RACKSIM_SOURCE_DIR);
    wm.finish();
    CHECK(estimate_transformer_ops(s) == static_cast<double>(generate_transformer(s, gpu).total_ops()));
    const int world = static_cast<int>(s.layout.world());
    CHECK(estimate_transformer_ops(s, world / 2) ==
          static_cast<double>(generate_transformer(s, gpu, world / 2).total_ops()));
  }
}

// The test documents hold the workload map at their root, so errors name keys from `options`
// (a scenario's say `workload.options.fp8...`).
TEST_CASE("workload.options.fp8 is read with its defaults and refused where it cannot apply", "[fp8][errors]") {
  SECTION("defaults: delayed with the weight cache; tensor-wise without it") {
    TransformerSpec s = one_layer("{precision: fp8}");
    CHECK(s.fp8.scaling == Fp8Scaling::Delayed);
    CHECK(s.fp8.weight_cache);
    s = one_layer("{precision: fp8, fp8: {scaling: tensorwise}}");
    CHECK(s.fp8.scaling == Fp8Scaling::Tensorwise);
    CHECK_FALSE(s.fp8.weight_cache);
    s = one_layer("{precision: fp8, fp8: {weight_cache: false}}");
    CHECK(s.fp8.scaling == Fp8Scaling::Delayed);
    CHECK_FALSE(s.fp8.weight_cache);
  }
  SECTION("no fp8 GEMM: the map has nothing to set") {
    const InputError e = input_error_of([] { (void)one_layer("{precision: bf16, fp8: {scaling: delayed}}"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("workload.yaml:5") && Catch::Contains("key 'options.fp8'") &&
                                          Catch::Contains("no GEMM here is fp8"));
  }
  SECTION("rowwise is refused with its reason") {
    const InputError e = input_error_of([] { (void)one_layer("{precision: fp8, fp8: {scaling: rowwise}}"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("key 'options.fp8.scaling'") && Catch::Contains("`rowwise`") &&
                                          Catch::Contains("no measurement"));
  }
  SECTION("an unknown recipe or key names the valid ones") {
    InputError e = input_error_of([] { (void)one_layer("{precision: fp8, fp8: {scaling: blockwise}}"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("key 'options.fp8.scaling'") && Catch::Contains("tensorwise"));
    e = input_error_of([] { (void)one_layer("{precision: fp8, fp8: {cache: true}}"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("valid keys: scaling, weight_cache"));
    e = input_error_of([] { (void)one_layer("{precision: fp8, fp8: {weight_cache: yes}}"); });
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("key 'options.fp8.weight_cache'") && Catch::Contains("true or false"));
  }
}
