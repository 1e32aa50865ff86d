#!/usr/bin/env python3
"""Writes the Schedulers test fixtures (JSON) under Tests/Fixtures/schedulers/.

Regenerate with (from the repository root):

    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/schedulers_fixtures.py --out Tests/Fixtures)

Three files:
  randn.json     torch.randn / torch.rand outputs from seeded CPU generators, for both torch
                 normal kernels: "vectorized" (x86 AVX2/AVX-512 builds) and "scalar" (torch's
                 DEFAULT capability, e.g. Apple Silicon), the latter produced in a child process
                 with ATEN_CPU_CAPABILITY=default.
  schedules.json full timesteps/sigmas arrays of FlowMatchEulerDiscreteScheduler and
                 UniPCMultistepScheduler (flow mode) for several configs and step counts.
  loops.json     full denoising loops: a fixed initial sample [1,4,3,4,4] and a deterministic
                 fake model  v = tanh(0.5*x + 0.1*t/1000)  (float32), every step's sample and
                 model output saved.

Float arrays are stored as base64 of little-endian float32 bytes (bit-exact and small).
"""
import base64
import json
import os
import subprocess
import sys

import numpy as np
import torch
import diffusers
from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler
from diffusers.utils.torch_utils import randn_tensor

FORMAT_VERSION = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "schedulers")
COMMAND = "tools/reference/generate_all.sh"


def b64(t):
    a = np.ascontiguousarray(np.asarray(t, dtype=np.float32).reshape(-1))
    return base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")


def meta():
    return {
        "format_version": FORMAT_VERSION,
        "generator": "tools/reference/schedulers_fixtures.py",
        "command": COMMAND,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "numpy": np.__version__,
    }


# ---------------------------------------------------------------- randn

SEEDS = [0, 42, 2**32 + 5, 2**63 + 12345]
SIZES = [1, 3, 15, 16, 17, 100, 1000]
LATENT_SHAPE = [1, 16, 5, 8, 8]


def randn_cases():
    """Cases computed in this process (whatever capability torch picked)."""
    cases = []
    for seed in SEEDS:
        for n in SIZES:
            if n == 1000 and seed not in (0, 42):
                continue  # keeps the fixture small; 1000 is covered by two seeds
            g = torch.Generator("cpu").manual_seed(seed)
            x = torch.randn(n, generator=g, dtype=torch.float32)
            cases.append({"kind": "randn", "seed": str(seed), "shapes": [[n]], "values": b64(x)})
    # diffusers' randn_tensor on a latent-like shape (single generator == torch.randn).
    for seed in [2**63 + 12345]:
        g = torch.Generator("cpu").manual_seed(seed)
        x = randn_tensor(tuple(LATENT_SHAPE), generator=g, device=torch.device("cpu"), dtype=torch.float32)
        g2 = torch.Generator("cpu").manual_seed(seed)
        assert torch.equal(x, torch.randn(LATENT_SHAPE, generator=g2, dtype=torch.float32))
        cases.append({"kind": "randn", "seed": str(seed), "shapes": [LATENT_SHAPE], "values": b64(x)})
    # Consecutive draws from one generator (the scalar path caches the second Box-Muller value
    # in the generator, so a small draw followed by another one is the interesting case).
    for shapes in ([[3], [5]], [[17], [3], [1]], [[1], [40], [2]], [[100], [100]]):
        g = torch.Generator("cpu").manual_seed(7)
        xs = [torch.randn(s, generator=g, dtype=torch.float32).reshape(-1) for s in shapes]
        cases.append({"kind": "randn", "seed": "7", "shapes": shapes, "values": b64(torch.cat(xs))})
    # torch.rand (uniform [0, 1)), then randn from the same generator.
    g = torch.Generator("cpu").manual_seed(3)
    xs = [torch.rand(20, generator=g, dtype=torch.float32), torch.randn(20, generator=g, dtype=torch.float32)]
    cases.append({"kind": "rand_then_randn", "seed": "3", "shapes": [[20], [20]], "values": b64(torch.cat(xs))})
    return cases


def randn_fixture():
    cap = torch.backends.cpu.get_cpu_capability()
    if cap not in ("AVX2", "AVX512"):
        sys.exit(f"this script must run on an x86 AVX2/AVX-512 machine (torch reports {cap})")
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--scalar-child"],
                           env=env, check=True, capture_output=True, text=True)
    return {
        "meta": meta(),
        "kernels": {
            "vectorized": {"torch_cpu_capability": cap, "cases": randn_cases()},
            "scalar": json.loads(child.stdout),
        },
    }


# ------------------------------------------------------------ schedules

UNIPC_FLOW = dict(prediction_type="flow_prediction", use_flow_sigmas=True, solver_order=2,
                  solver_type="bh2", predict_x0=True, lower_order_final=True,
                  final_sigmas_type="zero", disable_corrector=[], num_train_timesteps=1000)


