"""benchmarks/augmentation.py: the classifiers' training sets, the table and one tiny cell."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def augmentation():
    # the scripts import their siblings (report, few_shot) as top-level modules
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("augmentation")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _numbered(first, count):
    """`count` images whose every pixel is its number, labelled number % 10."""
    numbers = np.arange(first, first + count)
    return np.broadcast_to(numbers[:, None, None, None], (count, 2, 2, 1)).astype("float32"), \
        (numbers % 10).astype("int32")


def _numbers(images):
    return images[:, 0, 0, 0].astype(int)


def test_both_arms_hold_the_same_real_subset_and_as_many_images(augmentation):
    real, synthetic = _numbered(0, 20), _numbered(100, 30)
    sets = augmentation.training_sets(real, synthetic, seed=3)

    assert set(sets) == set(augmentation.ARMS)
    assert len(sets["real"][1]) == len(sets["real + GAN"][1]) == 50  # the same steps
    # the real arm: only the subset, each image as often as any other (+-1)
    counts = np.bincount(_numbers(sets["real"][0]), minlength=20)
    assert set(counts) <= {2, 3} and counts.sum() == 50
    # real + GAN: the same subset once and the samples once
    assert sorted(_numbers(sets["real + GAN"][0])) == list(range(20)) + list(range(100, 130))
    assert sorted(_numbers(sets["GAN only"][0])) == list(range(100, 130))
    for images, labels in sets.values():  # labels travel with their images
        np.testing.assert_array_equal(_numbers(images) % 10, labels)


def test_the_real_arms_repetition_is_seeded(augmentation):
    real, synthetic = _numbered(0, 20), _numbered(100, 30)
    first = augmentation.training_sets(real, synthetic, seed=0)["real"][0]
    again = augmentation.training_sets(real, synthetic, seed=0)["real"][0]
    other = augmentation.training_sets(real, synthetic, seed=1)["real"][0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def _cell(per_class, seed, real, gain_with_gan):
    return {"per_class": per_class, "seed": seed, "synthetic_per_class": 100,
            "accuracy": {"real": real, "real + GAN": real + gain_with_gan, "GAN only": 0.5},
            "label_agreement": 0.9, "gan_wall_time_s": 10.0,
            "classifier_wall_time_s": {"real": 1.0, "real + GAN": 1.0, "GAN only": 1.0}}


def test_table_has_a_row_per_size_and_arm_with_paired_gains(augmentation):
    # the real arm's accuracy varies by seed while each seed's gain is +5 points: an
    # unpaired difference of medians would not give +5.0 with an empty range
    cells = [_cell(10, s, real, 0.05) for s, real in enumerate((0.70, 0.80, 0.90))]
    cells += [_cell(30, s, real, -0.02) for s, real in enumerate((0.95, 0.85, 0.90))]
    rows = augmentation.summary_rows(cells, [10, 30])

    assert [(row[0], row[1]) for row in rows] == [(n, arm) for n in (10, 30)
                                                  for arm in augmentation.ARMS]
    by_key = {(row[0], row[1]): row for row in rows}
    assert by_key[10, "real"][2:5] == ("100 real, repeated to 1100", "80.0 (70.0-90.0)", "-")
    assert by_key[10, "real + GAN"][2:5] == ("100 real + 1000 GAN", "85.0 (75.0-95.0)",
                                            "+5.0 (+5.0 to +5.0)")
    assert by_key[30, "real + GAN"][4] == "-2.0 (-2.0 to -2.0)"
    assert by_key[30, "GAN only"][5] == "50.0 / 50.0 / 50.0"  # seed by seed
    assert len(augmentation.gan_rows(cells, [10, 30])) == 2


def test_verdict_follows_the_paired_gains(augmentation):
    cells = [_cell(10, s, 0.8, 0.01) for s in range(3)]
    cells += [_cell(30, s, 0.8, -0.01) for s in range(3)]
    cells += [_cell(20, s, 0.8, gain) for s, gain in enumerate((0.01, -0.01, 0.0))]
    helps, hurts, mixed = augmentation.verdicts(cells, [10, 30, 20])
    assert "helps" in helps and "+1.0 points" in helps
    assert "hurts" in hurts and "better in 0, worse in 3 of 3" in hurts
    assert "inconclusive" in mixed


def test_classifier_steps_are_epochs_over_the_subset_and_samples(augmentation):
    assert augmentation.classifier_steps(10, 100, 20, 64) == 20 * 18  # 1,100 images
    assert augmentation.classifier_steps(10, 10, 90, 64) == 90 * 4    # 200 images


def test_quick_is_a_short_dry_run(augmentation):
    args = augmentation.parse_args(["--quick"])
    assert args.dry_run and args.steps == augmentation.QUICK["steps"]
    with pytest.raises(SystemExit):
        augmentation.parse_args(["--synthetic-per-class", "0"])


def test_one_tiny_cell_trains_a_gan_and_three_classifiers(augmentation):
    job = {"per_class": 7, "seed": 0, "steps": 2, "augment": "ada", "synthetic_per_class": 1,
           "classifier_epochs": 1, "threads": 0}
    cell = augmentation.run_cell(job)
    assert set(cell["accuracy"]) == set(augmentation.ARMS)
    assert all(0.0 <= value <= 1.0 for value in cell["accuracy"].values())
    assert 0.0 <= cell["label_agreement"] <= 1.0 and cell["num_test"] == 360
    assert {key: cell[key] for key in job} == job  # the cache matches a cell by its job
