// The sharp side of the whole-process figure: one process, one transform, as a one-shot
// script would do it. Usage: node oneshot.mjs IN OUT WIDTH
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);
const [input, output, width] = process.argv.slice(2);
await sharp(input).rotate().resize({ width: Number(width) }).webp({ quality: 80 }).toFile(output);
