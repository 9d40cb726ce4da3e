// Unit tests for models/serving: the cost of one serving iteration and the HBM budget of an
// instance. Every expected value is derived by hand in its comment from the formulas of
// models/serving.hpp (docs/inference.md), from the shapes' published sizes and from the
// shipped catalog's H100 (decimal units): HBM 80 GB at 3.35 TB/s, bf16 989.4 and fp8
// 1978.9 TFLOP/s, launch overhead 5 us, 132 SMs.
//
// Shapes (models/catalog/transformers.yaml):
//   Llama 3 70B: h 8192, 80 layers, 64 heads, 8 kv heads, d 128, F 28672 SwiGLU, V 128256.
//   Mixtral 8x7B: h 4096, 32 layers, 32 heads, 8 kv heads, d 128, F 14336 SwiGLU, V 32000, E 8, k 2.
// Llama 3 70B per layer: W_qkv 8192 x (64 + 16) 128 = 83,886,080, W_o 8192^2 = 67,108,864, FFN
// 3 x 8192 x 28672 = 704,643,072: 855,638,016 linear weights (68,451,041,280 over 80 layers),
// plus 2 norms of 8192; embeddings 128256 x 8192 = 1,050,673,152 each (input and output).
#include "core/error.hpp"
#include "models/calibration.hpp"
#include "models/serving.hpp"
#include "models/transformer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <string>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

using test::gpu;
using test::near;
using test::shipped;

TransformerShape llama3_70b() {
  TransformerShape m;
  m.name = "llama3-70b";
  m.hidden = 8192;
  m.layers = 80;
  m.heads = 64;
  m.kv_heads = 8;
  m.ffn = 28672;
  m.vocab = 128256;
  return m;
}

TransformerShape mixtral_8x7b() {
  TransformerShape m;
  m.name = "mixtral-8x7b";
  m.hidden = 4096;
  m.layers = 32;
  m.heads = 32;
  m.kv_heads = 8;
  m.ffn = 14336;
  m.vocab = 32000;
  m.experts = 8;
  m.top_k = 2;
  return m;
}

ServingPrecision fp8_weights_and_activations() {
  ServingPrecision p;
  p.weights = p.activations = Precision::fp8;
  return p;  // KV cache and embeddings bf16
}

const GpuCalibration& h100_calibration() {
  static const GpuCalibration c =
      *calibration_for(gpu("h100"), shipped(), std::string(RACKSIM_SOURCE_DIR) + "/models/catalog/calibration");
  return c;
}

IterationBatch decode(std::int64_t seqs, double context_each) {
  IterationBatch b;
  b.decode_seqs = seqs;
  b.decode_context_tokens = static_cast<double>(seqs) * context_each;
  b.sampled_seqs = seqs;
  return b;
}

// One whole prompt of `c` tokens in one chunk (nothing cached): c^2/2 causal pairs.
IterationBatch prefill(std::int64_t c) {
  IterationBatch b;
  b.prefill_seqs = 1;
  b.prefill_tokens = c;
  b.prefill_attention_pairs = 0.5 * static_cast<double>(c) * static_cast<double>(c);
  b.prefill_context_tokens = static_cast<double>(c);
  b.sampled_seqs = 1;
  return b;
}

double total_bytes(const IterationCost& c) { return c.compute_bound_hbm_bytes + c.memory_bound_hbm_bytes; }

}  // namespace

