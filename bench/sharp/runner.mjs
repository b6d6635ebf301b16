// The sharp side of `just bench`: reads one JSON job per line on stdin, runs it with sharp
// in-process (one libvips thread, no operation cache) and answers one JSON line on stdout.
// Inputs are read once and kept in memory so only the pipeline is timed, as on the Rust side.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);

const inputs = new Map();
function input(file) {
  if (!inputs.has(file)) inputs.set(file, fs.readFileSync(file));
  return inputs.get(file);
}

// One pipeline: auto-orient, resize, encode at sharp's defaults unless the job sets options.
function pipeline(buf, v) {
  const resize = { width: v.width };
  if (v.height) resize.height = v.height;
  if (v.fit) resize.fit = v.fit;
  return sharp(buf).rotate().resize(resize).toFormat(v.format, v.options ?? {});
}

async function run(job) {
  const buf = input(job.file);
  const outs = [];
  const start = process.hrtime.bigint();
  for (const v of job.variants) {
    outs.push(await pipeline(buf, v).toBuffer({ resolveWithObject: true }));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (job.out_dir) {
    fs.mkdirSync(job.out_dir, { recursive: true });
    outs.forEach((o, i) => fs.writeFileSync(path.join(job.out_dir, `${i}.${o.info.format}`), o.data));
  }
  return {
    ms,
    outputs: outs.map((o) => ({ bytes: o.data.length, width: o.info.width, height: o.info.height })),
  };
}

const lines = readline.createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ ready: sharp.versions }) + '\n');
for await (const line of lines) {
  let reply;
  try {
    reply = await run(JSON.parse(line));
  } catch (e) {
    reply = { error: String(e?.message ?? e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
