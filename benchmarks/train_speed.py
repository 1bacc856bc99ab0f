"""Training speed against the machine's limit: FLOPs per step, steps/s, % of peak.

For every shipped zoo entry (pretrained weights) that trains with its variant's
`train_step`, at its own batch size, and DCGAN (the dcgan-digits entry) at batches 16,
64 and 256: the floating-point operations of one training step, counted
analytically (`ganzoo.nets.flops`: each network's forward FLOPs times its
forward-equivalents per step, a backward pass counted as 2 forward passes), the
measured steps per second of `fit` on the entry's own input pipeline, and the
achieved FLOP/s as a share of this machine's peak, measured in the same run: the
better of a 2048x2048 float32 matmul and a 3x3 convolution (batch 64, 64x64x128 ->
128 channels), each in a `tf.function`. The networks are built, compiled (optimizers,
`steps_per_execution`) and fed as `ganzoo.training.train` does, without its callbacks
(checkpoints, sample grids, TensorBoard), whose cost comes on top.

Each row: a warm-up `fit` (traces the step), a probe that sizes the timed fits to
about `--seconds` each (or `--steps` steps), then `--repeats` timed fits; medians and
ranges. Then one more fit under `tf.profiler.experimental` trace: from the host
trace (`.xplane.pb`) the time when some op of the networks runs (their forward and
backward ops, by name scope), against the wall time of the steps (Keras'
`multi_step_on_iterator` calls): the rest is "outside the networks", split into
optimizer updates, input pipeline (`IteratorGetNext`), other ops (losses, noise,
gradient sums, metrics) and no op running at all (Python, dispatch, waiting). The
profiler's own overhead lands in that share too.

The analytic count is checked against TensorFlow's profiler on each row's traced
training step and on the DCGAN generator's forward pass. A ProGAN is measured at its
final stage (fully grown), the stage its schedule ends in. Entries the analytic count
cannot cover (a training step `forward_equivalents` does not know) and entries not
trained by `fit` (anomaly detectors, distilled generators) are listed with the reason
instead of a row.

    python benchmarks/train_speed.py [--entries dcgan-digits,wgangp-digits] [--repeats 5]
        [--steps N | --seconds 3] [--sweep 16,64,256] [--dry-run]
"""

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

from ganzoo import zoo  # noqa: E402
from ganzoo.gans.optimizers import make_optimizers  # noqa: E402
from ganzoo.nets import flops  # noqa: E402
from ganzoo.training.trainer import steps_per_call  # noqa: E402
from report import machine, markdown_table, publish  # noqa: E402

SWEEP_ENTRY = "dcgan-digits"
REFERENCE = ("Issue 16's reference point: measured from outside, the DCGAN entry's step "
             "ran at about 22-30% of the peak, counting 4 generator and 9 discriminator "
             "forward-equivalents per sample.")
MATMUL_SIZE = 2048
CONV_SHAPE, CONV_FILTERS, CONV_KERNEL = (64, 64, 64, 128), 128, 3
# Trace categories, in priority order: a moment when ops of several categories run
# counts for the first.
CATEGORIES = ("networks", "optimizer", "input pipeline", "other ops")
TRACE_SECONDS = 2.0  # length of the traced fit
_OP_EVENT = re.compile(r"^[\w./\-]+:\w+$")  # "scope/op_name:OpType", as the executor logs ops


# ------------------------------------------------------------------------- peak

def _best_rate(function, flop_count, samples):
    function()  # trace and warm up
    rates = []
    for _ in range(samples):
        start = time.perf_counter()
        function()  # eager calls return once the op has run
        rates.append(flop_count / (time.perf_counter() - start))
    return rates


def measure_peak(repeats):
    """GFLOP/s samples of a large float32 matmul and convolution, and the peak."""
    a = tf.Variable(tf.random.normal((MATMUL_SIZE, MATMUL_SIZE)))
    b = tf.Variable(tf.random.normal((MATMUL_SIZE, MATMUL_SIZE)))
    images = tf.Variable(tf.random.normal(CONV_SHAPE))
    kernel = tf.Variable(tf.random.normal((CONV_KERNEL, CONV_KERNEL, CONV_SHAPE[-1],
                                           CONV_FILTERS)) * 0.01)
    matmul = tf.function(lambda: tf.matmul(a, b))
    conv = tf.function(lambda: tf.nn.conv2d(images, kernel, 1, "SAME"))
    matmul_flops = 2 * MATMUL_SIZE ** 3
    conv_flops = 2 * math.prod(CONV_SHAPE[:-1]) * CONV_FILTERS * CONV_KERNEL ** 2 * CONV_SHAPE[-1]
    result = {"matmul": [r / 1e9 for r in _best_rate(matmul, matmul_flops, 3 * repeats)],
              "conv": [r / 1e9 for r in _best_rate(conv, conv_flops, repeats)]}
    result["peak_gflops"] = max(max(result["matmul"]), max(result["conv"]))
    result["peak_from"] = "conv" if max(result["conv"]) >= max(result["matmul"]) else "matmul"
    return result