TEST_CASE("serving: Llama 3 70B fp8 weights per GPU at tp 1 and tp 8", "[serving]") {
  // tp 1: 68,451,041,280 linear weights x 1 B (fp8) + 80 x 2 x 8192 norm scales x 2 B (2,621,440)
  //   + 2 x 1,050,673,152 embedding rows x 2 B (bf16, unquantized: 4,202,692,608) + final norm
  //   8192 x 2 B (16,384) = 72,656,371,712 B; parameters 68,451,041,280 + 1,310,720 +
  //   2,101,346,304 + 8192 = 70,553,706,496 (count_parameters' total).
  const IterationCostModel one(llama3_70b(), {1, 1, 1}, fp8_weights_and_activations(), gpu("h100"), nullptr);
  CHECK(one.parameters_per_gpu(0) == near(count_parameters(llama3_70b()).total));
  CHECK(one.parameters_per_gpu(0) == near(70553706496.0));
  CHECK(one.memory(8192, 0.9).weights == near(72656371712.0));
  // tp 8: linear 68,451,041,280 / 8 = 8,556,380,160 B; norms replicated 2,621,440 + 16,384;
  //   vocabulary shard 128256 / 8 = 16032 rows x 8192 x 2 B x 2 (input, output) = 525,336,576:
  //   9,084,354,560 B.
  const IterationCostModel eight(llama3_70b(), {8, 1, 1}, fp8_weights_and_activations(), gpu("h100"), nullptr);
  CHECK(eight.memory(8192, 0.9).weights == near(9084354560.0));
}

TEST_CASE("serving: KV bytes per token and the KV capacity of Llama 3 70B bf16 at tp 8", "[serving]") {
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, {}, gpu("h100"), nullptr);
  const ServingMemory mem = m.memory(8192, 256, 0.9);
  // 2 (K, V) x 80 layers x 8/8 kv heads x 128 x 2 B = 40,960 B per token.
  CHECK(mem.kv_bytes_per_token == near(40960.0));
  // Weights: 8,556,380,160 x 2 B + 2,621,440 + 16,384 + 525,336,576 = 17,640,734,720 B.
  CHECK(mem.weights == near(17640734720.0));
  // Activations for 8192 tokens: 2 B x 8192 x (2 x 8192 + max((2 x 8 + 2 x 1) 128 = 2304,
  //   3 x 3584 = 10752)) = 444,596,224; logits of 256 sequences: 256 x (2 x 16032 + 4 x 128256)
  //   = 139,542,528; together 584,138,752 B.
  CHECK(mem.activations == near(584138752.0));
  // Usable 0.9 x 80 GB = 72e9; (72e9 - 17,640,734,720 - 584,138,752) / 40960 = 1,312,869.3.
  CHECK(mem.usable == near(72e9));
  CHECK(mem.kv_capacity_tokens == 1312869.0);
  CHECK(mem.fits());
  // TensorRT-LLM's rule, 0.95 of what is left of the whole 80 GB: 80e9 - 17,640,734,720 -
  // 584,138,752 = 61,775,126,528 B left; x 0.95 = 58,686,370,201.6 B / 40960 = 1,432,772.7 tokens;
  // usable 17,640,734,720 + 584,138,752 + 58,686,370,201.6 = 76,911,243,673.6 B.
  const ServingMemory trt = m.memory_of_free(8192, 256, 0.95);
  CHECK(trt.kv_capacity_tokens == 1432772.0);
  CHECK(trt.usable == near(76911243673.6));
  CHECK(trt.weights == near(17640734720.0));
  // Llama 3 405B in bf16 on one H100 does not fit: 810 GB of weights.
  TransformerShape big = llama3_70b();
  big.hidden = 16384, big.layers = 126, big.heads = 128, big.ffn = 53248;
  CHECK_FALSE(IterationCostModel(big, {1, 1, 1}, {}, gpu("h100"), nullptr).memory(8192, 0.9).fits());
}

