#!/usr/bin/env python3
"""Fit the flash-attention backward/forward matmul-efficiency ratio r on whole training steps.

What it does (docs/gpu-model.md, "Attention"): runs `racksim validate --training --json` on the
chosen training-step cases twice, with the GPU's calibration file carrying r = 1 and r = 1/2
(a copy of the data folder, through RACKSIM_DATA_DIR; the repository is not touched). A step's
time per token is linear in u = 1/r, because only the backward attention's matmul term depends on
r:  tau_i(u) = K_i + u Y_i,  so Y_i = tau_i(2) - tau_i(1) and K_i = tau_i(1) - Y_i.
The fit: measured tau_i = c K_i + u Y_i, by least squares in relative error, where c (the scale
of everything but the backward attention's matmuls) is a nuisance parameter, fitted and
reported but not stored: the rest of the step has errors of its own (issue 17's other causes)
which a one-parameter fit would push into r. The one-parameter fit (c = 1) is printed beside it.
Then each case is predicted with r fitted on all cases (in-sample) and on all cases but that one
(leave-one-out), as racksim predicts it (c = 1): error = predicted tokens/s / measured - 1.

Usage: tools/fit_attention_backward.py [--racksim build/racksim] [--gpu h100]
           [--cases REGEX] [--jobs N] [--reference FILE]
Prints the fitted r, c, and the table; python3 standard library only.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CASES = r"^llmfoundry_bf16_mpt[0-9]+[mb]_s[0-9]+_8gpu_"
DEFAULT_REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "training-steps.yaml")


def with_ratio(text, ratio, cases):
    """The calibration file's text with its attention backward entry set to `ratio`."""
    line = '  backward: {ratio: %.6f, cases: "%s", fitted: "trial", command: "tools/fit_attention_backward.py"}' % (
        ratio, cases.replace('"', "'").replace("\\", "\\\\"))
    lines = [l for l in text.splitlines() if not l.startswith("  backward:")]
    try:
        at = lines.index("attention:")
    except ValueError:
        lines.append("attention:")
        at = len(lines) - 1
    lines.insert(at + 1, line)
    return "\n".join(lines) + "\n"


def run(racksim, data_dir, reference, cases, jobs):
    env = dict(os.environ, RACKSIM_DATA_DIR=data_dir)
    cmd = [racksim, "validate", reference, "--training", "--case", cases, "--jobs", str(jobs), "--json"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit("racksim failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    out = {}
    for c in json.loads(p.stdout)["cases"]:
        if c.get("status") == "compared" or "predicted" in c:
            out[c["id"]] = (c["measured"], c["predicted"])
    return out


def fit(rows, nuisance):
    """u (= 1/r) and c minimising sum ((c K + u Y - tau) / tau)^2 (c = 1 unless `nuisance`)."""
    if not nuisance:
        num = sum((t - k) * y / t ** 2 for k, y, t in rows)
        den = sum(y * y / t ** 2 for k, y, t in rows)
        return num / den, 1.0
    skk = sum(k * k / t ** 2 for k, y, t in rows)
    sky = sum(k * y / t ** 2 for k, y, t in rows)
    syy = sum(y * y / t ** 2 for k, y, t in rows)
    skt = sum(k / t for k, y, t in rows)
    syt = sum(y / t for k, y, t in rows)
    det = skk * syy - sky * sky
    c = (skt * syy - syt * sky) / det
    u = (skk * syt - sky * skt) / det
    return u, c


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--racksim", default=os.path.join(ROOT, "build", "racksim"))
    ap.add_argument("--gpu", default="h100")
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reference", default=DEFAULT_REFERENCE)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="racksim-fit-")
    try:
        shutil.copytree(os.path.join(ROOT, "models"), os.path.join(tmp, "models"))
        cal = os.path.join(tmp, "models", "catalog", "calibration", a.gpu + ".yaml")
        with open(cal) as f:
            base = f.read()
        runs = {}
        for u in (1.0, 2.0):
            with open(cal, "w") as f:
                f.write(with_ratio(base, 1.0 / u, a.cases))
            runs[u] = run(os.path.abspath(a.racksim), tmp, a.reference, a.cases, a.jobs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ids = sorted(set(runs[1.0]) & set(runs[2.0]), key=lambda i: (re.sub(r"_s\d+.*", "", i),
                                                                   int(re.search(r"_s(\d+)_", i).group(1))
                                                                   if re.search(r"_s(\d+)_", i) else 0))
    if len(ids) < 3:
        sys.exit("fewer than 3 cases compared: nothing to fit")
    data = {}
    for i in ids:
        meas, p1 = runs[1.0][i]
        _, p2 = runs[2.0][i]
        t1, t2, tm = 1.0 / p1, 1.0 / p2, 1.0 / meas
        y = t2 - t1
        data[i] = (t1 - y, y, tm)

    def predict(i, u):
        k, y, tm = data[i]
        return tm / (k + u * y) - 1.0  # predicted tokens/s over measured, minus 1

    u_all, c_all = fit(list(data.values()), True)
    u_one, _ = fit(list(data.values()), False)
    print("cases: %s (%d compared), reference: %s" % (a.cases, len(ids), os.path.relpath(a.reference)))
    print("fit with a nuisance scale c on the rest of the step: r = %.4f (u = 1/r = %.4f), c = %.4f" % (1 / u_all, u_all, c_all))
    print("one-parameter fit (c = 1), for comparison: r = %.4f" % (1 / u_one))
    print()
    print("%-44s %9s %9s %8s %9s %9s %9s" % ("case", "measured", "attn_bwd", "r=1", "in-sample", "LOO r", "LOO err"))
    ins, loo = [], []
    for i in ids:
        rest = [data[j] for j in ids if j != i]
        u_i, _ = fit(rest, True)
        k, y, tm = data[i]
        e_in, e_loo = predict(i, u_all), predict(i, u_i)
        ins.append(abs(e_in))
        loo.append(abs(e_loo))
        print("%-44s %9.0f %8.1f%% %+7.1f%% %+8.1f%% %9.4f %+8.1f%%" % (
            i, 1 / tm, 100 * u_all * y / (k + u_all * y), 100 * predict(i, 1.0), 100 * e_in, 1 / u_i, 100 * e_loo))

    def median(v):
        v = sorted(v)
        n = len(v)
        return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])

    print()
    print("median |error|: r = 1 %.1f%%, in-sample %.1f%%, leave-one-out %.1f%%" % (
        100 * median([abs(predict(i, 1.0)) for i in ids]), 100 * median(ins), 100 * median(loo)))
    print("attn_bwd: the backward attention's share of the predicted step at the fitted r")


if __name__ == "__main__":
    main()