# ---------------------------------------------------------------------- a row

def build(entry, batch_size, seed, steps_per_execution=None, jit_compile="auto"):
    """The entry's GAN compiled as `ganzoo.training.train` compiles it, and its data,
    at `batch_size` (None: the entry's); `steps_per_execution` and `jit_compile`
    override the entry's (Keras' "auto" uses XLA on GPUs only)."""
    config = zoo.get_entry(entry)
    if batch_size is not None:
        config["data"]["batch_size"] = batch_size
    training = config["training"]
    dataset = zoo.load_dataset(config, seed)
    steps_per_epoch = int(dataset.cardinality())
    gan = zoo.build_gan(config, seed=seed)
    if hasattr(gan, "growth"):  # ProGAN: at the final stage, where its schedule ends
        gan.growth.images_seen.assign(gan.growth.total_images)
    g_optimizer, d_optimizer = make_optimizers(
        gan, training.get("learning_rate"), training.get("lr_schedule", "constant"),
        generator_steps=training["epochs"] * steps_per_epoch,
        hold_steps=training.get("lr_hold_epochs", 0) * steps_per_epoch)
    per_call = steps_per_call(steps_per_execution or training.get("steps_per_execution", 1),
                              steps_per_epoch)
    gan.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, steps_per_execution=per_call,
                jit_compile=jit_compile)
    return config, gan, dataset.repeat(), per_call


def timed_fit(gan, dataset, steps):
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    return time.perf_counter() - start


def whole_calls(steps, per_call):
    return max(per_call, per_call * math.ceil(steps / per_call))


def network_names(gan):
    return [getattr(gan, name).name for name in flops.forward_equivalents(gan)]


def optimizer_names(gan):
    return [gan.g_optimizer.name, gan.d_optimizer.name]


def default_entries():
    """(shipped entries trained by their variant's `fit`, {left-out entry: reason})."""
    entries, left_out = [], {}
    for name in zoo.list_entries():
        config = zoo.get_entry(name)
        if "pretrained" not in config:
            continue
        if "variant" not in config:
            left_out[name] = f"an anomaly detector ({config['detector']}), not trained by `fit`"
        elif "distill" in config:
            left_out[name] = "trained by distillation, not by its variant's `train_step`"
        else:
            entries.append(name)
    return entries, left_out


def uncounted(entry, args):
    """Why the analytic count cannot cover `entry`'s step, or None."""
    config = zoo.get_entry(entry)
    try:
        flops.train_step_flops(zoo.build_gan(config, seed=args.seed),
                               config["data"]["batch_size"], image_size=image_size(config))
    except (NotImplementedError, flops.UnknownLayerError) as error:
        return f"no analytic FLOP count yet: {error}"
    return None


def image_size(config):
    """The training patches' side of an upscaler (None for other entries)."""
    return config["data"].get("patch_size")