TEST_CASE("serving: a decode iteration of Llama 3 70B bf16 at tp 8, batch 1, plain roofline", "[serving]") {
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, {}, gpu("h100"), nullptr);
  // One sequence with 1000 cached tokens; T = 1. Bytes per layer (GEMM: M K 2 + K N 2 + M N 2):
  //   QKV  N = (8 + 2) 128 = 1280, K = 8192:  16,384 + 20,971,520 + 2,560     =  20,990,464
  //   O    N = 8192, K = 1024:                 2,048 + 16,777,216 + 16,384    =  16,795,648
  //   up   N = 2 x 3584 = 7168, K = 8192:     16,384 + 117,440,512 + 14,336   = 117,471,232
  //   down N = 8192, K = 3584:                 7,168 + 58,720,256 + 16,384    =  58,743,808
  //   elementwise 16 x 8192 + 4 (8 + 1) 128 + 2 x 128 (2 + 2) + 2 x 3 x 3584   =     158,208
  //   attention 2 x 1000 x 1 x 128 x 2 (K, V) + 2 x 1 x 1024 x 2 (Q, O)        =     516,096
  //   one layer 214,675,456; 80 layers 17,174,036,480
  // + embedding 8192 (2/8 + 2) = 18,432, final norm 8 x 8192 = 65,536, logits M = 1, N = 16032,
  //   K = 8192: 16,384 + 262,668,288 + 32,064 = 262,716,736: 17,436,837,184 B in all.
  // Every kernel is memory-bound (M = 1: 2 N K FLOPs at 989.4 TFLOP/s against 2 N K bytes at
  // 3.35 TB/s), so the time is 17,436,837,184 / 3.35e12 = 5.20503 ms, plus one graph launch 5 us.
  const IterationCost c = m.stage_cost(0, decode(1, 1000.0));
  CHECK(c.compute_bound_compute_s == 0.0);
  CHECK(c.memory_bound_hbm_bytes == near(17436837184.0));
  CHECK(c.memory_bound_memory_s == near(17436837184.0 / 3.35e12));
  CHECK(c.launch_s == near(5e-6));
  // The graph's one launch is far shorter than the 5.2 ms of kernels: the device waits only for
  // its share, 5 us / 803 kernels (IterationCost::exposed_launch_s).
  CHECK(c.kernel_time_s() == near(17436837184.0 / 3.35e12 + 5e-6 / 803.0));
  // Kernels: per layer 4 GEMMs + 5 elementwise + 1 attention = 10, x 80, + embedding, final norm, logits.
  CHECK(c.kernels == 803);
  // FLOPs: 80 (2 x 8192 (1280 + 1024 + 7168 + 3584) + 4 x 1024 x 1000) + 2 x 16032 x 8192 = 17,703,108,608.
  CHECK(c.flops == near(17703108608.0));
  // Eager (no graphs): 803 launches of 5 us.
  IterationCostModel eager = m;
  eager.set_cuda_graph_max_tokens(0);
  const IterationCost e = eager.stage_cost(0, decode(1, 1000.0));
  CHECK(e.launch_s == near(803 * 5e-6));
  // The host needs 4.015 ms to launch them, the device 5.205 ms to run them: the host stays ahead
  // and the device waits only for the first launch, 5 us.
  CHECK(e.exposed_launch_s() == near(5e-6));
  CHECK(e.kernel_time_s() == near(17436837184.0 / 3.35e12 + 5e-6));
}

TEST_CASE("serving: launches the device cannot hide are exposed", "[serving]") {
  // One layer of h = 256 at tp 1 (a tiny model): its decode kernels take far less than their
  // launches, so the device waits for the host: kernel time = launch time.
  TransformerShape tiny;
  tiny.name = "tiny";
  tiny.hidden = 256;
  tiny.layers = 1;
  tiny.heads = 4;
  tiny.kv_heads = 4;
  tiny.ffn = 1024;
  tiny.vocab = 1000;
  IterationCostModel m(tiny, {1, 1, 1}, ServingPrecision{}, gpu("h100"), nullptr);
  m.set_cuda_graph_max_tokens(0);
  const IterationCost c = m.stage_cost(0, decode(1, 10.0));
  REQUIRE(c.launch_s > c.device_time_s());
  CHECK(c.exposed_launch_s() == near(c.launch_s - c.device_time_s()));
  CHECK(c.kernel_time_s() == near(c.launch_s));
}

