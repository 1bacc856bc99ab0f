"""Score histograms: how far a detector pulls the anomalies away from the normal images.

Drawn with Pillow (ganzoo does not depend on matplotlib): normal images' scores in blue,
anomalies' in red, on shared bins, each as a share of its own group, so a small
anomalous group stays visible beside a large normal one.

Example:
    >>> save_score_histogram(scores[~is_anomaly], scores[is_anomaly], "hist.png",
    ...                      title="GANomaly, digits, anomaly 1")
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

NORMAL, ANOMALOUS = (52, 101, 164), (204, 0, 0)
WIDTH, HEIGHT, MARGIN = 640, 360, 40


def save_score_histogram(normal, anomalous, path, title="", bins=30):
    """Write a PNG histogram of two groups of scores at `path`; returns the path.

    Args:
        normal: scores of the normal test images.
        anomalous: scores of the anomalous test images.
        path: the PNG file to write.
        title: a line of text above the plot.
        bins: number of equal-width bins over the range of all scores.
    """
    normal, anomalous = np.asarray(normal, float), np.asarray(anomalous, float)
    both = np.concatenate([normal, anomalous])
    low, high = float(both.min()), float(both.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    shares = [np.histogram(group, edges)[0] / max(len(group), 1) for group in (normal, anomalous)]
    tallest = max(float(share.max()) for share in shares) or 1.0

    picture = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(picture)
    left, right, top, bottom = MARGIN, WIDTH - MARGIN // 2, MARGIN, HEIGHT - MARGIN
    bar = (right - left) / bins
    for offset, (share, colour) in enumerate(zip(shares, (NORMAL, ANOMALOUS))):
        for index, value in enumerate(share):
            if value <= 0:
                continue
            x0 = left + index * bar + offset * bar / 2
            y0 = bottom - (bottom - top) * value / tallest
            draw.rectangle([x0, y0, x0 + bar / 2 - 1, bottom], fill=colour)
    draw.line([left, bottom, right, bottom], fill="black")
    draw.line([left, top, left, bottom], fill="black")
    draw.text((left, 8), title, fill="black")
    draw.text((left, bottom + 6), f"{low:.3g}", fill="black")
    draw.text((right - 60, bottom + 6), f"{high:.3g}", fill="black")
    draw.text((left + (right - left) // 2 - 30, bottom + 18), "score", fill="black")
    draw.text((right - 230, top), f"normal ({len(normal)})", fill=NORMAL)
    draw.text((right - 110, top), f"anomalous ({len(anomalous)})", fill=ANOMALOUS)
    draw.text((4, top - 14), f"{tallest:.0%}", fill="black")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    return path
