#!/usr/bin/env python3
"""Writes fuzz/seeds-engine/: tiny images that reach every decoder path of the engine.

The engine fuzz target runs a few hundred executions a second only on small inputs, so its
seeds are 8-256 px images in every variant the decoders branch on (progressive and CMYK JPEG,
EXIF orientation, 16-bit, palette and interlaced PNG, lossy/lossless/animated WebP, animated
GIF, AVIF, SVG). The output is committed; rerun this only to add variants:

    python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow
    /tmp/pil/bin/python scripts/fuzz-seeds.py
"""

import io
import pathlib

from PIL import Image

OUT = pathlib.Path(__file__).resolve().parent.parent / "fuzz" / "seeds-engine"
CORPUS = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def source(size=(40, 30)):
    """A small picture with texture, edges and colour, from the corpus when it is there."""
    path = CORPUS / "flowers.jpeg"
    if path.exists():
        return Image.open(path).convert("RGB").resize(size)
    img = Image.new("RGB", size)
    img.putdata([((x * 37) % 256, (y * 59) % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return img


def with_alpha(img):
    rgba = img.convert("RGBA")
    w, h = rgba.size
    rgba.putalpha(Image.linear_gradient("L").resize((w, h)))
    return rgba


def save(name, img, **kw):
    buf = io.BytesIO()
    img.save(buf, **kw)
    (OUT / name).write_bytes(buf.getvalue())


def exif_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def frames(n=3):
    base = source((24, 18))
    return [base.rotate(30 * i) for i in range(n)]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rgb = source()
    save("baseline.jpg", rgb, format="JPEG", quality=80)
    save("progressive.jpg", rgb, format="JPEG", quality=70, progressive=True)
    save("subsampled-444.jpg", rgb, format="JPEG", quality=90, subsampling=0)
    # Wide enough (256 px) that the engine target's w=16 render takes the DC-only decode of
    # progressive JPEGs, in each layout it handles, with restart markers.
    wide = source((256, 48))
    save("progressive-422-restarts.jpg", wide, format="JPEG", quality=60, progressive=True,
         subsampling=1, restart_marker_blocks=5)
    # And a baseline one, which the YCbCr path decodes the same way when the output is 1/4.
    save("baseline-420-restarts.jpg", wide, format="JPEG", quality=60, subsampling=2,
         restart_marker_blocks=3)
    save("progressive-444.jpg", wide, format="JPEG", quality=60, progressive=True, subsampling=0)
    save("progressive-grey.jpg", wide.convert("L"), format="JPEG", quality=60, progressive=True)
    save("grey.jpg", rgb.convert("L"), format="JPEG")
    save("cmyk.jpg", rgb.convert("CMYK"), format="JPEG")
    save("orientation-6.jpg", rgb, format="JPEG", exif=exif_orientation(6))
    save("rgb.png", rgb, format="PNG")
    save("rgba.png", with_alpha(rgb), format="PNG")
    save("interlaced.png", rgb, format="PNG", interlace=1)
    save("palette.png", rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), format="PNG")
    save("grey16.png", rgb.convert("L").convert("I;16"), format="PNG")
    save("grey-alpha.png", with_alpha(rgb).convert("LA"), format="PNG")
    save("lossy.webp", rgb, format="WEBP", quality=60)
    save("lossy-alpha.webp", with_alpha(rgb), format="WEBP", quality=60)
    save("lossless.webp", rgb, format="WEBP", lossless=True)
    f = frames()
    save("animated.webp", f[0], format="WEBP", save_all=True, append_images=f[1:], duration=80, loop=0)
    save("animated.gif", f[0], format="GIF", save_all=True, append_images=f[1:], duration=80, loop=0)
    save("still.gif", rgb, format="GIF")
    save("rgb.avif", rgb, format="AVIF", quality=50)
    save("rgba.avif", with_alpha(rgb), format="AVIF", quality=50)
    (OUT / "shapes.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" viewBox="0 0 40 30">'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#e33"/><stop offset="1" stop-color="#33e"/>'
        '</linearGradient></defs><rect width="40" height="30" fill="url(#g)"/>'
        '<circle cx="20" cy="15" r="9" fill="#fff" opacity=".6"/><path d="M2 28 L20 2 L38 28 Z" fill="none" stroke="#000"/></svg>'
    )
    print(f"{len(list(OUT.iterdir()))} seeds in {OUT}")


if __name__ == "__main__":
    main()