TEST_CASE("serving: prefill FLOPs of a 1024-token chunk of Llama 3 70B at tp 8", "[serving]") {
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, fp8_weights_and_activations(), gpu("h100"), &h100_calibration());
  // 2 x 8,556,380,160 linear weights per GPU x 1024 tokens = 17,523,466,567,680
  // + attention 4 x 8 heads x 128 x 1024^2/2 pairs x 80 layers = 171,798,691,840
  // + logits of the one sampled token 2 x 16032 x 8192 = 262,668,288: 17,695,527,927,808.
  const IterationCost c = m.stage_cost(0, prefill(1024));
  CHECK(c.flops == near(17695527927808.0));
  // A prefill is not a graph replay: every kernel launches (803 of them, 5 us each).
  CHECK(c.launch_s == near(803 * 5e-6));
}

TEST_CASE("serving: distinct experts chosen by a batch", "[serving]") {
  // E (1 - (1 - k/E)^T), E = 8, k = 2: T = 1 -> 8 x 0.25 = 2; T = 4 -> 8 (1 - 0.31640625) = 5.46875;
  // T = 0 -> 0; k = E -> E whatever T >= 1.
  CHECK(distinct_experts(8, 2, 1.0) == near(2.0));
  CHECK(distinct_experts(8, 2, 4.0) == near(5.46875));
  CHECK(distinct_experts(8, 2, 0.0) == near(0.0));
  CHECK(distinct_experts(8, 8, 3.0) == near(8.0));
  CHECK(distinct_experts(8, 2, 64.0) > 7.9999);
  CHECK_THROWS_AS(distinct_experts(8, 9, 1.0), Error);
}

TEST_CASE("serving: a Mixtral 8x7B decode of one token reads two experts", "[serving]") {
  const IterationCostModel m(mixtral_8x7b(), {1, 1, 1}, {}, gpu("h100"), nullptr);
  // tp 1, bf16, one sequence with 100 cached tokens. Per layer:
  //   QKV  N = (32 + 16) 128 = 6144, K = 4096: 8,192 + 50,331,648 + 12,288          =  50,352,128
  //   O    4096 x 4096:                         8,192 + 33,554,432 + 8,192           =  33,570,816
  //   router N = 8:                             8,192 + 65,536 + 16                  =      73,744
  //   experts: the token chooses 2 of 8 (distinct_experts(8, 2, 1) = 2), 2 token copies:
  //     up   2 x 4096 x 2 + 2 x 28672 x 4096 x 2 + 2 x 28672 x 2                    = 469,893,120
  //     down 2 x 14336 x 2 + 2 x 4096 x 14336 x 2 + 2 x 4096 x 2                     = 234,954,752
  //   elementwise 16 x 4096 + 4 (32 + 8) 128 + 2 x 8 x 128 x 4 + (2 x 8 + 8 x 2)
  //     + 2 x 3 x 2 x 14336 + 2 x 3 x 4096 = 65,536 + 20,480 + 8,192 + 32 + 172,032 + 24,576 =  290,848
  //   attention 2 x 100 x 8 x 128 x 2 + 2 x 4096 x 2                                 =     425,984
  //   one layer 789,561,392; 32 layers 25,265,964,544
  // + embedding 4096 (2 + 2) = 16,384, final norm 32,768, logits 8,192 + 262,144,000 + 64,000 =
  //   262,216,192: 25,528,229,888 B. All six experts not chosen are not read: reading all 8 would
  //   add 3 x 6 x 4096 x 14336 x 2 B = 2.11e9 B per layer.
  const IterationCost c = m.stage_cost(0, decode(1, 100.0));
  CHECK(total_bytes(c) == near(25528229888.0));
  CHECK(c.compute_bound_hbm_bytes == 0.0);
  // Kernels per layer: QKV, O, router, 2 expert GEMMs, attention, 7 elementwise (2 norms, RoPE,
  // KV write, routing, activation, combine): 5 + 1 + 7 = 13; x 32 + 3 = 419.
  CHECK(c.kernels == 419);
}

