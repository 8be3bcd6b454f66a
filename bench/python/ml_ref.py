"""The Python reference of the model-engine benchmarks (bench/ml-*.ts run it with PYTHONPATH=.tools/ml-ref).

Subcommands (each prints one JSON object as its last stdout line):
  gbdt      train LightGBM on a dataset written by bench/ml-data.ts, held-out log loss, training time,
            optional ONNX export (onnxmltools) and timing of LightGBM's own predict on the test rows
  tpe       Optuna TPESampler (defaults) or RandomSampler on Branin / Hartmann-6, best value per seed
  ask-tell  an Optuna study driven over stdin/stdout: prints {"params": {...}} per trial, reads the
            objective's value (a JSON number) from stdin; so the objective runs in Node (our GBDT)
"""
import argparse
import json
import math
import os
import sys
import time


def load(path, target):
    import numpy as np
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    names = [c for c in t.column_names if not c.startswith("y_") and c != "split" and not c.startswith("nll_")]
    x = np.column_stack([t.column(c).to_numpy().astype(np.float32) for c in names])
    y = t.column(target).to_numpy().astype(np.int32)
    split = t.column("split").to_numpy()
    return names, x, y, split


def log_loss(proba, y):
    import numpy as np

    p = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    return float(-np.mean(np.log(p)))


def as_proba(raw, objective):
    import numpy as np

    if objective == "binary":
        return np.column_stack([1 - raw, raw])
    return raw


def cmd_gbdt(a):
    import numpy as np
    import lightgbm as lgb

    names, x, y, split = load(a.data, a.target)
    xtr, ytr = x[split == 0], y[split == 0]
    xte, yte = x[split == 2], y[split == 2]
    p = json.loads(a.params)
    params = {
        "objective": a.objective,
        "num_leaves": p["numLeaves"],
        "learning_rate": p["learningRate"],
        "min_data_in_leaf": p["minDataInLeaf"],
        "min_sum_hessian_in_leaf": p.get("minSumHessianInLeaf", 1e-3),
        "lambda_l2": p.get("lambdaL2", 0.0),
        "max_bin": p["maxBins"],
        "min_data_in_bin": p.get("minDataInBin", 3),
        "bagging_fraction": 1.0,
        "bagging_freq": 0,
        "feature_fraction": 1.0,
        "num_threads": a.threads,
        "seed": 0,
        "deterministic": True,
        "verbose": -1,
    }
    if a.objective == "multiclass":
        params["num_class"] = a.num_class
    times = []
    booster = None
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        # Dataset construction (binning) is part of the time, as binning is part of trainGbdt.
        ds = lgb.Dataset(xtr, label=ytr, feature_name=names, params={"max_bin": p["maxBins"], "verbose": -1})
        booster = lgb.train(params, ds, num_boost_round=p["numIterations"])
        times.append(time.perf_counter() - t0)
    proba = as_proba(booster.predict(xte, num_threads=a.threads), a.objective)
    out = {
        "lightgbm": lgb.__version__,
        "trainSeconds": sorted(times)[len(times) // 2],
        "trainSecondsAll": times,
        "testLogLoss": log_loss(proba, yte),
        "trees": booster.num_trees(),
        "trainRows": int(len(ytr)),
        "testRows": int(len(yte)),
    }
    if a.model_out:
        booster.save_model(a.model_out)
    if a.onnx_out:
        out["onnxPath"] = export_onnx(booster, x.shape[1], a.onnx_out)
    if a.proba_out:
        proba.astype(np.float64).tofile(a.proba_out)
        out["probaPath"] = a.proba_out
    if a.predict_rows:
        out.update(time_predict(booster, xte, a.predict_rows, a.predict_repeats))
    print(json.dumps(out))


def export_onnx(booster, n_features, path):
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    # target_opset 15 and no ZipMap: a plain [rows x K] probabilities tensor onnxruntime-node reads.
    onx = onnxmltools.convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, n_features]))], target_opset=15, zipmap=False)
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    return path