def measure_row(entry, batch_size, args, peak):
    config, gan, dataset, per_call = build(entry, batch_size, args.seed)
    step_flops = flops.train_step_flops(gan, batch_size, image_size=image_size(config))
    timed_fit(gan, dataset, per_call)  # warm-up: traces the step
    probe = whole_calls(8, per_call)
    seconds_per_step = timed_fit(gan, dataset, probe) / probe
    steps = whole_calls(args.steps or args.seconds / seconds_per_step, per_call)
    rates = [steps / timed_fit(gan, dataset, steps) for _ in range(args.repeats)]
    trace_steps = whole_calls(min(steps, max(3, TRACE_SECONDS / seconds_per_step)), per_call)
    shares = trace_shares(gan, dataset, trace_steps)
    # the profiler's own cost: how much slower the traced steps ran
    shares["slowdown"] = shares["window_s"] / trace_steps * statistics.median(rates)
    profiler_step = flops.profiler_train_step_flops(  # traced, not run
        gan, batch_size, image_size=image_size(config))
    percent = [100 * rate * step_flops / (peak * 1e9) for rate in rates]
    return {"entry": entry, "variant": config["variant"], "batch_size": batch_size,
            "zoo_batch": batch_size == zoo.get_entry(entry)["data"]["batch_size"],
            "steps_per_execution": per_call, "flops_per_step": step_flops,
            "forward_equivalents": flops.forward_equivalents(gan),
            "network_forward_flops": {
                name: flops.forward_flops(network, flops.network_batch(gan, name, batch_size),
                                          True)
                for name, network in flops.step_networks(gan, image_size(config)).items()},
            "profiler_step_flops": profiler_step, "timed_steps": steps,
            "steps_per_second": rates, "percent_of_peak": percent,
            "trace_steps": trace_steps, "trace": shares}


# ------------------------------------------------------------------------ trace

def trace_shares(gan, dataset, steps):
    """Shares of the steps' wall time by what runs, from a profiler trace of one fit."""
    with tempfile.TemporaryDirectory(prefix="train_speed_trace_") as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        finally:
            tf.profiler.experimental.stop()
        path = next(Path(logdir).rglob("*.xplane.pb"))
        space = xplane_pb2.XSpace()
        space.ParseFromString(path.read_bytes())
    return shares_of(space, network_names(gan), optimizer_names(gan))


def _scope_pattern(names):
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"(^|/)({alternatives})(_\d+)?/")


def category_of(op_name, networks, optimizers):
    if networks.search(op_name):
        return "networks"
    if optimizers.search(op_name):
        return "optimizer"
    if "IteratorGetNext" in op_name:
        return "input pipeline"
    return "other ops"


def shares_of(space, network_names, optimizer_names):
    """{category: share of the window} from a host XSpace; the window runs from the
    first to the end of the last call of Keras' step function."""
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    networks, optimizers = _scope_pattern(network_names), _scope_pattern(optimizer_names)
    calls, intervals = [], {category: [] for category in CATEGORIES}
    for line in plane.lines:
        origin = line.timestamp_ns * 1000
        for event in line.events:
            name = plane.event_metadata[event.metadata_id].name
            start = origin + event.offset_ps
            interval = (start, start + event.duration_ps)
            if name == "multi_step_on_iterator":
                calls.append(interval)
            elif _OP_EVENT.match(name):
                intervals[category_of(name.split(":")[0], networks, optimizers)].append(interval)
    if not calls:
        raise RuntimeError("The trace holds no multi_step_on_iterator call: Keras' step "
                           "function has another name in this version.")
    window = (min(start for start, _ in calls), max(end for _, end in calls))
    shares, covered, so_far = {}, [], 0
    for category in CATEGORIES:  # each category gets the time not claimed before it
        covered = covered + intervals[category]
        total = _union_length(covered, window)
        shares[category] = (total - so_far) / (window[1] - window[0])
        so_far = total
    shares["no op running"] = 1 - sum(shares.values())
    shares["window_s"] = (window[1] - window[0]) / 1e12
    shares["calls"] = len(calls)
    return shares


def _union_length(intervals, window):
    total, reach = 0, window[0]
    for start, end in sorted(intervals):
        start, end = max(start, reach), min(end, window[1])
        if end > start:
            total += end - start
            reach = end
    return total


# --------------------------------------------------------------- profiler check

def profiler_check(seed):
    """The DCGAN entry's generator forward pass (inference, batch 64): analytic and
    the profiler's count."""
    config = zoo.get_entry(SWEEP_ENTRY)
    gan = zoo.build_gan(config, seed=seed)
    batch = config["data"]["batch_size"]
    return {"model": f"{SWEEP_ENTRY} generator forward, inference, batch {batch}",
            "analytic": flops.forward_flops(gan.generator, batch),
            "profiler": flops.profiler_forward_flops(gan.generator, batch)}


# ------------------------------------------------------------------------ output

def spread(values, digits):
    f = f".{digits}f"
    return f"{statistics.median(values):{f}} ({min(values):{f}}-{max(values):{f}})"


def multipliers(row):
    short = {"generator": "G", "discriminator": "D", "generator_ab": "G_AB",
             "generator_ba": "G_BA", "discriminator_a": "D_A", "discriminator_b": "D_B",
             "feature_model": "features"}
    return ", ".join(f"{short.get(name, name)} {times:g}"
                     for name, times in row["forward_equivalents"].items())


