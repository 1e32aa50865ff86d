#!/usr/bin/env python3
"""Writes Tests/Fixtures/schedulers/samplers.json: the DDPM-family samplers against diffusers.

Regenerate with (from the repository root):

    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/sampler_fixtures.py --out Tests/Fixtures)

Only samplers.json is written here; randn.json, schedules.json and loops.json belong to
schedulers_fixtures.py and are left untouched.

samplers.json holds
  schedules    whole timestep / sigma arrays (and init_noise_sigma) of DDIMScheduler, DDPMScheduler,
               DPMSolverMultistepScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler,
               CogVideoXDDIMScheduler, CogVideoXDPMScheduler and UniPCMultistepScheduler (VP mode:
               epsilon / v / sample, predict_x0 true and false) for several configs and step counts.
  alphas       alphas_cumprod of a few beta schedules (float32 as torch keeps it; the CogVideoX
               schedulers keep float64, stored as float64).
  loops        full denoising loops with a deterministic fake model
               v = tanh(0.5*x + 0.1*t/1000) (float32) applied to scale_model_input(x): every step's
               sample, scaled model input, model output and predicted x0 (pred_original_sample, or
               DPM-Solver's / UniPC's convert_model_output in data-prediction mode). The initial noise and every stochastic draw
               (DDPM, Euler ancestral, CogVideoX-DPM) come from one torch.Generator("cpu") seeded
               with `seed`, as the pipelines pass their generator to `step`.
  conversions  `Target.from_config(source.config, **overrides)` as a user swaps samplers, with
               the resulting schedule.

Float arrays are base64 of little-endian float32 (or float64 where named *_f64).
"""
import base64
import json
import os
import sys

import numpy as np
import torch
import diffusers
from diffusers import (CogVideoXDDIMScheduler, CogVideoXDPMScheduler, DDIMScheduler, DDPMScheduler,
                       DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler)

FORMAT_VERSION = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "schedulers")
COMMAND = "tools/reference/generate_all.sh"
CLASSES = {c.__name__: c for c in (CogVideoXDDIMScheduler, CogVideoXDPMScheduler, DDIMScheduler, DDPMScheduler,
                                   DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                                   EulerDiscreteScheduler, FlowMatchEulerDiscreteScheduler,
                                   UniPCMultistepScheduler)}


def b64(t, dtype="<f4"):
    a = np.ascontiguousarray(np.asarray(t, dtype=np.float64 if dtype == "<f8" else np.float32).reshape(-1))
    return base64.b64encode(a.astype(dtype).tobytes()).decode("ascii")


def meta():
    return {"format_version": FORMAT_VERSION, "generator": "tools/reference/sampler_fixtures.py",
            "command": COMMAND, "torch": torch.__version__, "diffusers": diffusers.__version__,
            "numpy": np.__version__, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}


# Configs as they appear in scheduler_config.json files (keys a class does not know are ignored).
MODELSCOPE_DDIM = dict(_class_name="DDIMScheduler", beta_start=0.00085, beta_end=0.012,
                       beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False,
                       steps_offset=1, prediction_type="epsilon", num_train_timesteps=1000)
SD_DDPM = dict(_class_name="DDPMScheduler", beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
               clip_sample=False, steps_offset=1, variance_type="fixed_small", num_train_timesteps=1000)
COGVIDEOX_2B = dict(_class_name="CogVideoXDDIMScheduler", beta_start=0.00085, beta_end=0.012,
                    beta_schedule="scaled_linear", clip_sample=False, num_train_timesteps=1000,
                    prediction_type="v_prediction", rescale_betas_zero_snr=True, set_alpha_to_one=True,
                    snr_shift_scale=3.0, steps_offset=0, timestep_spacing="trailing")
COGVIDEOX_5B = dict(COGVIDEOX_2B, _class_name="CogVideoXDPMScheduler", snr_shift_scale=1.0)
WAN_UNIPC = dict(_class_name="UniPCMultistepScheduler", beta_end=0.02, beta_schedule="linear", beta_start=0.0001,
                 disable_corrector=[], final_sigmas_type="zero", flow_shift=3.0, lower_order_final=True,
                 num_train_timesteps=1000, predict_x0=True, prediction_type="flow_prediction",
                 solver_order=2, solver_p=None, solver_type="bh2", steps_offset=0, timestep_spacing="linspace",
                 use_flow_sigmas=True)