TEST_CASE("serving: sliding-window layers read at most the window's keys", "[serving]") {
  // 4 layers, every 2nd global: layers 0 and 2 windowed (256 keys), 1 and 3 global.
  TransformerShape m = llama3_70b();
  m.layers = 4;
  TransformerShape windowed = m;
  windowed.sliding_window = 256;
  windowed.global_every = 2;
  const IterationCostModel full(m, {8, 1, 1}, {}, gpu("h100"), nullptr),
      swa(windowed, {8, 1, 1}, {}, gpu("h100"), nullptr);
  // Decode, 4 sequences of 1000 cached tokens: a windowed layer reads min(4000, 4 x 256 = 1024)
  // keys, 2,976 fewer, each 2 x 1 x 128 x 2 = 512 B: 2 layers x 2976 x 512 = 3,047,424 B fewer.
  CHECK(total_bytes(full.stage_cost(0, decode(4, 1000.0))) - total_bytes(swa.stage_cost(0, decode(4, 1000.0))) ==
        near(3047424.0));
  // FLOPs: 4 x 8 x 128 x 2976 = 12,189,696 fewer per windowed layer, 24,379,392 in all.
  CHECK(full.stage_cost(0, decode(4, 1000.0)).flops - swa.stage_cost(0, decode(4, 1000.0)).flops == near(24379392.0));
  // Prefill of 1024 tokens: pairs min(1024^2/2 = 524,288, 1024 x 256 = 262,144): 262,144 fewer
  // per windowed layer, 4 x 8 x 128 x 262,144 x 2 = 2,147,483,648 FLOPs fewer.
  CHECK(full.stage_cost(0, prefill(1024)).flops - swa.stage_cost(0, prefill(1024)).flops == near(2147483648.0));
}

TEST_CASE("serving: TP all-reduces, EP all-to-alls and the pipeline send", "[serving]") {
  const IterationCostModel tp8(llama3_70b(), {8, 1, 1}, {}, gpu("h100"), nullptr);
  // 64 decode tokens: 2 per layer x 80 + 1 (vocabulary-parallel embedding) = 161 all-reduces of
  // 2 x 64 x 8192 = 1,048,576 B; the logits gather: 2 x 64 x 16032 = 2,052,096 B per GPU.
  const IterationCost c = tp8.stage_cost(0, decode(64, 1000.0));
  CHECK(c.tp_allreduces == 161);
  CHECK(c.tp_allreduce_bytes == near(1048576.0));
  CHECK(c.tp_logits_gather_bytes == near(2052096.0));
  CHECK(c.pp_send_bytes == 0.0);
  CHECK(c.ep_alltoalls == 0);
  // tp 1: no collective.
  const IterationCost one =
      IterationCostModel(llama3_70b(), {1, 1, 1}, {}, gpu("h100"), nullptr).stage_cost(0, decode(64, 1.0));
  CHECK(one.tp_allreduces == 0);
  CHECK(one.tp_allreduce_bytes == 0.0);
  // pp 2: 40 layers each; stage 0 sends hidden states and residual, 2 x 2 x 64 x 8192 = 2,097,152 B,
  // and all-reduces 2 x 40 + 1 times; stage 1 80 times, no send.
  const IterationCostModel pp2(llama3_70b(), {8, 2, 1}, {}, gpu("h100"), nullptr);
  CHECK(pp2.layers_of_stage(0) == 40);
  CHECK(pp2.stage_cost(0, decode(64, 1000.0)).pp_send_bytes == near(2097152.0));
  CHECK(pp2.stage_cost(0, decode(64, 1000.0)).tp_allreduces == 81);
  CHECK(pp2.stage_cost(1, decode(64, 1000.0)).tp_allreduces == 80);
  CHECK(pp2.stage_cost(1, decode(64, 1000.0)).pp_send_bytes == 0.0);
  // 81 layers over pp 2: the first stage takes the extra one.
  TransformerShape odd = llama3_70b();
  odd.layers = 81;
  CHECK(IterationCostModel(odd, {8, 2, 1}, {}, gpu("h100"), nullptr).layers_of_stage(0) == 41);
  // Mixtral tp 8, ep 8, 64 tokens: 2 x 32 all-to-alls; each GPU dispatches its 64/8 = 8 tokens'
  // 2 copies, 7/8 of them to other GPUs: 2 B x 8 x 2 x 4096 x 7/8 = 114,688 B.
  const IterationCost moe =
      IterationCostModel(mixtral_8x7b(), {8, 1, 8}, {}, gpu("h100"), nullptr).stage_cost(0, decode(64, 1000.0));
  CHECK(moe.ep_alltoalls == 64);
  CHECK(moe.ep_alltoall_bytes == near(114688.0));
}

