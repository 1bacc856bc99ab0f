"""Retrain the digits classifier that ganzoo.metrics ships, reproducibly.

    python scripts/train_digits_classifier.py            # train, write weights + record
    python scripts/train_digits_classifier.py --check    # held-out accuracy of the shipped weights
    python scripts/train_digits_classifier.py --validate # train on 80% of train, report the other 20%

Training sees only the fixed digits train split (1,437 images, at 16x16 and 32x32, so
both sizes ganzoo entries use go through the classifier's resize the way they do at
evaluation), with small random shifts, rotations and zooms. The schedule is fixed (no
early stopping), and the held-out test split (360 images) is used once, to record the
accuracy. `--validate` is for choosing a schedule without looking at the test split.
TensorFlow CPU training is seeded and run with op determinism; bit-identical weights
across machines are still not promised, so the record holds the accuracy and the tests
check the accuracy, not the bits.
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo.data import load_arrays  # noqa: E402
from ganzoo.metrics import digits_classifier as dc  # noqa: E402
from ganzoo.metrics.extractors import package_file  # noqa: E402

SOURCE_SIZES = (16, 32)


def split_arrays(split):
    """(classifier inputs, labels) of a digits split, every source size stacked."""
    images, labels = [], []
    for size in SOURCE_SIZES:
        x, y = load_arrays("digits", size, split=split)
        images.append(dc.to_classifier_input(x).numpy())
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


def augmenter(seed):
    # Background is -1 (black), so the fill must be too.
    fill = dict(fill_mode="constant", fill_value=-1.0)
    return keras.Sequential([
        keras.layers.RandomTranslation(0.08, 0.08, seed=seed, **fill),
        keras.layers.RandomRotation(0.03, seed=seed + 1, **fill),
        keras.layers.RandomZoom(0.1, seed=seed + 2, **fill),
    ])


def train(images, labels, epochs, seed, batch_size=64, verbose=2):
    keras.utils.set_random_seed(seed)
    augment = augmenter(seed)
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(images), seed=seed)
               .batch(batch_size)
               .map(lambda x, y: (augment(x, training=True), y))
               .prefetch(2))
    model = dc.build_digits_classifier()
    steps = epochs * -(-len(images) // batch_size)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(dataset, epochs=epochs, verbose=verbose)
    return model


def accuracy(model, images, labels):
    probs = model.predict(images, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(probs, axis=1) == labels))


def held_out_accuracy(weights=None):
    """Accuracy of a weights file (default: the shipped one) on the digits test split, per source size."""
    extractor = dc.DigitsClassifier(weights)
    result = {}
    for size in SOURCE_SIZES:
        x, y = load_arrays("digits", size, split="test")
        result[f"{size}x{size}"] = float(np.mean(extractor.predict(x) == y))
    return result, extractor.weights_sha256


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=package_file(dc.WEIGHTS_FILE),
                        help="weights file to write (default: the one shipped in the package)")
    parser.add_argument("--check", action="store_true",
                        help="only measure the held-out accuracy of the shipped weights")
    parser.add_argument("--validate", action="store_true",
                        help="train on 80%% of the train split and report the other 20%%")
    args = parser.parse_args(argv)
    tf.config.experimental.enable_op_determinism()

    if args.check:
        measured, digest = held_out_accuracy()
        record = dc.shipped_record()
        print(f"weights sha256 {digest} (record: {record['sha256']})")
        for size, value in measured.items():
            print(f"held-out accuracy, digits test split at {size}: {value:.4f} "
                  f"(record: {record['held_out_accuracy'][size]:.4f})")
        return 0 if digest == record["sha256"] else 1

    images, labels = split_arrays("train")
    if args.validate:
        # Same 80/20 on each source size's copy of an image, so no image leaks across.
        count = len(labels) // len(SOURCE_SIZES)
        fit_idx, val_idx = train_test_split(np.arange(count), test_size=0.2, random_state=1,
                                            stratify=labels[:count])
        pick = lambda idx: np.concatenate([idx + k * count for k in range(len(SOURCE_SIZES))])
        model = train(images[pick(fit_idx)], labels[pick(fit_idx)], args.epochs, args.seed)
        print(f"validation accuracy (20% of train): "
              f"{accuracy(model, images[pick(val_idx)], labels[pick(val_idx)]):.4f}")
        return 0

    start = time.perf_counter()
    model = train(images, labels, args.epochs, args.seed)
    wall_time = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Saved from an uncompiled copy: the weights file of a compiled model also holds the
    # optimizer state, three times the size and useless for inference.
    shipped = dc.build_digits_classifier()
    shipped.set_weights(model.get_weights())
    shipped.save_weights(args.out)
    measured, digest = held_out_accuracy(args.out)
    record = {
        "name": dc.DigitsClassifier.name,
        "weights_file": dc.WEIGHTS_FILE,
        "sha256": digest,
        "held_out_accuracy": measured,
        "held_out_split": "digits test split (360 images; fixed stratified 80/20 split)",
        "train_split": f"digits train split (1437 images) at {SOURCE_SIZES} pixels, "
                       "resized to 32x32 gray",
        "architecture": "conv16-pool-conv32-pool-conv64-pool-conv64 (3x3, ReLU), global average "
                        "pool (64 features), dropout 0.3, dense softmax (10)",
        "augmentation": "RandomTranslation(0.08), RandomRotation(0.03), RandomZoom(0.1)",
        "optimizer": "Adam, cosine decay from 2e-3, batch 64, sparse categorical cross-entropy",
        "command": "python scripts/train_digits_classifier.py"
                   + (f" --epochs {args.epochs}" if args.epochs != 80 else "")
                   + (f" --seed {args.seed}" if args.seed != 0 else ""),
        "seed": args.seed,
        "epochs": args.epochs,
        "train_wall_time_s": round(wall_time, 1),
        "parameters": model.count_params(),
        "created": datetime.date.today().isoformat(),
        "versions": {"ganzoo": ganzoo.__version__, "tensorflow": tf.__version__,
                     "keras": keras.__version__, "numpy": np.__version__},
    }
    record_path = args.out.with_name(dc.RECORD_FILE)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    print(f"wrote {args.out} and {record_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
