"""`ganzoo upscale`: image files of any size through a super-resolution model (SRResNet,
SRGAN), `scale` times larger, one PNG each."""

from ganzoo.commands.common import add_image_files, load_for_image_files, output_path


def add_to(add_command):
    upscale = add_image_files(
        add_command, "upscale", "a super-resolution model (SRResNet, SRGAN), at any size",
        "an SRResNet or SRGAN", "each keeps its own height and width",
        "upscaled images")
    upscale.add_argument("--self-ensemble", action="store_true",
                         help="average the upscalings of each image's eight flips and "
                              "rotations (EDSR+): higher PSNR at eight times the compute")
    upscale.set_defaults(command=run)


def run(args):
    from ganzoo.gans import UPSCALER
    from ganzoo.images import read_image, save_image

    paths, root, model = load_for_image_files(args, UPSCALER, "upscaling")
    sizes = []
    for path in paths:  # one at a time: each keeps its size
        image = read_image(path, model.channels)
        sizes.append(image.shape[:2])
        save_image(model.upscale(image, self_ensemble=args.self_ensemble),
                   output_path(args.out, path, root))
    shown = ", ".join(f"{w}x{h}" for h, w in sizes[:3]) + (", ..." if len(sizes) > 3 else "")
    print(f"Upscaled {len(paths)} image(s) ({shown}) x{model.scale} with {args.source} into "
          f"{args.out}")