def loop_configs():
    """(config, steps, seed) for the full loops."""
    ddim = [
        (MODELSCOPE_DDIM, 10), (MODELSCOPE_DDIM, 4),
        (dict(_class_name="DDIMScheduler", prediction_type="v_prediction", rescale_betas_zero_snr=True,
              timestep_spacing="trailing", beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
              clip_sample=False), 10),
        (dict(_class_name="DDIMScheduler"), 7),  # defaults: linear, clip_sample True, set_alpha_to_one True
        (dict(_class_name="DDIMScheduler", beta_schedule="squaredcos_cap_v2", timestep_spacing="linspace",
              prediction_type="sample", clip_sample_range=0.8), 5),
    ]
    ddpm = [
        (dict(_class_name="DDPMScheduler"), 10),
        (dict(SD_DDPM, prediction_type="v_prediction", timestep_spacing="trailing",
              variance_type="fixed_small_log"), 6),
        (dict(SD_DDPM, variance_type="fixed_large", timestep_spacing="linspace"), 5),
    ]
    dpm = [
        (dict(MODELSCOPE_DDIM, _class_name="DPMSolverMultistepScheduler"), 10),
        (dict(MODELSCOPE_DDIM, _class_name="DPMSolverMultistepScheduler"), 20),
        (dict(MODELSCOPE_DDIM, _class_name="DPMSolverMultistepScheduler", use_karras_sigmas=True), 10),
        (dict(_class_name="DPMSolverMultistepScheduler", prediction_type="v_prediction",
              final_sigmas_type="sigma_min", timestep_spacing="trailing"), 8),
        (dict(_class_name="DPMSolverMultistepScheduler", solver_order=3, beta_schedule="scaled_linear",
              beta_start=0.00085, beta_end=0.012), 10),
        (dict(_class_name="DPMSolverMultistepScheduler", solver_order=1, timestep_spacing="leading",
              steps_offset=1), 6),
        (dict(_class_name="DPMSolverMultistepScheduler", euler_at_final=True, final_sigmas_type="sigma_min",
              lower_order_final=False, use_karras_sigmas=True), 16),
        (dict(WAN_UNIPC, _class_name="DPMSolverMultistepScheduler", solver_type="midpoint",
              algorithm_type="dpmsolver++"), 10),
        (dict(WAN_UNIPC, _class_name="DPMSolverMultistepScheduler", flow_shift=5.0, solver_order=3), 7),
    ]
    euler = [
        (dict(MODELSCOPE_DDIM, _class_name="EulerDiscreteScheduler"), 10),
        (dict(_class_name="EulerDiscreteScheduler", prediction_type="v_prediction", timestep_spacing="leading",
              steps_offset=1, beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012), 10),
        (dict(_class_name="EulerDiscreteScheduler", use_karras_sigmas=True, beta_schedule="scaled_linear",
              beta_start=0.00085, beta_end=0.012), 10),
        (dict(_class_name="EulerDiscreteScheduler", timestep_spacing="trailing", final_sigmas_type="sigma_min",
              rescale_betas_zero_snr=True, prediction_type="v_prediction"), 7),
    ]
    euler_a = [
        (dict(MODELSCOPE_DDIM, _class_name="EulerAncestralDiscreteScheduler"), 10),
        (dict(_class_name="EulerAncestralDiscreteScheduler", prediction_type="v_prediction",
              timestep_spacing="trailing"), 6),
        (dict(_class_name="EulerAncestralDiscreteScheduler", prediction_type="v_prediction",
              rescale_betas_zero_snr=True, timestep_spacing="leading", beta_schedule="squaredcos_cap_v2"), 5),
    ]
    cog = [
        (COGVIDEOX_2B, 10), (COGVIDEOX_2B, 4),
        (dict(COGVIDEOX_2B, prediction_type="epsilon", rescale_betas_zero_snr=False, timestep_spacing="leading",
              steps_offset=1), 5),
        (COGVIDEOX_5B, 10), (COGVIDEOX_5B, 4),
        (dict(COGVIDEOX_5B, snr_shift_scale=3.0, timestep_spacing="linspace", set_alpha_to_one=False), 6),
    ]
    # UniPC in VP mode (the flow mode's loops are in schedulers_fixtures.py). Appended last so the
    # seeds of the cases above stay as they were.
    unipc = [
        (dict(MODELSCOPE_DDIM, _class_name="UniPCMultistepScheduler"), 10),
        (dict(MODELSCOPE_DDIM, _class_name="UniPCMultistepScheduler"), 25),
        (dict(MODELSCOPE_DDIM, _class_name="UniPCMultistepScheduler", use_karras_sigmas=True), 10),
        (dict(_class_name="UniPCMultistepScheduler", prediction_type="v_prediction", rescale_betas_zero_snr=True,
              timestep_spacing="trailing", beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012), 10),
        (dict(_class_name="UniPCMultistepScheduler", solver_order=3, solver_type="bh1", timestep_spacing="leading",
              steps_offset=1, final_sigmas_type="sigma_min"), 8),
        (dict(_class_name="UniPCMultistepScheduler", solver_order=1, prediction_type="v_prediction",
              beta_schedule="squaredcos_cap_v2"), 6),
        (dict(_class_name="UniPCMultistepScheduler", prediction_type="sample", disable_corrector=[0, 2],
              lower_order_final=False, final_sigmas_type="sigma_min", solver_order=3), 12),
        (dict(MODELSCOPE_DDIM, _class_name="UniPCMultistepScheduler", predict_x0=False,
              final_sigmas_type="sigma_min"), 10),
        (dict(_class_name="UniPCMultistepScheduler", predict_x0=False, prediction_type="v_prediction",
              final_sigmas_type="sigma_min", solver_order=3, solver_type="bh1", timestep_spacing="trailing"), 7),
        (dict(_class_name="UniPCMultistepScheduler", predict_x0=False, prediction_type="sample",
              final_sigmas_type="sigma_min", use_karras_sigmas=True, sigma_min=0.05, sigma_max=12.0), 9),
        (dict(_class_name="UniPCMultistepScheduler", use_karras_sigmas=True, final_sigmas_type="sigma_min",
              solver_type="bh1", beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012), 16),
    ]
    out = []
    for i, (cfg, n) in enumerate(ddim + ddpm + dpm + euler + euler_a + cog + unipc):
        out.append((cfg, n, 1000 + i))
    return out


