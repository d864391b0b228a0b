#!/usr/bin/env python3
"""Writes the canny preprocessor's goldens with OpenCV's own Canny (Debian python3-opencv 4.6.0).

input.png: a 96x80 RGB test picture (shapes in different colours, a gradient, seeded noise), made here.
canny-100-200.png, canny-50-150.png: cv2.Canny(rgb, low, high) on its RGB array, as diffusers' ControlNet examples
call it (np.array of a PIL RGB image), single-channel 0/255.
Run: /usr/bin/python3 golden.py (from this folder).
"""
import cv2
import numpy as np

h, w = 80, 96
rng = np.random.default_rng(20261212)
y, x = np.mgrid[0:h, 0:w]
rgb = np.zeros((h, w, 3), np.float32)
rgb[..., 0] = 40 + 120 * x / w                      # a horizontal red gradient
rgb[..., 2] = 60 + 80 * y / h                       # a vertical blue gradient
rgb[(x - 30) ** 2 + (y - 35) ** 2 < 18 ** 2] = (230, 200, 40)   # a yellow disc
rgb[10:30, 55:88] = (20, 180, 90)                   # a green rectangle
rgb[50:72, 50:90][np.tril(np.ones((22, 40), bool))] = (250, 250, 250)   # a white triangle
rgb += rng.normal(0, 6, rgb.shape)
rgb = np.clip(np.round(rgb), 0, 255).astype(np.uint8)

cv2.imwrite("input.png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
assert (cv2.cvtColor(cv2.imread("input.png"), cv2.COLOR_BGR2RGB) == rgb).all()
for low, high in ((100, 200), (50, 150)):
    cv2.imwrite(f"canny-{low}-{high}.png", cv2.Canny(rgb, low, high))
print("OpenCV", cv2.__version__)
