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
    sample.add_argument("--interpolate", metavar="SEED_A,SEED_B",
                        help="instead: a strip of --num images from seed A's latent to seed "
                             "B's (spherical interpolation)")
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
    if args.interpolate:
        samples = gan.interpolate(*seed_pair(args.interpolate), steps=args.num,
                                  use_ema=not args.raw_generator)
    else:
        samples = gan.generate(args.num, seed=args.seed, use_ema=not args.raw_generator)
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
    elif args.interpolate and is_image:
        save_grid(samples, out, columns=args.num, scale=4)  # one row: a strip
    else:
        reference = centers_of(config["data"]["source"]) if config else None
        save_samples(samples, out, reference)
    what = f"an interpolation {args.interpolate}" if args.interpolate else "samples"
    averaged = gan.inference_generator(not args.raw_generator) is not gan.generator
    print(f"Wrote {args.num} {what} from {args.source}{' (generator EMA)' if averaged else ''} "
          f"to {out}")


def seed_pair(text):
    try:
        seed_a, seed_b = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--interpolate takes two seeds, like 3,7; got {text!r}.") from None
    return seed_a, seed_b
