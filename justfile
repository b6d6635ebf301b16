# Everyday tasks. `just` itself comes from `scripts/setup` (in .venv/bin).

# Install tools the build and tests need (nasm, moto, cargo-lambda, just).
setup:
    scripts/setup

# The main job: `imgfront dev` serves the demo originals at http://127.0.0.1:8787 (gallery at /).
run *ARGS:
    scripts/run {{ARGS}}

# The hit-ratio simulator and cost model (1M requests by default).
sim *ARGS:
    cargo run -q --release -p imgfront -- sim {{ARGS}}

# imgfront's engine against sharp on any folder of images, e.g. `just bench ~/photos --reps 7`.
bench DIR *ARGS:
    scripts/bench '{{DIR}}' {{ARGS}}

# The benchmark of record (mate-backgrounds photos + one corpus photo) -> docs/benchmarks.md.
bench-photos *ARGS:
    scripts/bench-photos {{ARGS}}

# Load test of the local edge: 20,000 requests at 64 concurrency, then a fixed 10 s run.
bench-edge:
    cargo bench -p imgfront-edge --bench load

# Regenerate the demo originals from demo/sources (they are committed).
demo-originals:
    cargo run -q -p imgfront -- transform demo/sources/harbour.svg demo/originals/demo/harbour.jpg 'q=80' --precompute
    cargo run -q -p imgfront -- transform demo/sources/badge.svg demo/originals/demo/badge.png
    cargo run -q -p imgfront -- transform demo/sources/sneaker.svg demo/originals/acme/sneaker.jpg 'q=80' --precompute

# Every test, exactly as CI runs it.
test:
    scripts/test

# The inner loop, under 2 minutes after an incremental build: the spec's and the engine's tests
# and every crate's unit tests; no moto, npm, Chromium or fault injection (`just test` has them).
test-fast:
    cargo test -q -p imgfront-spec -p imgfront-engine
    cargo test -q --workspace --lib --bins

# Canonical path of a viewer URL, e.g. `just canon '/demo/a.jpg?w=300&dpr=2'`.
canon URL:
    cargo run -q -p imgfront -- canon '{{URL}}'

# One-off transform, e.g. `just transform in.jpg out.webp 'w=640'`.
transform IN OUT QUERY="":
    cargo run -q -p imgfront -- transform '{{IN}}' '{{OUT}}' '{{QUERY}}'

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# The transform function end to end under `cargo lambda watch`, against moto.
lambda-e2e:
    scripts/lambda-e2e

# Lambda zip of the transform function for arm64 (target/lambda-arm64/transform/bootstrap.zip).
build-transform:
    PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 -p imgfront-transform --output-format zip --lambda-dir target/lambda-arm64

# Synthesize the CDK app offline, bundling the three functions for arm64 with cargo-lambda.
synth:
    scripts/setup
    npm --prefix infra ci --no-audit --no-fund
    PATH="$PWD/.venv/bin:$PATH" npm --prefix infra run synth:bundled

# Deploy (needs AWS credentials; docs/deploy.md), then bring the KeyValueStore's tenants in step
# with imgfront.json (CloudFormation seeds the store only when it creates it).
deploy *ARGS:
    PATH="$PWD/.venv/bin:$PATH" npm --prefix infra exec -- cdk deploy --all --outputs-file "$PWD/infra/cdk-outputs.json" {{ARGS}}
    cargo run -q --release -p imgfront -- tenants --kvs-arn "$(.venv/bin/python -c 'import json; print(json.load(open("infra/cdk-outputs.json"))["Imgfront"]["KeyValueStoreArn"])')" sync

# Tenants and signing secrets in the deployed KeyValueStore, e.g. `just tenants rotate acme`.
tenants *ARGS:
    cargo run -q --release -p imgfront -- tenants --kvs-arn "$(.venv/bin/python -c 'import json; print(json.load(open("infra/cdk-outputs.json"))["Imgfront"]["KeyValueStoreArn"])')" {{ARGS}}

# Every fuzz target for SECONDS each (default 60), e.g. `just fuzz 1800 engine` for the long run.
fuzz SECONDS="60" *TARGETS:
    scripts/fuzz {{SECONDS}} {{TARGETS}}