TEST_CASE("serving: decode at M = 1 is memory-bound, a prefill of 8192 tokens compute-bound", "[serving]") {
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, fp8_weights_and_activations(), gpu("h100"), &h100_calibration());
  const IterationCost d = m.stage_cost(0, decode(1, 1000.0));
  CHECK(d.compute_bound_compute_s == 0.0);
  CHECK(d.compute_bound_memory_s == 0.0);
  // At least the fp8 weights, 8,556,380,160 B, and the bf16 output layer, 262,668,288 B, are read.
  CHECK(d.memory_bound_hbm_bytes > 8556380160.0 + 262668288.0);
  const IterationCost p = m.stage_cost(0, prefill(8192));
  // The layers' GEMMs are compute-bound: at least their FLOPs 2 x 8,556,380,160 x 8192 at the
  // fp8 peak (efficiency <= 1) = 70.8 ms on that side; the elementwise kernels stay memory-bound.
  CHECK(p.compute_bound_compute_s >= 2.0 * 8556380160.0 * 8192.0 / 1978.9e12);
  CHECK(p.compute_bound_compute_s > p.compute_bound_memory_s);
  // What stays memory-bound is the elementwise work, replicated on every TP GPU: 158,208 B per
  // token per layer (as in the decode test: activations are bf16 whatever the GEMMs' precision)
  // x 8192 x 80 = 103,683,194,880 B, the embedding 8192 x 8192 x 2.25 = 150,994,944 B, the final
  // norm 8 x 8192 x 8192 = 536,870,912 B, and the logits GEMM of the one sampled row,
  // 262,716,736 B: 104,633,777,472 B (about a quarter of the GEMMs' time: the norms are not split
  // by tensor parallelism).
  CHECK(p.memory_bound_hbm_bytes == near(104633777472.0));
}

TEST_CASE("serving: layouts that do not divide the model are refused", "[serving]") {
  const GpuSpec h100 = gpu("h100");
  auto make = [&](const TransformerShape& m, InstanceLayout l) { return IterationCostModel(m, l, {}, h100, nullptr); };
  CHECK_THROWS_WITH(make(llama3_70b(), {3, 1, 1}), Contains("tp (3) must divide the attention heads (64)"));
  CHECK_THROWS_WITH(make(llama3_70b(), {1, 81, 1}), Contains("pp (81) must not exceed the layers (80)"));
  CHECK_THROWS_WITH(make(llama3_70b(), {8, 1, 2}), Contains("needs a mixture-of-experts model"));
  CHECK_THROWS_WITH(make(mixtral_8x7b(), {8, 1, 3}), Contains("ep (3) must divide tp (8)"));
  CHECK_THROWS_WITH(make(mixtral_8x7b(), {16, 1, 16}), Contains("ep (16) must divide the experts (8)"));
  CHECK_THROWS_WITH(make(llama3_70b(), {0, 1, 1}), Contains("at least 1"));
  // kv heads replicated: tp 16 over 8 kv heads is fine, each GPU holding one of them (each head on
  // 2 GPUs): 2 x 80 x 1 x 128 x 2 = 40,960 B per token per GPU, as at tp 8.
  CHECK(make(llama3_70b(), {16, 1, 1}).memory(8192, 0.9).kv_bytes_per_token == near(40960.0));
  TransformerShape six = llama3_70b();
  six.kv_heads = 16;  // tp 32 is a multiple of the 16 kv heads and divides the 64 heads
  CHECK_NOTHROW(make(six, {32, 1, 1}));
  TransformerShape gqa = llama3_70b();
  gqa.heads = 96, gqa.kv_heads = 8, gqa.hidden = 12288;
  CHECK_THROWS_WITH(make(gqa, {12, 1, 1}), Contains("or be a multiple of them"));
  const IterationCostModel ok = make(llama3_70b(), {8, 2, 1});
  CHECK_THROWS_WITH(ok.stage_cost(2, decode(1, 1.0)), Contains("stage 2 is not a pipeline stage"));
  CHECK_THROWS_AS(ok.memory(0, 0.9), Error);
  CHECK_THROWS_AS(ok.memory(8192, 1.5), Error);
  ServingPrecision odd;
  odd.activations = Precision::fp8;  // bf16 weights, fp8 activations
  CHECK_THROWS_WITH(IterationCostModel(llama3_70b(), {8, 1, 1}, odd, h100, nullptr),
                    Contains("narrower than the weights"));
  // An empty batch costs nothing.
  CHECK(ok.stage_cost(0, IterationBatch{}).kernel_time_s() == 0.0);
}

