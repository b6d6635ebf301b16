#!/usr/bin/env python3
"""Finds the three bundled functions in a cloud assembly through the template's own asset
references (each function's Code S3Key names its asset folder), prints each bundle's size and
its size zipped with deflate as cdk-assets uploads it, fails if the transform zip is over its
budget, and writes {function: bootstrap path} as JSON for the arm64 run.

  scripts/arm64-assets.py CDK_OUT OUT_JSON
"""
import io, json, pathlib, sys, zipfile

TRANSFORM_ZIP_BUDGET = 8 * 1024 * 1024
FUNCTIONS = ("Transform", "Precompute", "Takedown")


def zipped_size(folder):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder))
    return buf.tell()


def main(cdk_out, out_json):
    cdk_out = pathlib.Path(cdk_out)
    template = json.loads((cdk_out / "Imgfront.template.json").read_text())
    found = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        name = next((f for f in FUNCTIONS if logical_id.startswith(f"Functions{f}")), None)
        if name is None:
            continue
        key = res["Properties"]["Code"]["S3Key"]
        folder = cdk_out / f"asset.{key.removesuffix('.zip')}"
        bootstrap = folder / "bootstrap"
        if not bootstrap.is_file():
            sys.exit(f"{name}: {bootstrap} is missing; was the synth bundled (not IMGFRONT_SKIP_BUNDLING)?")
        head = bootstrap.read_bytes()[:20]
        # ELF, 64-bit, little-endian, e_machine 183 (AArch64): what Lambda's arm64 runs.
        if head[:4] != b"\x7fELF" or head[4] != 2 or int.from_bytes(head[18:20], "little") != 183:
            sys.exit(f"{name}: {bootstrap} is not an arm64 ELF executable")
        size = zipped_size(folder)
        print(f"arm64 bundle {name}: bootstrap {bootstrap.stat().st_size / 1e6:.2f} MB, zip {size / 1e6:.2f} MB "
              f"({size / 2**20:.2f} MiB)")
        found[name] = str(bootstrap)
        if name == "Transform" and size > TRANSFORM_ZIP_BUDGET:
            sys.exit(f"the transform zip is {size} bytes, over its {TRANSFORM_ZIP_BUDGET}-byte budget")
    missing = [f for f in FUNCTIONS if f not in found]
    if missing:
        sys.exit(f"no bundled function for {missing} in {cdk_out}")
    pathlib.Path(out_json).write_text(json.dumps(found))


if __name__ == "__main__":
    main(*sys.argv[1:3])
