"""StyleGAN2 (Karras et al. 2020): styles, lazy regularisation, truncation, mixing."""

import numpy as np
import keras
import tensorflow as tf

from ganzoo.gans.adversarial import apply_gradients, scale_for_gradients
from ganzoo.gans.augment import ADA
from ganzoo.gans.base import _FAKE, _REAL, GAN
from ganzoo.gans.latents import slerp
from ganzoo.gans.trackers import Trackers
from ganzoo.nets.stylegan2 import stylegan2_discriminator, stylegan2_generator

# Noise streams of the path length penalty's draws, after the base's (D's update 0,
# G's update 1): its generator inputs, and its image-space noise.
_PL_STREAM, _PL_NOISE_STREAM = 2, 3
_PARTS = ("mapping", "truncation", "noise", "synthesis")


@keras.saving.register_keras_serializable(package="ganzoo")
class StyleGAN2(GAN):
    """A style-based generator and a residual discriminator.

    Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN",
    after the reference code (stylegan2-ada-pytorch). The networks are in
    `ganzoo.nets.stylegan2`: mapping network to W, learned constant, modulated and
    demodulated convolutions, per-layer noise, skip outputs; residual D with minibatch
    standard deviation. Training: non-saturating loss; R1 on the reals every
    `r1_interval` D steps, weighted `r1_gamma / 2 * r1_interval` (lazy
    regularisation); style mixing (with probability `style_mixing_prob` a batch's
    styles switch from one w to another at a random layer); the path length penalty
    every `pl_interval` G steps when `pl_weight` > 0; the average w tracked for
    truncation; a generator EMA with ramp-up. Adam(2e-3, beta_1=0, beta_2=0.99,
    epsilon=1e-8) for both.

    The lazy penalties join the main loss in the same optimizer step (the reference
    takes a separate step, and so adjusts Adam's rate and betas by interval /
    (interval + 1); with one step per iteration no adjustment is needed). R1 is taken
    on the images D judges (augmented, when `augment` is set), as the base's penalties
    are. Under `tf.distribute`, the means behind `w_avg` and the path length's running
    mean are taken over the global batch; each replica draws its own mixing cutoff
    and noise, as each GPU of the reference does.

    Args:
        image_shape: `(size, size, channels)`, size a power of two >= 8, 1 or 3 channels.
        latent_dim: size of z (512 in the paper).
        w_dim: size of w (default `latent_dim`).
        mapping_layers: depth of the mapping network (8 in the paper, 2 in the
            reference's small-resolution configs).
        channel_base, channel_max: feature maps at resolution r are
            `min(channel_base // r, channel_max)` (paper: 32768 and 512).
        group_size: samples per minibatch-standard-deviation group (4).
        r1_gamma: R1 weight gamma (1, the reference's 256x256 setting; its FFHQ 1024
            uses 10). Its heuristic 0.0002 * size^2 / batch gives 0.0064 for 32x32 in
            batches of 32, which on the 1,437 training digits let D overfit and G
            collapse to one shape within 1,000 steps; 1 kept the samples varied.
        r1_interval: D steps per R1 evaluation (16).
        style_mixing_prob: probability of mixing two w in a batch (0.9; 0: off).
        pl_weight: weight of the path length penalty (2 in the paper; 0: off).
        pl_interval, pl_batch_shrink, pl_decay: G steps per penalty (4), the
            penalty's batch as a fraction 1/shrink of the batch (2), the decay of
            the running mean path length (0.01).
        w_avg_beta: decay of the tracked average w per step (0.995).
        ema_decay, ema_warmup: the generator EMA (0.998 and 0.05: the reference's
            10k-image half-life at batch 32, with its ramp-up); None: no EMA.
        generator, discriminator: networks from `ganzoo.nets.stylegan2.stylegan2_generator` /
            `stylegan2_discriminator` (a saved StyleGAN2 gives them back).
        **kwargs: `label_smoothing`, `augment`, `augment_options`, `seed` (see `GAN`).

    Example:
        >>> gan = StyleGAN2(image_shape=(32, 32, 1))
        >>> gan.compile()
        >>> gan.fit(ganzoo.data.load("digits", image_size=32), epochs=50)
        >>> gan.generate(16, seed=0, truncation=0.7).shape
        (16, 32, 32, 1)
        >>> grid = gan.mix_styles([1, 2, 3], [4, 5], layers=range(0, 4))   # (2, 3, 32, 32, 1)
        >>> strip = gan.interpolate(0, 1, steps=8, space="w")
    """

    supported_losses = ("non_saturating",)
    # Its mapping and synthesis networks have no label inputs (yet): num_classes is refused.
    supports_conditioning = False
    latent_spaces = ("w", "z")
    truncation_meaning = "psi"

    def __init__(self, image_shape=None, latent_dim=128, w_dim=None, mapping_layers=2,
                 channel_base=1024, channel_max=64, group_size=4, r1_gamma=1.0,
                 r1_interval=16, style_mixing_prob=0.9, pl_weight=0.0, pl_interval=4,
                 pl_batch_shrink=2, pl_decay=0.01, w_avg_beta=0.995, ema_decay=0.998,
                 ema_warmup=0.05, generator=None, discriminator=None, loss="non_saturating",
                 **kwargs):
        if image_shape is None:
            if generator is None:
                raise ValueError("StyleGAN2 needs image_shape, or networks to take it from.")
            image_shape = generator.output_shape[1:]
        image_shape = tuple(int(s) for s in image_shape)
        for name, value in (("r1_interval", r1_interval), ("pl_interval", pl_interval),
                            ("pl_batch_shrink", pl_batch_shrink)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}.")
        for name, value in (("r1_gamma", r1_gamma), ("pl_weight", pl_weight)):
            if value < 0:
                raise ValueError(f"{name} must be at least 0 (0 switches it off); got {value}.")
        for name, value in (("style_mixing_prob", style_mixing_prob), ("pl_decay", pl_decay),
                            ("w_avg_beta", w_avg_beta)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]; got {value}.")
        self.mapping_layers = int(mapping_layers)
        self.channel_base, self.channel_max = int(channel_base), int(channel_max)
        self.group_size = int(group_size)
        self.r1_gamma, self.r1_interval = float(r1_gamma), int(r1_interval)
        self.style_mixing_prob = float(style_mixing_prob)
        self.pl_weight, self.pl_interval = float(pl_weight), int(pl_interval)
        self.pl_batch_shrink, self.pl_decay = int(pl_batch_shrink), float(pl_decay)
        self.w_avg_beta = float(w_avg_beta)
        generator = generator or stylegan2_generator(
            latent_dim, image_shape, w_dim, self.mapping_layers, self.channel_base,
            self.channel_max)
        discriminator = discriminator or stylegan2_discriminator(
            image_shape, self.channel_base, self.channel_max, self.group_size)
        _check_generator(generator)
        super().__init__(generator, discriminator, loss=loss, ema_decay=ema_decay,
                         ema_warmup=ema_warmup, **kwargs)
        self.w_dim = int(self.part("mapping").output_shape[-1])
        self.num_ws = int(self.part("truncation").num_ws)
        # The running mean path length, a training statistic (on every replica alike).
        self.pl_mean = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                       name="pl_mean")
        extra = ("r1_penalty",) + (("pl_penalty",) if self.pl_weight else ())
        self.trackers = Trackers((*self.trackers.names, *extra))

    # ------------------------------------------------------------------ networks

    @property
    def image_shape(self):
        return self.data_shape

    def part(self, name, use_ema=False):
        """One named part of the generator (or of its EMA with `use_ema`):
        "mapping", "truncation", "noise" or "synthesis"."""
        return self.inference_generator(use_ema).get_layer(name)

    @property
    def w_avg(self):
        """The tracked average w, a NumPy vector `(w_dim,)` (the generator's)."""
        return keras.ops.convert_to_numpy(self.part("truncation").w_avg)

    # ---------------------------------------------------------------------- training

    def default_optimizer(self):
        return keras.optimizers.Adam(learning_rate=2e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

    def sample_generator_inputs(self, batch_size, noise_stream):
        """All random inputs of one training forward pass of G, drawn statelessly:
        `z`, `mix_z` (the second latent of style mixing), `cutoff` (per sample: the
        first layer that takes `mix_z`'s styles; `num_ws` for no mixing) and `noise`
        (one map per synthesis layer). One cutoff and one coin flip per call (per
        replica's batch, as the reference per GPU)."""
        seed = self.noise_seed(noise_stream)
        draw = lambda number: tf.random.experimental.stateless_fold_in(seed, number)  # noqa: E731
        synthesis = self.part("synthesis")
        z = tf.random.stateless_normal((batch_size, self.latent_dim), seed=draw(0))
        mix_z = tf.random.stateless_normal((batch_size, self.latent_dim), seed=draw(1))
        mixes = tf.random.stateless_uniform((), seed=draw(2)) < self.style_mixing_prob
        cutoff = tf.random.stateless_uniform((), seed=draw(3), minval=1, maxval=self.num_ws,
                                             dtype=tf.int32)
        cutoff = tf.fill((batch_size,), tf.where(mixes, cutoff, self.num_ws))
        noise = [tf.random.stateless_normal((batch_size, *shape[1:]), seed=draw(10 + index))
                 for index, shape in enumerate(synthesis.input_shape[1:])]
        return {"z": z, "mix_z": mix_z, "cutoff": cutoff, "noise": noise}

    def sample_path_length_noise(self, batch_size, noise_stream):
        """The path length penalty's image-shaped noise, N(0, 1) / sqrt(height * width)."""
        height, width, _ = self.data_shape
        noise = tf.random.stateless_normal((batch_size, *self.data_shape),
                                           seed=self.noise_seed(noise_stream))
        return noise / np.sqrt(height * width)

    def mixed_styles(self, inputs):
        """`(ws, w)`: the per-layer styles of `inputs` (`sample_generator_inputs`) --
        z's w up to the cutoff layer, mix_z's from there -- and z's w."""
        mapping = self.part("mapping")
        w = mapping(inputs["z"], training=True)
        ws = tf.repeat(w[:, None], self.num_ws, axis=1)
        if self.style_mixing_prob > 0:
            mixed = tf.repeat(mapping(inputs["mix_z"], training=True)[:, None], self.num_ws, axis=1)
            first = tf.range(self.num_ws)[None, :] < inputs["cutoff"][:, None]
            ws = tf.where(first[..., None], ws, mixed)
        return ws, w

    def synthesize(self, inputs, ws=None):
        """Training images from `sample_generator_inputs` (random noise, mixed styles)."""
        if ws is None:
            ws, _ = self.mixed_styles(inputs)
        return self.part("synthesis")([ws, *inputs["noise"]], training=True)

    # The base's step runs as it is (D's update, G's update, the generator EMA, the
    # logs); the two updates below replace the base's: they run G as the reference
    # trains it (mixed styles, fresh noise maps) and add the lazy penalties.

    def _discriminator_update(self, real, batch_size, noise_stream, real_labels=None):
        """D's update against training fakes, with R1 on the reals every `r1_interval`
        updates; returns D's loss without the penalty. `real_labels` is always None
        (unconditional)."""
        fake = self.synthesize(self.sample_generator_inputs(batch_size, noise_stream))
        real = self.augmented(real, noise_stream, _REAL)
        fake = self.augmented(fake, noise_stream, _FAKE)
        due = tf.logical_and(self.regularization_due(self.d_optimizer, self.r1_interval),
                             self.r1_gamma > 0)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = self.judge(real), self.judge(fake)
            loss = self.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream)
            r1 = (tf.cond(due, lambda: self.r1_penalty(real), lambda: tf.constant(0.0))
                  if self.r1_gamma else tf.constant(0.0))  # a weight of 0: not even traced
            # lazy: every r1_interval updates, the weight of r1_interval updates
            total = loss + (self.r1_gamma / 2.0 * self.r1_interval) * r1
            scaled_loss = scale_for_gradients(self.d_optimizer, total)
        apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator_variables)
        if isinstance(self.augmenter, ADA):
            self.augmenter.update(tf.cast(real_scores, tf.float32) - self.decision_threshold,
                                  images=batch_size)
        self._track_penalty("r1_penalty", r1, due)
        return loss

    def _generator_update(self, batch_size, noise_stream):
        """G's update, with the path length penalty every `pl_interval` updates; then
        `w_avg` follows the w of this update. Returns G's loss without the penalty."""
        inputs = self.sample_generator_inputs(batch_size, noise_stream)
        due = tf.logical_and(self.regularization_due(self.g_optimizer, self.pl_interval),
                             self.pl_weight > 0)
        with tf.GradientTape() as tape:
            ws, w = self.mixed_styles(inputs)
            fake = self.augmented(self.synthesize(inputs, ws), noise_stream, _FAKE)
            loss = self.generator_loss(self.judge(fake))
            penalty = (self._path_length_penalty(batch_size, due) if self.pl_weight
                       else tf.constant(0.0))
            # lazy, as R1
            total = loss + (self.pl_weight * self.pl_interval) * penalty
            scaled_loss = scale_for_gradients(self.g_optimizer, total)
        apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator_variables)
        self._track_w_avg(w)
        self._track_penalty("pl_penalty", penalty, due)
        return loss

    def regularization_due(self, optimizer, interval):
        """True on the updates (of `optimizer`) that take a lazy penalty: 0, k, 2k, ..."""
        return tf.equal(tf.cast(optimizer.iterations, tf.int64) % interval, 0)

    def _track_penalty(self, name, value, due):
        # logged as the mean over the updates that took the penalty
        if name in self.trackers.names:
            self.trackers[name].update_state(value, sample_weight=tf.cast(due, tf.float32))

    def r1_penalty(self, images):
        """R1 (Mescheder et al. 2018): E ||grad_x D(x)||^2 over the (real) `images`."""
        images = tf.cast(images, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(images)
            scores = tf.reduce_sum(tf.cast(self.judge(images), tf.float32))
        gradients = tape.gradient(scores, images)
        return tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))

    def path_lengths(self, batch_size):
        """Per sample, the norm of J_w^T y for random image-space y (Karras et al. 2020,
        section 3.2), on a fresh batch: its mean square over the layers' styles."""
        inputs = self.sample_generator_inputs(batch_size, _PL_STREAM)
        ws, _ = self.mixed_styles(inputs)
        noise = self.sample_path_length_noise(batch_size, _PL_NOISE_STREAM)
        with tf.GradientTape() as tape:
            tape.watch(ws)
            images = tf.cast(self.synthesize(inputs, ws), tf.float32)
            projected = tf.reduce_sum(images * noise)
        gradients = tape.gradient(projected, ws)
        return tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=2), axis=1))

    def _path_length_penalty(self, batch_size, due):
        size = tf.maximum(batch_size // self.pl_batch_shrink, 1)
        lengths = tf.cond(due, lambda: self.path_lengths(size), lambda: tf.zeros((size,)))
        # the running mean moves by the global batch's mean length (a collective:
        # outside the tf.cond, on every step)
        total, count = _global_sums(tf.stop_gradient(lengths), size)
        mean = tf.convert_to_tensor(self.pl_mean)
        updated = tf.where(due, mean + (total / count - mean) * self.pl_decay, mean)
        self.pl_mean.assign(updated)
        return tf.where(due, tf.reduce_mean(tf.square(lengths - updated)), 0.0)

    def _track_w_avg(self, w):
        # w_avg <- lerp(mean w of the global batch, w_avg, beta)
        total, count = _global_sums(tf.stop_gradient(tf.cast(w, tf.float32)), tf.shape(w)[0])
        w_avg = self.part("truncation").w_avg
        average = tf.convert_to_tensor(w_avg)
        w_avg.assign(total / count + (average - total / count) * self.w_avg_beta)

    # -------------------------------------------------------------------- inference

    def styles(self, latents, truncation=None, use_ema=True, batch_size=256):
        """The per-layer styles ws, NumPy `(n, num_ws, w_dim)`, of latent vectors z,
        truncated towards `w_avg` by `truncation` (psi; None or 1: none)."""
        psi = _checked_truncation(truncation)
        mapping, truncate = self.part("mapping", use_ema), self.part("truncation", use_ema)
        return _in_batches(lambda z: truncate(mapping(z), psi=psi), np.asarray(latents, "float32"),
                           batch_size, (0, self.num_ws, self.w_dim))

    def synthesize_styles(self, ws, use_ema=True, batch_size=256):
        """Images from per-layer styles `(n, num_ws, w_dim)`, with the fixed noise maps."""
        ws = np.asarray(ws, "float32")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape (n, {self.num_ws}, {self.w_dim}); "
                             f"got {ws.shape}.")
        noise, synthesis = self.part("noise", use_ema), self.part("synthesis", use_ema)
        return _in_batches(lambda part: synthesis([part, *noise(part)], training=False), ws,
                           batch_size, (0, *self.data_shape))

    def check_truncation(self, truncation):
        """Refuse a psi outside [0, 1] (1: none)."""
        if not 0.0 <= _checked_truncation(truncation) <= 1.0:
            raise ValueError(f"truncation must be in [0, 1] (1: none); got {truncation}.")

    def generate(self, num=None, seed=None, latents=None, truncation=None, batch_size=256,
                 use_ema=True):
        """Samples as a NumPy array `(n, *image_shape)`, about [-1, 1].

        Args:
            num, seed, latents, batch_size, use_ema: as for `GAN.generate`.
            truncation: psi of the truncation trick: w is pulled to `w_avg + psi (w -
                w_avg)`; 0.7 trades variety for quality, 0 gives the average image
                for every seed; None (or 1): no truncation, as `gan(z)`.

        Example:
            >>> gan.generate(16, seed=0, truncation=0.7)
        """
        ws = self.styles(self.latents_for(num, seed, latents), truncation, use_ema, batch_size)
        return self.synthesize_styles(ws, use_ema, batch_size)

    def mix_styles(self, source_seeds, destination_seeds, layers, truncation=None,
                   use_ema=True):
        """Style mixing: each destination's styles with those of `layers` taken from
        each source, NumPy `(len(destination_seeds), len(source_seeds), *image_shape)`.

        Seeds give latents as `interpolate`'s ends do (`generate(1, seed=s)` is seed
        s's plain sample). Layers index the per-layer styles, 0 to `num_ws - 1`, coarse
        (4x4) to fine: the first ones carry a source's overall shape, the last ones
        its fine detail.

        Example:
            >>> grid = gan.mix_styles([1, 2, 3], [4, 5], layers=range(0, 4))
        """
        layers = _checked_layers(layers, self.num_ws)
        source_seeds, destination_seeds = list(source_seeds), list(destination_seeds)
        seeds = source_seeds + destination_seeds
        latents = np.concatenate([self.prior_latents(1, s) for s in seeds]) if seeds else \
            np.zeros((0, self.latent_dim), "float32")
        ws = self.styles(latents, truncation, use_ema)
        sources, destinations = ws[:len(source_seeds)], ws[len(source_seeds):]
        mixed = np.repeat(destinations[:, None], len(source_seeds), axis=1)
        mixed[:, :, layers] = sources[None, :, layers]
        images = self.synthesize_styles(mixed.reshape(-1, self.num_ws, self.w_dim), use_ema)
        return images.reshape(len(destination_seeds), len(source_seeds), *self.data_shape)

    def interpolate(self, seed_a, seed_b, steps=8, space="w", truncation=None, batch_size=256,
                    use_ema=True):
        """Samples along the path between two seeds' latents, both ends included.

        `space="w"` (default): a straight line between their w (the space the paper's
        perceptual path length walks); `space="z"`: the spherical path (slerp) between
        their z, as `GAN.interpolate`. Truncation, if any, applies along the path.

        Returns:
            NumPy `(steps, *image_shape)`; the ends are `generate(1, seed=seed_a,
            truncation=truncation)` and the same for `seed_b`.
        """
        self.check_path(space, steps)
        ends = np.concatenate([self.prior_latents(1, seed) for seed in (seed_a, seed_b)])
        fractions = np.linspace(0.0, 1.0, steps)
        if space == "z":
            ws = self.styles(slerp(ends[0], ends[1], fractions), truncation, use_ema)
        else:
            a, b = self.styles(ends, truncation, use_ema)
            ws = (a[None] + (b - a)[None] * fractions[:, None, None]).astype("float32")
            ws[-1] = b  # exactly the end, whatever the rounding
        return self.synthesize_styles(ws, use_ema, batch_size)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers, "channel_base": self.channel_base,
                "channel_max": self.channel_max, "group_size": self.group_size,
                "r1_gamma": self.r1_gamma, "r1_interval": self.r1_interval,
                "style_mixing_prob": self.style_mixing_prob, "pl_weight": self.pl_weight,
                "pl_interval": self.pl_interval, "pl_batch_shrink": self.pl_batch_shrink,
                "pl_decay": self.pl_decay, "w_avg_beta": self.w_avg_beta}