TEST_CASE("serving: the cost of one iteration is cheap to compute", "[serving]") {
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, fp8_weights_and_activations(), gpu("h100"), &h100_calibration());
  IterationBatch b = decode(64, 1000.0);
  b.prefill_seqs = 1, b.prefill_tokens = 512, b.prefill_attention_pairs = 512.0 * 2048.0 + 512.0 * 256.0,
  b.prefill_context_tokens = 2560.0;
  const int n = 20000;
  double sink = 0.0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    b.decode_context_tokens = 64000.0 + i;
    sink += m.stage_cost(0, b).kernel_time_s();
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / n;
  std::cout << fmt::format("serving: stage_cost of a mixed Llama 3 70B batch takes {:.2f} us (sink {:.3g})\n", us,
                           sink);
  CHECK(sink > 0.0);
}

TEST_CASE("serving: the worked example of docs/inference.md", "[serving]") {
  // Llama 3 70B, fp8 weights and activations, bf16 KV cache, tp 8 on H100 with the shipped
  // calibration. The document derives every kernel by hand (its tables); the totals:
  const IterationCostModel m(llama3_70b(), {8, 1, 1}, fp8_weights_and_activations(), gpu("h100"), &h100_calibration());
  // Decode of 64 sequences of 1000 cached tokens: every kernel memory-bound, 12.6417e9 B at
  // 0.8866 x 3.35 TB/s = 4.2563 ms, plus one graph launch, hidden but for its 5 us / 803 share:
  // 4.2563 ms; 1.13300e12 FLOPs.
  const IterationCost d = m.stage_cost(0, decode(64, 1000.0));
  CHECK(d.compute_bound_compute_s == 0.0);
  CHECK(d.memory_bound_hbm_bytes == Approx(1.264172e10).epsilon(1e-5));
  CHECK(d.memory_bound_memory_s == Approx(4.2563e-3).epsilon(1e-4));
  CHECK(d.kernel_time_s() == Approx(4.2563e-3).epsilon(1e-4));
  CHECK(d.flops == Approx(1.132999e12).epsilon(1e-5));
  // Prefill of one 1000-token prompt: GEMMs and attention compute-bound (18.4735 ms), the
  // elementwise kernels, embedding, final norm and logits memory-bound (4.3781 ms), 803 eager
  // launches (4.015 ms) that the host issues while the device runs 22.85 ms of kernels, so only
  // the first one's 5 us is exposed: 22.8566 ms; 1.727686e13 FLOPs.
  const IterationCost p = m.stage_cost(0, prefill(1000));
  CHECK(p.compute_bound_compute_s == Approx(18.4735e-3).epsilon(1e-4));
  CHECK(p.memory_bound_memory_s == Approx(4.3781e-3).epsilon(1e-4));
  CHECK(p.launch_s == Approx(4.015e-3).epsilon(1e-9));
  CHECK(p.kernel_time_s() == Approx(22.8566e-3).epsilon(1e-4));
  CHECK(p.flops == Approx(1.727686e13).epsilon(1e-5));
}