def make(cfg, **overrides):
    cfg = dict(cfg)
    cls = CLASSES[cfg.pop("_class_name")]
    return cls.from_config(cfg, **overrides)


def schedule_entry(cfg, n, s=None):
    s = s or make(cfg)
    s.set_timesteps(n)
    ts = s.timesteps
    entry = {"config": cfg, "steps": n, "timestep_dtype": str(ts.dtype).replace("torch.", ""),
             "init_noise_sigma": float(getattr(s, "init_noise_sigma", 1.0))}
    if ts.dtype == torch.int64:
        entry["timesteps_int"] = [int(v) for v in ts]
    else:
        entry["timesteps"] = b64(ts.float())
    if hasattr(s, "sigmas") and isinstance(s.sigmas, torch.Tensor) and s.sigmas.numel() == len(ts) + 1:
        entry["sigmas"] = b64(s.sigmas.float())
    return entry


def schedules():
    seen, cases = set(), []
    for cfg, n, _ in loop_configs():
        for steps in sorted({1, 2, 3, 10, 25, 50, n}):
            key = json.dumps(cfg, sort_keys=True) + str(steps)
            if key in seen:
                continue
            seen.add(key)
            cases.append(schedule_entry(cfg, steps))
    return cases


def alphas():
    out = []
    for cfg in (dict(_class_name="DDIMScheduler"), MODELSCOPE_DDIM,
                dict(_class_name="DDIMScheduler", beta_schedule="squaredcos_cap_v2"),
                dict(MODELSCOPE_DDIM, rescale_betas_zero_snr=True),
                COGVIDEOX_2B, COGVIDEOX_5B):
        s = make(cfg)
        ac = s.alphas_cumprod
        key = "alphas_cumprod_f64" if ac.dtype == torch.float64 else "alphas_cumprod"
        out.append({"config": cfg, key: b64(ac, "<f8" if ac.dtype == torch.float64 else "<f4")})
    return out


LOOP_SHAPE = [1, 2, 2, 3, 4]  # 48 values: three whole blocks of torch's 16-wide normal kernel


def fake_model(x, t):
    tf = torch.tensor(float(t), dtype=torch.float32)
    return torch.tanh(0.5 * x + 0.1 * tf / 1000)


