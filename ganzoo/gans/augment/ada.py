"""ADA: augmentation whose probability p follows how much D overfits its real images."""

import keras
import tensorflow as tf

from ganzoo.gans.augment import ada_pipeline
from ganzoo.gans.augment.augmenter import Augmenter


@keras.saving.register_keras_serializable(package="ganzoo")
class ADA(Augmenter):
    """Adaptive discriminator augmentation.

    Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data".
    Each transform of the pipeline is applied to an image with probability `p`
    (see `ada_pipeline`). `update(real_scores)` accumulates the overfitting heuristic
    r_t = E[sign(D(augmented real))] over `interval` calls, then moves p by
    sign(r_t - target) * images / speed_images (images: the real images judged in
    those calls, batch size x interval), clipped to [0, 1]: p rises while D is too
    sure of the reals, falls while it is not. (The reference clips at 0 only; above 1
    its probabilities saturate anyway, and a p above 1 would take as long to come
    down.)

    `p` and the accumulators are non-trainable variables of this layer, so a model
    holding the augmenter as an attribute saves and restores them with its weights.
    Under `tf.distribute` the signs are summed over all replicas before any decision
    (global-batch r_t), so every replica holds the same p.

    Args:
        target: r_t that p steers towards (0.6).
        interval: `update` calls (D updates) per adjustment of p (4).
        speed_images: real images over which p may change by 1 (500k, the
            reference's ada_kimg=500).
        initial_p: p at the start (0).
        pipeline: the transforms: 'bgc' (default, all of them), 'bg', 'blit', 'geom',
            'color', or a comma-separated mix of these and transform names
            (`ada_pipeline.TRANSFORMS`), e.g. 'xint,scale,rotate,color'.

    Example:
        >>> ada = ADA()
        >>> seen_by_d = ada(real, seed)              # in D's update, inside the tape
        >>> r_t = ada.update(d_scores_of_seen_by_d)  # after it
    """

    def __init__(self, target=0.6, interval=4, speed_images=500_000, initial_p=0.0,
                 pipeline="bgc", **kwargs):
        super().__init__(**kwargs)
        self.ops = ada_pipeline.resolve(pipeline)
        if not -1.0 <= target <= 1.0:
            raise ValueError(f"target is a value of E[sign(D(real))], in [-1, 1]; got {target}.")
        if int(interval) != interval or interval < 1:
            raise ValueError(f"interval must be a whole number of updates >= 1; got {interval}.")
        if not speed_images > 0:
            raise ValueError(f"speed_images must be positive; got {speed_images}.")
        if not 0.0 <= initial_p <= 1.0:
            raise ValueError(f"initial_p must be in [0, 1]; got {initial_p}.")
        self.target = float(target)
        self.interval = int(interval)
        self.speed_images = float(speed_images)
        self.initial_p = float(initial_p)
        self.pipeline = pipeline if isinstance(pipeline, str) else list(pipeline)
        # On-read variables: each replica writes its own copy, with no cross-replica
        # traffic. `update` computes the same values on every replica (it all-reduces
        # before deciding anything), so the copies agree; saving writes the first.
        # add_weight takes no `synchronization`; attributes are tracked in this order.
        state = dict(trainable=False, synchronization="on_read", aggregation="only_first_replica")
        with keras.name_scope(self.name):
            self.p = keras.Variable(self.initial_p, shape=(), dtype="float32", name="p", **state)
            self.rt = keras.Variable(0.0, shape=(), dtype="float32", name="rt", **state)
            self.sign_sum = keras.Variable(0.0, shape=(), dtype="float32", name="sign_sum",
                                           **state)
            self.score_count = keras.Variable(0.0, shape=(), dtype="float32",
                                              name="score_count", **state)
            self.image_count = keras.Variable(0.0, shape=(), dtype="float32",
                                              name="image_count", **state)
            self.calls = keras.Variable(0, shape=(), dtype="int32", name="calls", **state)

    @classmethod
    def from_spec(cls, arguments, **options):
        """The augmenter of 'ada' (pipeline 'bgc') or 'ada:PIPELINE[,TRANSFORM...]'."""
        if arguments is not None:
            if "pipeline" in options:
                raise ValueError(f"'ada:{arguments}' and pipeline={options['pipeline']!r} both "
                                 "name a pipeline; give one.")
            options["pipeline"] = arguments.strip()
        return cls(**options)

    def augment(self, images, seed):
        return ada_pipeline.augment(images, tf.convert_to_tensor(self.p), seed, self.ops)

    def update(self, real_scores, images=None):
        """Accumulates D's verdicts on augmented reals; every `interval` calls, adjusts p.

        Call it from the replica step (inside `strategy.run`, as `train_step` is),
        once per D update, with D's raw outputs (logits) on the augmented real batch.

        Args:
            real_scores: D's outputs on this replica's augmented real images.
            images: real images these scores judge on this replica; default one per
                score (pass the batch size when D packs several images into a score).

        Returns:
            r_t over the calls since the last adjustment, this one included (at an
            adjustment: the value that decided it), the mean over the global batch.
        """
        context = tf.distribute.get_replica_context()
        if context is None:
            raise RuntimeError("ADA.update all-reduces over replicas: call it in the replica "
                               "step (inside strategy.run, as train_step runs), not in "
                               "cross-replica context.")
        scores = tf.cast(tf.stop_gradient(real_scores), tf.float32)
        local = [tf.reduce_sum(tf.sign(scores)), tf.cast(tf.size(scores), tf.float32)]
        local.append(local[1] if images is None else tf.cast(images, tf.float32))
        # global sums: every replica then decides alike
        signs, scored, judged = context.all_reduce(tf.distribute.ReduceOp.SUM, local)

        sign_sum = tf.convert_to_tensor(self.sign_sum) + signs
        score_count = tf.convert_to_tensor(self.score_count) + scored
        image_count = tf.convert_to_tensor(self.image_count) + judged
        calls = tf.convert_to_tensor(self.calls) + 1
        rt = sign_sum / tf.maximum(score_count, 1.0)
        adjust = calls >= self.interval
        step = tf.sign(rt - self.target) * image_count / self.speed_images
        p = tf.convert_to_tensor(self.p)
        self.p.assign(tf.where(adjust, tf.clip_by_value(p + step, 0.0, 1.0), p))
        self.rt.assign(tf.where(adjust, rt, tf.convert_to_tensor(self.rt)))
        self.sign_sum.assign(tf.where(adjust, 0.0, sign_sum))
        self.score_count.assign(tf.where(adjust, 0.0, score_count))
        self.image_count.assign(tf.where(adjust, 0.0, image_count))
        self.calls.assign(tf.where(adjust, 0, calls))
        return rt

    def get_config(self):
        return {**super().get_config(), "target": self.target, "interval": self.interval,
                "speed_images": self.speed_images, "initial_p": self.initial_p,
                "pipeline": self.pipeline}
