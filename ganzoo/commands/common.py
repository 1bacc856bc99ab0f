"""What several `ganzoo` subcommands share: loading a run folder or zoo entry, telling
what kind of model it is, refusing options that do not apply, printing tables."""

from pathlib import Path

# What each kind of model does, and the command that does it: (what it does, command).
# Kinds as `ganzoo.gans` and `ganzoo.anomaly` name them (strings, so that no command
# imports TensorFlow to describe one).
KIND_COMMANDS = {"sampler": ("samples from noise", "ganzoo sample"),
                 "translator": ("translates images", "ganzoo translate"),
                 "upscaler": ("upscales images", "ganzoo upscale"),
                 "detector": ("scores images", "ganzoo score")}


def add_raw_generator(command):
    command.add_argument("--raw-generator", action="store_true",
                         help="a model trained with a generator EMA (ema_decay) samples, "
                              "translates or upscales with the averaged weights; this takes "
                              "the raw generator's instead")


def add_unsafe(command):
    command.add_argument("--unsafe", action="store_true",
                         help="load run folders whose networks hold Python code (Lambda "
                              "layers); only for run folders from a source you trust")


def load_source(source, unsafe=False):
    """(model, training config or None) of a run folder or a zoo entry: a GAN or an
    anomaly detector."""
    from ganzoo import anomaly, zoo
    from ganzoo.runs import load_run, read_config

    if Path(source).is_dir():
        if detector_of(source) is not None:
            return anomaly.load(source), read_config(source)
        return load_run(source, safe_mode=not unsafe), read_config(source)
    entry = entry_name(source)
    return zoo.load(entry), zoo.get_entry(entry)


def entry_name(source):
    """`source`, not a folder, as a zoo entry name; a path (a file, or a run folder that
    does not exist) is refused as such, not as an unknown entry."""
    from ganzoo.zoo import catalog

    path = Path(source)
    if str(source) not in catalog.list_entries() and (path.exists() or len(path.parts) > 1):
        what = "is a file" if path.exists() else "does not exist"
        raise FileNotFoundError(f"{source} {what}: give a run folder (it holds config.yaml and "
                                "the weights) or a zoo entry name (see `ganzoo list`).")
    return str(source)


def a_model(model):
    """"a DCGAN", "an SRGAN": the model's class name with its article."""
    name = type(model).__name__
    return f"{'an' if name[0] in 'AEIOU' or name.startswith('SR') else 'a'} {name}"


def require_kind(model, source, kind, doing):
    """Refuse `model` unless it is of `kind` ("sampler", "translator", "upscaler"), in
    one line that names the command for what it is."""
    if model.kind == kind:
        return
    what, command = KIND_COMMANDS.get(model.kind, ("does something else", "another command"))
    raise ValueError(f"{source} is {a_model(model)}, which {what} instead of {doing}: "
                     f"use `{command}`.")


def detector_of(source):
    """The detector class name of an anomaly detector's entry, entry dict or run folder;
    None for a GAN's (read from the YAML or detector.json alone, nothing is built)."""
    import json

    from ganzoo.anomaly.base import DETECTOR_FILE
    from ganzoo.zoo import catalog

    if isinstance(source, dict):
        return source.get("detector")
    if Path(source).is_dir():
        path = Path(source) / DETECTOR_FILE
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())["detector"]
        except (OSError, ValueError, KeyError, TypeError):
            return "anomaly detector"  # anomaly.load names the damage
    return catalog.read_entry(entry_name(source)).get("detector")  # an unknown name: suggestions


def refuse_detector(source, doing):
    detector = detector_of(source)
    if detector is not None:
        raise ValueError(f"{source} is a {detector} anomaly detector: it scores images instead "
                         f"of {doing} them. Score images with: ganzoo score {source} "
                         "--input IMAGES")


def refuse_options(args, options, subject, why):
    """Raise naming the given options of `options` ((attribute, flag) pairs) that do not
    apply: "--num, --seed apply to GANs only, and SUBJECT: WHY."."""
    given = [flag for name, flag in options if getattr(args, name) not in (None, False)]
    if given:
        raise ValueError(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to "
                         f"{subject}: {why}.")


def fill_defaults(args, defaults):
    """Set the options still None to `defaults` ({attribute: value})."""
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def add_image_files(add_command, name, models, sources, sizes, outputs):
    """Declare command `name` ("translate", "upscale") that runs image files through a
    model: SOURCE (a run folder or entry of `sources`), --input (`sizes`: what becomes
    of the images' sizes), --out (a folder of `outputs`) and --unsafe. Returns its
    parser."""
    command = add_command(name, help=f"{name} image files with {models}")
    command.add_argument("source", help=f"{sources} run folder, or a zoo entry with pretrained "
                                        "weights")
    command.add_argument("--input", type=Path, required=True,
                         help=f"an image file, or a folder of them (searched recursively); {sizes}")
    command.add_argument("--out", type=Path, required=True,
                         help=f"folder for the {outputs}, one PNG per input")
    add_unsafe(command)
    return command


def load_for_image_files(args, kind, doing):
    """`(input image files, their root folder, model)` of a command that runs image
    files through a model of `kind`, refusing a missing --input and a model of another
    kind (`doing`: "translating", "upscaling") before anything is computed."""
    paths, root = input_images(args.input)
    if args.out.exists() and not args.out.is_dir():
        raise FileExistsError(f"--out {args.out} is a file; give a folder for the outputs, one "
                              "PNG per input.")
    refuse_detector(args.source, doing)
    model, _ = load_source(args.source, args.unsafe)
    require_kind(model, args.source, kind, f"{doing} images")
    return paths, root, model


def input_images(path):
    """`(image files, their root folder)` of `--input`: a file, or a folder searched
    recursively."""
    from ganzoo.data.folder import list_images

    if not path.exists():
        raise FileNotFoundError(f"--input {path} does not exist.")
    if path.is_dir():
        return list_images(path)[0], path
    return [path], path.parent


def output_path(out, path, root):
    """Where the output of input `path` goes: under `out`, at its place below `root`
    (so equal names in two subfolders stay apart), as a PNG."""
    return (out / Path(path).relative_to(root)).with_suffix(".png")


def read_config_file(path):
    import yaml

    from ganzoo import zoo

    try:
        config = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise FileNotFoundError(f"Cannot read --config {path}: {error.strerror}.") from error
    except yaml.YAMLError as error:
        raise ValueError(f"--config {path} is not valid YAML: {' '.join(str(error).split())}"
                         ) from error
    return zoo.validate(config, source=str(path), base_dir=Path(path).parent)


def print_table(header, rows):
    """Left-aligned columns, two spaces apart."""
    rows = [header, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def write_json(path, value):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n")
    print(f"Wrote {path}")