def run_loop(cfg, n, seed):
    s = make(cfg)
    s.set_timesteps(n)
    name = type(s).__name__
    if hasattr(s, "set_begin_index"):
        s.set_begin_index(0)
    g = torch.Generator("cpu").manual_seed(seed)
    x = torch.randn(LOOP_SHAPE, generator=g, dtype=torch.float32) * s.init_noise_sigma
    samples, inputs, outputs, x0s = [x.clone()], [], [], []
    old_x0 = None
    ts = s.timesteps
    for i, t in enumerate(ts):
        xin = s.scale_model_input(x, t)
        v = fake_model(xin, t)
        inputs.append(xin.clone())
        outputs.append(v.clone())
        if name == "DPMSolverMultistepScheduler":
            if s.step_index is None:
                s._init_step_index(t)
            x0s.append(s.convert_model_output(v, sample=x).clone())
            x = s.step(v, t, x, generator=g, return_dict=False)[0]
        elif name == "UniPCMultistepScheduler":
            # UniPC's step returns no x0; its convert_model_output in data-prediction mode gives it
            # (with predict_x0 false the solver itself works on the noise prediction).
            if s.step_index is None:
                s._init_step_index(t)
            keep, s.predict_x0 = s.predict_x0, True
            x0s.append(s.convert_model_output(v, sample=x).clone())
            s.predict_x0 = keep
            x = s.step(v, t, x, return_dict=False)[0]
        elif name == "CogVideoXDPMScheduler":
            x, old_x0 = s.step(v, old_x0, t, ts[i - 1] if i > 0 else None, x, generator=g, return_dict=False)
            x0s.append(old_x0.clone())
        else:
            out = s.step(v, t, x, generator=g, return_dict=False)
            x = out[0]
            x0s.append(out[1].clone())
        samples.append(x.clone())
    return {"config": cfg, "steps": n, "seed": seed, "shape": LOOP_SHAPE, "timestep_count": len(ts),
            "samples": b64(torch.stack(samples)), "model_inputs": b64(torch.stack(inputs)),
            "model_outputs": b64(torch.stack(outputs)), "pred_original": b64(torch.stack(x0s))}


def conversions():
    """Target.from_config(source) as diffusers does it; flow shift carried as Zoetrope does."""
    cases = [
        (WAN_UNIPC, "DPMSolverMultistepScheduler", {}),
        (MODELSCOPE_DDIM, "DPMSolverMultistepScheduler", {}),
        (MODELSCOPE_DDIM, "EulerDiscreteScheduler", {}),
        (MODELSCOPE_DDIM, "EulerAncestralDiscreteScheduler", {}),
        (MODELSCOPE_DDIM, "DDPMScheduler", {}),
        (SD_DDPM, "DDIMScheduler", {}),
        (SD_DDPM, "DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
        (COGVIDEOX_2B, "CogVideoXDPMScheduler", {}),
        (COGVIDEOX_5B, "CogVideoXDDIMScheduler", {}),
        (COGVIDEOX_2B, "DDIMScheduler", {}),
        # diffusers' FlowMatch has `shift` where UniPC / DPM have `flow_shift`; Zoetrope carries the
        # shift across, so the reference passes it (and flow mode) explicitly.
        (dict(_class_name="FlowMatchEulerDiscreteScheduler", shift=7.0), "UniPCMultistepScheduler",
         {"flow_shift": 7.0, "use_flow_sigmas": True, "prediction_type": "flow_prediction"}),
        (dict(_class_name="FlowMatchEulerDiscreteScheduler", shift=5.0), "DPMSolverMultistepScheduler",
         {"flow_shift": 5.0, "use_flow_sigmas": True, "prediction_type": "flow_prediction"}),
        (WAN_UNIPC, "FlowMatchEulerDiscreteScheduler", {"shift": 3.0}),
        # UniPC on the epsilon / v models, as `UniPCMultistepScheduler.from_config(pipe.scheduler.config)`.
        (MODELSCOPE_DDIM, "UniPCMultistepScheduler", {}),
        (SD_DDPM, "UniPCMultistepScheduler", {"use_karras_sigmas": True}),
        (dict(MODELSCOPE_DDIM, prediction_type="v_prediction", timestep_spacing="trailing"),
         "UniPCMultistepScheduler", {"solver_order": 3}),
        (dict(MODELSCOPE_DDIM, _class_name="UniPCMultistepScheduler"), "DPMSolverMultistepScheduler", {}),
    ]
    out = []
    for source, target, overrides in cases:
        src = make(source)
        converted = CLASSES[target].from_config(src.config, **overrides)
        cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(converted.config).items()
               if not k.startswith("_")}
        entry = schedule_entry(dict(cfg, _class_name=target), 10, converted)
        entry.pop("config")
        out.append({"source": source, "target": target, "overrides": overrides, "config": cfg, **entry})
    return out


def finite(obj):
    """±inf as the strings "Infinity" / "-Infinity" (strict JSON has no infinities)."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return "Infinity" if obj > 0 else ("-Infinity" if obj < 0 else "NaN")
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(finite(obj), f, separators=(",", ":"), sort_keys=True, allow_nan=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    if "--out" in sys.argv:
        OUT = os.path.join(sys.argv[sys.argv.index("--out") + 1], "schedulers")
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    import diffusers.utils.logging as diffusers_logging
    diffusers_logging.set_verbosity_error()
    write("samplers.json", {"meta": meta(), "schedules": schedules(), "alphas": alphas(),
                            "loops": [run_loop(c, n, seed) for c, n, seed in loop_configs()],
                            "conversions": conversions()})
