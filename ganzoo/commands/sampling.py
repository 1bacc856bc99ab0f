"""`ganzoo sample`: a sampling GAN's samples as a grid, one PNG each, a .npy file or an
interpolation strip."""

from pathlib import Path

from ganzoo.commands.common import (add_raw_generator, add_unsafe, load_source,
                                    refuse_detector, require_kind)


def add_to(add_command):
    sample = add_command(
        "sample", help="write a GAN's samples: a grid (or 2D scatter) PNG, one PNG each, a "
                       ".npy, or an interpolation strip")
    sample.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    sample.add_argument("--num", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", type=Path, default=Path("grid.png"),
                        help="a .png file (one grid; default grid.png), a .npy file (the "
                             "samples as an array, in the generator's range) or a folder "
                             "(one PNG per sample)")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.add_argument("--labels", metavar="0,1,2",
                        help="a class-conditional model's classes: a grid with one row per "
                             "listed class, --num samples in each")
    sample.add_argument("--interpolate", metavar="SEED_A,SEED_B",
                        help="instead: a strip of --num images from seed A's latent to seed "
                             "B's (spherical interpolation)")
    sample.add_argument("--truncation", type=float, metavar="T",
                        help="the truncation trick: a StyleGAN2 pulls every w towards the "
                             "average w by psi T in [0, 1] (0.7: less variety, cleaner "
                             "samples); the other latent GANs resample latents until |z| <= T "
                             "(BigGAN's threshold)")
    sample.add_argument("--mix", metavar="SOURCES:DESTINATIONS",
                        help="instead: a style-mixing grid, e.g. 1,2,3:4,5: each destination "
                             "seed's row takes the --mix-layers styles of each source seed "
                             "(StyleGAN2); the first row shows the sources, the first column "
                             "the destinations")
    sample.add_argument("--mix-layers", default="0-3", metavar="FIRST-LAST",
                        help="the styles --mix takes from the sources, coarse (0, the 4x4 "
                             "convolution) to fine (default 0-3: the overall shape)")
    sample.set_defaults(command=run)
    add_raw_generator(sample)
    add_unsafe(sample)


def run(args):
    import numpy as np

    from ganzoo.data.mixtures import centers_of
    from ganzoo.gans import SAMPLER
    from ganzoo.images import save_grid, save_image, save_samples

    refuse_detector(args.source, "making")
    gan, config = load_source(args.source, args.unsafe)
    require_kind(gan, args.source, SAMPLER, "sampling them from noise")
    if args.num < 1 or (args.interpolate and args.num < 2):
        raise ValueError(f"--num must be at least {2 if args.interpolate else 1}; got "
                         f"{args.num}.")
    is_image = len(gan.data_shape) == 3
    options = {"use_ema": not args.raw_generator}
    labels = parse_labels(args.labels) if args.labels else None
    if labels is not None and (args.interpolate or args.mix):
        raise ValueError("--labels makes a grid of classes; it does not combine with "
                         "--interpolate or --mix.")
    if args.truncation is not None or args.mix:
        _check_style_options(gan, args)
        options["truncation"] = args.truncation
    if args.mix:
        return write_mixing_grid(gan, args, options)
    if args.interpolate:
        samples = gan.interpolate(*seed_pair(args.interpolate), steps=args.num, **options)
    elif labels is not None:
        # row by row: --num samples of each listed class
        samples = gan.generate(len(labels) * args.num, seed=args.seed,
                               labels=np.repeat(labels, args.num), **options)
    else:
        samples = gan.generate(args.num, seed=args.seed, **options)
    out = args.out
    if out.suffix == ".npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, samples)
    elif out.suffix != ".png":  # a folder: one PNG per sample
        if not is_image:
            raise ValueError(f"{args.source} makes {gan.data_shape[0]}D points, not images: "
                             "write them as a .png scatter plot or a .npy file.")
        width = len(str(args.num - 1))
        for index, image in enumerate(samples):
            save_image(image, out / f"sample_{index:0{width}d}.png")
    elif (args.interpolate or labels is not None) and is_image:
        save_grid(samples, out, columns=args.num, scale=4)  # a strip, or a row per class
    else:
        reference = centers_of(config["data"]["source"]) if config else None
        save_samples(samples, out, reference)
    what = (f"an interpolation {args.interpolate}" if args.interpolate
            else f"samples of each of the classes {args.labels}" if labels is not None
            else "samples")
    averaged = gan.inference_generator(not args.raw_generator) is not gan.generator
    print(f"Wrote {args.num} {what} from {args.source}{' (generator EMA)' if averaged else ''} "
          f"to {out}")


def _check_style_options(gan, args):
    """--mix needs a model with styles (`mix_styles`); --truncation a value the model's
    trick takes (StyleGAN2's psi, the other latent GANs' threshold on |z|), and along an
    --interpolate path, styles."""
    if args.mix and not hasattr(gan, "mix_styles"):
        raise ValueError(f"--mix applies to models with styles (StyleGAN2); {args.source} is "
                         f"a {type(gan).__name__}.")
    if args.truncation is None:
        return
    if args.interpolate and not hasattr(gan, "mix_styles"):
        raise ValueError("--truncation along an --interpolate path applies to models with "
                         f"styles (StyleGAN2); {args.source} is a {type(gan).__name__}: its "
                         "path runs between the two seeds' own latents.")
    try:
        gan.check_truncation(args.truncation)
    except ValueError as error:  # its messages begin "truncation must ...": name the flag
        raise ValueError(f"--{error}") from None


def write_mixing_grid(gan, args, options):
    """The style-mixing grid of `--mix SOURCES:DESTINATIONS`: a PNG with the sources'
    samples on top and the destinations' on the left, or the mixed images as a .npy
    `(destinations, sources, H, W, C)`."""
    import numpy as np

    from ganzoo.images import save_grid

    try:
        sources, destinations = ([int(seed) for seed in part.split(",")]
                                 for part in args.mix.split(":"))
        first, last = (int(layer) for layer in args.mix_layers.split("-"))
    except ValueError:
        raise ValueError("--mix takes source and destination seeds, like 1,2,3:4,5, and "
                         f"--mix-layers a range, like 0-3; got {args.mix!r} and "
                         f"{args.mix_layers!r}.") from None
    mixed = gan.mix_styles(sources, destinations, range(first, last + 1), **options)
    if args.out.suffix == ".npy":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.save(args.out, mixed)
    else:
        plain = np.concatenate([gan.generate(1, seed=seed, **options)  # each seed unmixed
                                for seed in sources + destinations])
        blank = np.full((1, *gan.data_shape), -1.0, np.float32)
        rows = [np.concatenate([blank, plain[:len(sources)]])]
        rows += [np.concatenate([plain[len(sources) + row][None], mixed[row]])
                 for row in range(len(destinations))]
        save_grid(np.concatenate(rows), args.out, columns=len(sources) + 1, scale=4)
    print(f"Wrote the style mixing of seeds {sources} into {destinations} (styles {first}-"
          f"{last}) from {args.source} to {args.out}")


def parse_labels(text):
    """The class numbers of `--labels 0,1,2`."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--labels takes class numbers separated by commas, like 0,1,2; got "
                         f"{text!r}.") from None


def seed_pair(text):
    try:
        seed_a, seed_b = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--interpolate takes two seeds, like 3,7; got {text!r}.") from None
    return seed_a, seed_b