def label(row, sweep):
    name = f"{row['variant']} / {row['entry']}"
    if row["entry"] != SWEEP_ENTRY or row["batch_size"] not in sweep:
        return name
    return f"{name} (sweep{', zoo batch' if row['zoo_batch'] else ''})"


def tables(rows, sweep):
    main = markdown_table(
        ("variant / entry", "batch", "steps per call", "forward-equivalents per step",
         "GFLOPs per step", "steps/s median (range)", "GFLOP/s median",
         "% of peak median (range)", "% outside the networks"),
        [(label(r, sweep), r["batch_size"], r["steps_per_execution"], multipliers(r),
          f"{r['flops_per_step'] / 1e9:.3g}", spread(r["steps_per_second"], 1),
          f"{statistics.median(r['steps_per_second']) * r['flops_per_step'] / 1e9:.1f}",
          spread(r["percent_of_peak"], 1), f"{100 * (1 - r['trace']['networks']):.0f}")
         for r in rows])
    trace = markdown_table(
        ("variant / entry", "batch", "traced steps", "window s",
         "traced step time / untraced", *(f"% {c}" for c in (*CATEGORIES, "no op running"))),
        [(label(r, sweep), r["batch_size"], r["trace_steps"], f"{r['trace']['window_s']:.2f}",
          f"{r['trace']['slowdown']:.2f}",
          *(f"{100 * r['trace'][c]:.1f}" for c in (*CATEGORIES, "no op running")))
         for r in rows])
    check = markdown_table(
        ("variant / entry", "batch", "analytic GFLOPs per step",
         "profiler, traced step graph", "profiler / analytic"),
        [(label(r, sweep), r["batch_size"], f"{r['flops_per_step'] / 1e9:.4g}",
          f"{r['profiler_step_flops'] / 1e9:.4g}",
          f"{r['profiler_step_flops'] / r['flops_per_step']:.3f}") for r in rows])
    return main, trace, check


def reference_note(rows, peak):
    dcgan = next((r for r in rows if r["entry"] == SWEEP_ENTRY
                  and r["batch_size"] == zoo.get_entry(SWEEP_ENTRY)["data"]["batch_size"]),
                 None)
    if dcgan is None:
        return REFERENCE
    return (f"{REFERENCE} This run: {spread(dcgan['percent_of_peak'], 1)}% of "
            f"{peak['peak_gflops']:.0f} GFLOP/s, with {multipliers(dcgan)}.")


