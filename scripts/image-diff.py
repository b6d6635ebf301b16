#!/usr/bin/env python3
"""Compares two builds' outputs of the same request: encoded sizes within 5% of each other, and
the decoded pixels (PNGs the engine wrote) of equal size and within 2/255 mean absolute
difference, with no pixel channel more than 48/255 off. Prints the figures.

  scripts/image-diff.py A_ENCODED B_ENCODED A_DECODED_PNG B_DECODED_PNG
"""
import os, sys

from PIL import Image, ImageChops, ImageStat


def main(a_enc, b_enc, a_png, b_png):
    sa, sb = os.path.getsize(a_enc), os.path.getsize(b_enc)
    a, b = Image.open(a_png).convert("RGBA"), Image.open(b_png).convert("RGBA")
    if a.size != b.size:
        sys.exit(f"sizes differ: {a.size} vs {b.size}")
    diff = ImageChops.difference(a, b)
    mean = sum(ImageStat.Stat(diff).mean) / 4
    worst = max(hi for _, hi in diff.getextrema())
    ratio = sa / sb
    print(f"  {os.path.basename(a_enc)}: {sa} vs {sb} bytes (x{ratio:.3f}), {a.size[0]}x{a.size[1]}, "
          f"mean |diff| {mean:.3f}/255, max {worst}/255")
    if not (0.95 <= ratio <= 1.05) or mean > 2 or worst > 48:
        sys.exit("outside the tolerance")


if __name__ == "__main__":
    main(*sys.argv[1:5])
