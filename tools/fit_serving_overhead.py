#!/usr/bin/env python3
"""Fit vLLM 0.6's host time per iteration on the offline vLLM serving cases.

What it fits (docs/inference.md, "Host overhead"; docs/validation.md, "Inference cases"): the
serving engine's host time per iteration, O = a + b x (sequences the iteration schedules) —
scheduling, sampling and bookkeeping that vLLM 0.6 runs in Python between its GPU steps. The
GPU side is racksim's model, unchanged. Two parameters, fitted on the published vLLM runs whose
requests all arrive at t = 0 (static batches and offline throughput runs): with no arrivals, the
scheduler's decisions do not depend on time, so a run's simulated time is exactly linear in (a, b):
    T(a, b) = T0 + (a - a0) N + (b - b0) S
where N is the run's iterations, S = sum over them of the sequences scheduled, and (a0, b0) the
values the run used. One `racksim validate --inference --json` run gives T0, N and S per case; the
fit then needs no more simulation. The Poisson (ShareGPT) cases are not used in the fit: their
schedule depends on time; they are reported as held out.

Fit: least squares of log(predicted / measured) over the cases (each case weighs alike, whether
its figure is a throughput or a latency), a, b >= 0, by a grid then coordinate refinement.
Reported: the fitted (a, b), each case's error with (a, b) fitted on all cases (in-sample) and on
all cases but itself (leave-one-out), and the medians of both.

Usage: tools/fit_serving_overhead.py [--racksim build/racksim] [--reference FILE] [--jobs N]
python3 standard library only.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "inference-measurements.yaml")
VLLM_CASES = r"^(oci_|dstack_)"


def seconds(v):
    """A scheduler override's value ('0.0123 s' or '0 s') in seconds."""
    v = v.strip()
    if v.endswith(" s"):
        v = v[:-2]
    return float(v)


def case_model(c):
    """(measured, predict(a, b)) of one case, from its run at the mapping's (a0, b0)."""
    a0 = seconds(c["overrides"].get("workload.scheduler.iteration_overhead", "0 s"))
    b0 = seconds(c["overrides"].get("workload.scheduler.sequence_overhead", "0 s"))
    n = c["iterations"]
    s = c["mean_seqs_per_iteration"] * n
    metric = c["metric"]
    if metric == "e2e_latency_s":
        t0 = c["e2e_max_s"]
        return c["measured"], lambda a, b: t0 + (a - a0) * n + (b - b0) * s
    if metric in ("output_tokens_per_s", "total_tokens_per_s"):
        t0 = c["duration_s"]
        rate0 = c["predicted"]
        return c["measured"], lambda a, b: rate0 * t0 / (t0 + (a - a0) * n + (b - b0) * s)
    return None, None


def loss(models, a, b):
    return sum(math.log(p(a, b) / m) ** 2 for m, p in models)


def fit(models):
    best = None
    for ai in range(0, 61):
        for bi in range(0, 61):
            a, b = ai * 0.5e-3, bi * 0.01e-3
            l = loss(models, a, b)
            if best is None or l < best[0]:
                best = (l, a, b)
    _, a, b = best
    da, db = 0.5e-3, 0.01e-3
    for _ in range(60):  # coordinate refinement
        improved = False
        for na, nb in ((a + da, b), (a - da, b), (a, b + db), (a, b - db)):
            if na < 0 or nb < 0:
                continue
            if loss(models, na, nb) < loss(models, a, b):
                a, b, improved = na, nb, True
        if not improved:
            da, db = da / 2, db / 2
    return a, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--racksim", default=os.path.join(ROOT, "build", "racksim"))
    ap.add_argument("--reference", default=DEFAULT_REFERENCE)
    ap.add_argument("--jobs", default="2")
    args = ap.parse_args()
    cmd = [args.racksim, "validate", args.reference, "--inference", "--case", VLLM_CASES, "--json", "--jobs", args.jobs,
           "--budget", "1000"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit("racksim validate failed (%d):\n%s" % (out.returncode, out.stderr))
    cases = [c for c in json.loads(out.stdout)["cases"] if c.get("status") == "simulated"]
    fitted, held = [], []
    for c in cases:
        m, p = case_model(c)
        (fitted if m is not None else held).append((c, m, p))
    models = [(m, p) for _, m, p in fitted]
    a, b = fit(models)
    print("fitted on %d offline vLLM cases: iteration_overhead a = %.3f ms, sequence_overhead b = %.4f ms"
          % (len(models), a * 1e3, b * 1e3))
    print("%-46s %-12s %10s %10s %8s %8s" % ("case", "metric", "measured", "in-sample", "error", "LOO err"))
    ins, loo = [], []
    for i, (c, m, p) in enumerate(fitted):
        others = [x for j, x in enumerate(models) if j != i]
        la, lb = fit(others)
        e_in = p(a, b) / m - 1
        e_loo = p(la, lb) / m - 1
        ins.append(abs(e_in))
        loo.append(abs(e_loo))
        print("%-46s %-12s %10.4g %10.4g %+7.1f%% %+7.1f%%" % (c["id"], c["metric"], m, p(a, b), 100 * e_in, 100 * e_loo))
    print("median |error|: in-sample %.1f%%, leave-one-out %.1f%%" % (100 * statistics.median(ins), 100 * statistics.median(loo)))
    for c, _, _ in held:
        print("held out (time-dependent schedule, not fitted): %s %s measured %.4g, predicted %.4g at the mapping's values"
              % (c["id"], c["metric"], c["measured"], c["predicted"]))


if __name__ == "__main__":
    main()
