// The Node reference for cold start: what a sharp image handler loads before its first poll
// (sharp and an AWS SDK v3 S3 client), then the Lambda runtime API loop of Node's bootstrap.
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';

sharp.concurrency(1);
const s3 = new S3Client({});
const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

async function handler(event) {
  const obj = await s3.send(new GetObjectCommand({ Bucket: process.env.ORIGINALS_BUCKET, Key: event.key }));
  const body = Buffer.from(await obj.Body.transformToByteArray());
  return (await sharp(body).rotate().resize({ width: event.width }).webp().toBuffer()).toString('base64');
}

for (;;) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get('lambda-runtime-aws-request-id');
  const result = await handler(await next.json());
  await fetch(`${api}/invocation/${id}/response`, { method: 'POST', body: JSON.stringify(result) });
}