def schedule_configs():
    out = []
    for shift in (3.0, 5.0):
        for n in ((1, 2, 3, 10, 20, 50) if shift == 3.0 else (10,)):
            out.append(("UniPCMultistepScheduler", dict(UNIPC_FLOW, flow_shift=shift), n, None))
    out.append(("UniPCMultistepScheduler", dict(UNIPC_FLOW, flow_shift=3.0, solver_order=3), 10, None))
    for shift in (1.0, 3.0, 7.0):
        for n in (1, 2, 10, 20):
            out.append(("FlowMatchEulerDiscreteScheduler", dict(shift=shift), n, None))
    out.append(("FlowMatchEulerDiscreteScheduler", dict(shift=3.0, use_dynamic_shifting=True), 10, 1.0))
    out.append(("FlowMatchEulerDiscreteScheduler",
                dict(shift=1.0, use_dynamic_shifting=True, time_shift_type="linear"), 10, 0.8))
    out.append(("FlowMatchEulerDiscreteScheduler", dict(shift=3.0, invert_sigmas=True), 10, None))
    out.append(("FlowMatchEulerDiscreteScheduler", dict(shift=3.0, shift_terminal=0.1), 10, None))
    return out


def make(cls_name, cfg):
    cls = {"UniPCMultistepScheduler": UniPCMultistepScheduler,
           "FlowMatchEulerDiscreteScheduler": FlowMatchEulerDiscreteScheduler}[cls_name]
    return cls(**cfg)


def schedules_fixture():
    cases = []
    for cls_name, cfg, n, mu in schedule_configs():
        s = make(cls_name, cfg)
        if mu is None:
            s.set_timesteps(n)
        else:
            s.set_timesteps(n, mu=mu)
        ts = s.timesteps
        entry = {"config": dict(cfg, _class_name=cls_name), "steps": n, "mu": mu,
                 "timestep_dtype": str(ts.dtype).replace("torch.", ""),
                 "sigmas": b64(s.sigmas.float())}
        if ts.dtype == torch.int64:
            entry["timesteps_int"] = [int(v) for v in ts]
        else:
            entry["timesteps"] = b64(ts.float())
        cases.append(entry)
    return {"meta": meta(), "cases": cases}


# ---------------------------------------------------------------- loops

LOOP_SHAPE = [1, 4, 3, 4, 4]


def fake_model(x, t):
    """v = tanh(0.5*x + 0.1*t/1000), all in float32 (t is the timestep value as float32)."""
    tf = torch.tensor(float(t), dtype=torch.float32)
    return torch.tanh(0.5 * x + 0.1 * tf / 1000)


def run_loop(cls_name, cfg, n, mu, guidance=None):
    s = make(cls_name, cfg)
    if mu is None:
        s.set_timesteps(n)
    else:
        s.set_timesteps(n, mu=mu)
    s.set_begin_index(0)  # as WanPipeline does
    g = torch.Generator("cpu").manual_seed(1234)
    x = torch.randn(LOOP_SHAPE, generator=g, dtype=torch.float32)
    samples, outputs = [x.clone()], []
    for t in s.timesteps:
        v = fake_model(x, t)
        if guidance is not None:
            # A second, "unconditional" fake output, combined as WanPipeline does.
            u = fake_model(x * 0.5, t)
            v = u + guidance * (v - u)
        outputs.append(v.clone())
        x = s.step(v, t, x, return_dict=False)[0]
        samples.append(x.clone())
    return {"config": dict(cfg, _class_name=cls_name), "steps": n, "mu": mu, "guidance": guidance,
            "shape": LOOP_SHAPE, "samples": b64(torch.stack(samples)),
            "model_outputs": b64(torch.stack(outputs))}


def loops_fixture():
    loops = [
        run_loop("UniPCMultistepScheduler", dict(UNIPC_FLOW, flow_shift=3.0), 10, None),
        run_loop("UniPCMultistepScheduler", dict(UNIPC_FLOW, flow_shift=5.0, solver_order=3,
                                                 disable_corrector=[2]), 10, None),
        run_loop("FlowMatchEulerDiscreteScheduler", dict(shift=3.0), 10, None, guidance=5.0),
        run_loop("FlowMatchEulerDiscreteScheduler", dict(shift=1.0, use_dynamic_shifting=True), 10, 1.0),
    ]
    return {"meta": meta(), "loops": loops}


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    if "--scalar-child" in sys.argv:
        json.dump({"torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
                   "cases": randn_cases()}, sys.stdout)
        sys.exit(0)
    if "--out" in sys.argv:
        OUT = os.path.join(sys.argv[sys.argv.index("--out") + 1], "schedulers")
    os.makedirs(OUT, exist_ok=True)
    write("randn.json", randn_fixture())
    write("schedules.json", schedules_fixture())
    write("loops.json", loops_fixture())