def _in_batches(function, inputs, batch_size, empty_shape):
    """`function` over `inputs` in slices of `batch_size`, as one NumPy array (of
    `empty_shape` for no inputs)."""
    to_tensor, to_numpy = keras.ops.convert_to_tensor, keras.ops.convert_to_numpy
    chunks = [to_numpy(function(to_tensor(inputs[i:i + batch_size])))
              for i in range(0, len(inputs), batch_size)]
    return np.concatenate(chunks, axis=0) if chunks else np.zeros(empty_shape, "float32")


def _global_sums(values, count):
    """Sums of `values` (over the batch axis) and of `count` over all replicas."""
    context = tf.distribute.get_replica_context()
    local = [tf.reduce_sum(values, axis=0), tf.cast(count, tf.float32)]
    return context.all_reduce(tf.distribute.ReduceOp.SUM, local)


def _checked_truncation(truncation):
    if truncation is None:
        return 1.0
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float, np.floating)):
        raise ValueError(f"truncation must be a number (psi; 0.7 is common, 1 or None: none); "
                         f"got {truncation!r}.")
    return float(truncation)


def _checked_layers(layers, num_ws):
    chosen = list(layers)
    bad = [layer for layer in chosen
           if isinstance(layer, bool) or not isinstance(layer, (int, np.integer))
           or not 0 <= layer < num_ws]
    if bad:
        raise ValueError(f"layers index the per-layer styles, integers from 0 to {num_ws - 1} "
                         f"(coarse to fine); got {bad[0]!r}.")
    return chosen


def _check_generator(generator):
    names = {layer.name for layer in generator.layers}
    missing = [name for name in _PARTS if name not in names]
    if missing:
        raise ValueError(f"StyleGAN2 trains a generator made of the parts {list(_PARTS)} "
                         "(ganzoo.nets.stylegan2.stylegan2_generator); "
                         f"{generator.name!r} lacks {missing}.")