def time_predict(booster, xte, n_rows, repeats):
    """LightGBM's own predict, one thread: rows/s on n_rows test rows, and single-row latency."""
    import numpy as np

    rows = np.ascontiguousarray(np.resize(xte, (n_rows, xte.shape[1])))
    booster.predict(rows, num_threads=1)  # warm-up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        booster.predict(rows, num_threads=1)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    one = rows[:1]
    lat = []
    for _ in range(3000):
        t0 = time.perf_counter_ns()
        booster.predict(one, num_threads=1)
        lat.append(time.perf_counter_ns() - t0)
    lat = sorted(lat[500:])
    return {
        "predict": {"rows": n_rows, "medianSeconds": samples[len(samples) // 2], "rowsPerSecond": n_rows / samples[len(samples) // 2]},
        "singleRowMicros": {"p50": lat[len(lat) // 2] / 1000, "p99": lat[int(len(lat) * 0.99)] / 1000},
    }


def cmd_lgb_infer(a):
    """A saved LightGBM model: ONNX export (onnxmltools), predict timing, and its test probabilities."""
    import numpy as np
    import lightgbm as lgb

    names, x, y, split = load(a.data, a.target)
    xte = x[split == 2]
    booster = lgb.Booster(model_file=a.model)
    out = {"lightgbm": lgb.__version__, "trees": booster.num_trees(), "onnxPath": export_onnx(booster, x.shape[1], a.onnx_out)}
    rows = np.ascontiguousarray(np.resize(xte, (a.predict_rows, x.shape[1])))
    booster.predict(rows, num_threads=1).astype(np.float64).tofile(a.proba_out)
    out["probaPath"] = a.proba_out
    out.update(time_predict(booster, xte, a.predict_rows, a.predict_repeats))
    print(json.dumps(out))


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(p):
    x = [p[f"x{i}"] for i in range(6)]
    s = 0.0
    for i in range(4):
        s += H6_ALPHA[i] * math.exp(-sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6)))
    return -s


def suggest(trial, space):
    out = {}
    for name, d in space.items():
        if d["type"] == "float":
            out[name] = trial.suggest_float(name, d["low"], d["high"], log=d.get("log", False), step=d.get("step"))
        elif d["type"] == "int":
            out[name] = trial.suggest_int(name, d["low"], d["high"], log=d.get("log", False), step=d.get("step", 1))
        else:
            out[name] = trial.suggest_categorical(name, d["choices"])
    return out


def make_sampler(kind, seed):
    import optuna

    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)  # Optuna's defaults otherwise
    return optuna.samplers.RandomSampler(seed=seed)


def cmd_tpe(a):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fn = {"branin": branin, "hartmann6": hartmann6}[a.function]
    space = json.loads(a.space)
    checkpoints = [int(c) for c in a.checkpoints.split(",")]
    results = []
    t0 = time.perf_counter()
    for seed in range(a.seeds):
        study = optuna.create_study(direction="minimize", sampler=make_sampler(a.sampler, seed))
        best, at = math.inf, {}
        for n in range(1, max(checkpoints) + 1):
            trial = study.ask()
            v = fn(suggest(trial, space))
            study.tell(trial, v)
            best = min(best, v)
            if n in checkpoints:
                at[str(n)] = best
        results.append(at)
    print(json.dumps({"optuna": optuna.__version__, "bestBySeed": results, "seconds": time.perf_counter() - t0}))


def cmd_ask_tell(a):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = json.loads(a.space)
    study = optuna.create_study(direction="minimize", sampler=make_sampler(a.sampler, a.seed))
    for _ in range(a.trials):
        trial = study.ask()
        params = suggest(trial, space)
        sys.stdout.write(json.dumps({"params": params}) + "\n")
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("ask-tell: stdin closed before the value of trial %d" % trial.number)
        study.tell(trial, float(json.loads(line)))
    sys.stdout.write(json.dumps({"done": True, "best": study.best_value}) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gbdt")
    g.add_argument("--data", required=True)
    g.add_argument("--target", required=True)
    g.add_argument("--objective", choices=["binary", "multiclass"], required=True)
    g.add_argument("--num-class", type=int, default=2)
    g.add_argument("--params", required=True, help="JSON in the TypeScript engine's names")
    g.add_argument("--threads", type=int, default=2)
    g.add_argument("--repeats", type=int, default=1)
    g.add_argument("--model-out")
    g.add_argument("--onnx-out")
    g.add_argument("--proba-out")
    g.add_argument("--predict-rows", type=int, default=0)
    g.add_argument("--predict-repeats", type=int, default=5)
    li = sub.add_parser("lgb-infer")
    li.add_argument("--model", required=True)
    li.add_argument("--data", required=True)
    li.add_argument("--target", required=True)
    li.add_argument("--onnx-out", required=True)
    li.add_argument("--proba-out", required=True)
    li.add_argument("--predict-rows", type=int, default=20000)
    li.add_argument("--predict-repeats", type=int, default=5)
    t = sub.add_parser("tpe")
    t.add_argument("--function", choices=["branin", "hartmann6"], required=True)
    t.add_argument("--space", required=True)
    t.add_argument("--sampler", choices=["tpe", "random"], default="tpe")
    t.add_argument("--seeds", type=int, default=20)
    t.add_argument("--checkpoints", default="50,100")
    s = sub.add_parser("ask-tell")
    s.add_argument("--space", required=True)
    s.add_argument("--sampler", choices=["tpe", "random"], default="tpe")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--trials", type=int, required=True)
    a = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(getattr(a, "threads", 1)))
    {"gbdt": cmd_gbdt, "lgb-infer": cmd_lgb_infer, "tpe": cmd_tpe, "ask-tell": cmd_ask_tell}[a.cmd](a)


if __name__ == "__main__":
    main()
