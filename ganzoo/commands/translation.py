"""`ganzoo translate`: image files through a translator (a CycleGAN, A to B or B to A;
a Pix2Pix, A to B), one PNG each."""

from ganzoo.commands.common import add_image_files, load_for_image_files, output_path


def add_to(add_command):
    translate = add_image_files(
        add_command, "translate", "a CycleGAN (A to B or B to A) or a Pix2Pix (A to B)",
        "a CycleGAN or Pix2Pix", "resized to the model's image size", "translations")
    translate.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                           help="a2b (default) or b2a (a CycleGAN only: a Pix2Pix learns "
                                "one direction)")
    translate.set_defaults(command=run)


def run(args):
    from ganzoo.gans import TRANSLATOR
    from ganzoo.images import read_images, save_image

    paths, root, translator = load_for_image_files(args, TRANSLATOR, "translating")
    size, _, channels = translator.image_shape
    translated = translator.translate(read_images(paths, size, channels), args.direction)
    for path, image in zip(paths, translated):
        save_image(image, output_path(args.out, path, root))
    print(f"Translated {len(paths)} image(s) {args.direction} with {args.source} into {args.out}")