def command():
    return " ".join(["python benchmarks/train_speed.py", *sys.argv[1:]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default=None,
                        help="comma-separated zoo entries (default: all)")
    parser.add_argument("--sweep", default="16,64,256",
                        help=f"batch sizes of the {SWEEP_ENTRY} sweep ('' for none)")
    parser.add_argument("--repeats", type=int, default=5, help="timed fits per row")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per timed fit (default: about --seconds each)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="target length of a timed fit without --steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dry-run", action="store_true",
                        help="print the tables; write no results and leave README.md alone")
    args = parser.parse_args()
    entries, left_out = (args.entries.split(","), {}) if args.entries else default_entries()
    for entry in entries:
        reason = uncounted(entry, args)
        if reason:
            left_out[entry] = reason
    entries = [entry for entry in entries if entry not in left_out]
    sweep = [int(b) for b in args.sweep.split(",") if b]
    plan = [(entry, zoo.get_entry(entry)["data"]["batch_size"]) for entry in entries]
    plan += [(SWEEP_ENTRY, batch) for batch in sweep if (SWEEP_ENTRY, batch) not in plan]

    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    peak = measure_peak(args.repeats)
    print(f"peak: matmul {spread(peak['matmul'], 0)} GFLOP/s, conv {spread(peak['conv'], 0)} "
          f"GFLOP/s -> peak {peak['peak_gflops']:.0f} ({peak['peak_from']})", flush=True)
    check = profiler_check(args.seed)
    rows = []
    for entry, batch in plan:
        keras.backend.clear_session()
        row = measure_row(entry, batch, args, peak["peak_gflops"])
        rows.append(row)
        print(f"{entry} batch {batch}: {row['flops_per_step'] / 1e9:.3g} GFLOPs/step, "
              f"{spread(row['steps_per_second'], 1)} steps/s, "
              f"{spread(row['percent_of_peak'], 1)}% of peak, "
              f"{100 * (1 - row['trace']['networks']):.0f}% outside the networks", flush=True)

    main_table, trace_table, check_table = tables(rows, sweep)
    load_end = os.getloadavg()[0]
    setup = (f"Peak: the better of a {MATMUL_SIZE}x{MATMUL_SIZE} float32 matmul (median "
             f"{spread(peak['matmul'], 0)} GFLOP/s over {3 * args.repeats} calls) and a "
             f"{CONV_KERNEL}x{CONV_KERNEL} convolution {CONV_SHAPE} -> {CONV_FILTERS} "
             f"(median {spread(peak['conv'], 0)} GFLOP/s over {args.repeats} calls): best "
             f"call {peak['peak_gflops']:.0f} GFLOP/s ({peak['peak_from']}). Each row: "
             f"{args.repeats} timed fits of "
             f"{f'{args.steps} steps' if args.steps else f'about {args.seconds:g} s'} after a "
             "warm-up, on the entry's own data pipeline, seed "
             f"{args.seed}; TensorFlow {tf.__version__}, Keras {keras.__version__}, "
             f"{machine()['cpus']} CPUs; 1-minute load average {load_start:.1f} at the start "
             f"and {load_end:.1f} at the end; {time.perf_counter() - started:.0f} s in all.")
    conventions = (
        "FLOPs per step: analytic (`ganzoo.nets.flops.train_step_flops`): each network's "
        "training-mode forward FLOPs (a multiply-add is 2) times its forward-equivalents "
        "per step; a backward pass is 2 forward passes, and so, by the issue's convention, "
        "is one that needs only input gradients (D in G's update; `frozen_backward=1` "
        "would count it once). Optimizer updates, losses and augmentation are left out. "
        "% outside the networks: from a profiler trace of one more fit, the share of the "
        "steps' wall time (from the first step call to the end of the last; a fit's "
        "set-up excluded) when no op of the networks (forward or backward) runs. Tracing "
        "costs time per op, which lands mostly outside the networks: the trace table gives "
        "how much slower the traced steps ran, and where that is well above 1 (many small "
        "ops: the MLP entries) the share outside is an upper bound.")
    profiler_note = (
        f"Check against TensorFlow's profiler: {check['model']}: analytic "
        f"{check['analytic'] / 1e6:.2f} MFLOPs, profiler {check['profiler'] / 1e6:.2f} "
        f"({check['profiler'] / check['analytic'] - 1:+.2%}; the profiler counts "
        "activations as 0). On the traced training steps (before TensorFlow prunes unused "
        "gradients) it agrees within about 1% for the DCGAN, conditional, BigGAN, WGAN-GP "
        "and super-resolution steps; it counts less for MLPs (TensorFlow does not build the "
        "input gradient of a first Dense layer) and more for CycleGAN and Pix2Pix (its "
        "formulas for convolution gradients scale by the padded input, and the ResNet's "
        "reflection-padded convolutions and the PatchGAN's zero-padded ones are 'valid' "
        "convolutions of padded inputs), and cannot size ops inside loops of unknown length "
        "(CycleGAN's image pool) nor see into `tf.cond` branches: StyleGAN2's lazy R1 "
        "penalty is missing from its count (7/16 of a D pass per step). ProGAN's profiler "
        "count is of its current level's branch, traced alone.")
    left_out_note = "".join(f"\n- {entry}: {reason}" for entry, reason in sorted(left_out.items()))
    section = (
        f"## Training speed against the machine's peak\n\n`{command()}`\n\n{setup}\n\n"
        f"{main_table}\n\n{conventions}\n\n{reference_note(rows, peak)}\n\n"
        "Where the steps' wall time goes (from the trace; categories in priority order, so "
        "a moment when a network op and another op both run counts for the networks):"
        f"\n\n{trace_table}\n\n{profiler_note}\n\n{check_table}"
        + (f"\n\nEntries without a row:\n{left_out_note}" if left_out else ""))
    print(section)
    if args.dry_run:
        print("\n(--dry-run: nothing written)")
        return
    publish("train_speed",
            {"setup": vars(args), "machine": machine(), "peak": peak,
             "profiler_check": check, "rows": rows, "left_out": left_out,
             "load_average_1min": [load_start, load_end]},
            section)


if __name__ == "__main__":
    main()
