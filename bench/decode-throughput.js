/*
 * Bench section K: how fast the newer layouts decode, streamed, in Node and in headless
 * Chromium — codebooks with rANS- or Huffman-coded indices, context-modelled positions,
 * piecewise-linear codes under rANS, codebooks and pwl per output channel — next to plain
 * float32. Each case is one .nnc file of
 * one large tensor, read through `openNncStream` in 64 KiB chunks; throughput is float32 MB
 * out per second, the median of 5 reads. Chromium comes from Debian (or CHROMIUM_PATH);
 * without it the Chromium column says so.
 */
'use strict';
const format = require('@nncompress/format');
const { pwlRegistry } = require('@nncompress/plugin-piecewise-linear');
const { chromiumPath, formatBundle } = require('../scripts/format-bundle');

const CHUNK = 65536;
const REPEATS = 5;

/** A seeded stream in [0, 1). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** The cases: a label, the values, the shape, the choice, and the layout the file must use. */
function cases(n) {
  const next = lcg(7);
  const cols = 1024;
  const rows = n / cols;
  const normal = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next()) * 0.05;
  const sixteen = Float32Array.from({ length: 16 }, (_, i) => (i - 7.5) / 40);
  const thirtyTwo = Float32Array.from({ length: 32 }, (_, i) => (i - 15.5) / 80);
  // A pruned layer: dead rows and columns, 30% kept inside the live block (about 6% overall).
  const liveRow = Array.from({ length: rows }, () => next() < 0.4);
  const liveCol = Array.from({ length: cols }, () => next() < 0.5);
  const pruned = Float32Array.from({ length: n }, (_, i) => (liveRow[Math.floor(i / cols)] && liveCol[i % cols] && next() < 0.3 ? sixteen[Math.floor(next() * 16)] : 0));
  const gaussian = Float32Array.from({ length: n }, normal);
  const scaled = Float32Array.from(gaussian, (v, i) => v * (1 + (i % cols) / 64));
  return [
    ['float32 (reference)', gaussian, { codec: 'float32', sparse: 'never' }, 'float32'],
    ['codebook, 16 values, one dominant (rANS indices)', Float32Array.from({ length: n }, () => sixteen[next() < 0.6 ? 7 : Math.floor(next() * 16)]), { codec: 'codebook', sparse: 'never' }, 'codebook/rANS'],
    ['codebook, 32 values, even (Huffman indices)', Float32Array.from({ length: n }, () => thirtyTwo[Math.floor(next() * 32)]), { codec: 'codebook', sparse: 'never' }, 'codebook/Huffman'],
    ['pruned layer: context-modelled positions + codebook', pruned, { codec: 'codebook', sparse: 'always' }, 'sparse/context'],
    ['piecewise-linear codes (rANS)', gaussian, { codec: 'pwl', sparse: 'never', options: { maxError: 0.004 } }, 'pwl/rANS'],
    // Per output channel (1,024 filters of differing ranges): weight sharing's and pwl's per-channel layouts.
    ['codebook per channel, 16 values a filter', Float32Array.from({ length: n }, (_, i) => sixteen[Math.floor(next() * 16)] * (1 + (i % cols) / 64)), { codec: 'codebook', sparse: 'never' }, 'codebook/channels'],
    // The same bound relative to the tensor's largest value as the per-tensor case above (the scales reach 17x).
    ['piecewise-linear per channel', scaled, { codec: 'pwl', sparse: 'never', options: { maxError: (0.004 * format.largestAbs(scaled)) / format.largestAbs(gaussian), perChannel: true } }, 'pwl/channels'],
  ].map(([label, values, choice, layout]) => ({ label, values, shape: [rows, cols], choice, layout }));
}

/** The layout a one-tensor file uses, read from its payload as the format README describes it. */
function layoutOf(bytes) {
  const file = format.readNnc(bytes, pwlRegistry());
  const t = file.header.tensors[0];
  const r = new format.ByteReader(bytes.subarray(bytes.length - t.length));
  if (t.params.channels !== undefined) return `${t.codec}/channels`;
  if (t.codec === 'pwl') return t.params.entropy === 'rans' ? 'pwl/rANS' : 'pwl/Huffman';
  if (t.codec === 'sparse') {
    r.varint('count');
    return r.u8('layout') === 2 ? 'sparse/context' : 'sparse/other';
  }
  if (t.codec === 'codebook') {
    r.bytesOf(4 * r.varint('entries'), 'codebook');
    return r.u8('coder') === 1 ? 'codebook/rANS' : 'codebook/Huffman';
  }
  return t.codec;
}

async function* chunks(bytes) {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function nodeMBps(bytes, count) {
  const registry = pwlRegistry();
  const seconds = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const stream = await format.openNncStream(chunks(bytes), registry);
    for await (const { values } of stream.tensors()) if (values.length !== count) throw new Error('short decode');
    seconds.push((performance.now() - started) / 1000);
  }
  return (4 * count) / 1e6 / median(seconds);
}

/** Decodes each file in the page, streamed from a ReadableStream of 64 KiB chunks; MB/s per file. */
async function chromiumMBps(files) {
  const executablePath = chromiumPath();
  if (!executablePath) return { note: 'not run: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)' };
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>decode</title>');
    await page.addScriptTag({ content: formatBundle() });
    const results = [];
    for (const { bytes, count } of files) {
      const mbps = await page.evaluate(
        async ({ base64, count, chunk, repeats }) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const seconds = [];
          for (let i = 0; i < repeats; i++) {
            let at = 0;
            const source = new ReadableStream({
              pull(controller) {
                if (at >= bytes.length) return controller.close();
                controller.enqueue(bytes.subarray(at, at + chunk));
                at += chunk;
              },
            });
            const started = performance.now();
            const stream = await window.nncFormat.openNncStream(source);
            for await (const { values } of stream.tensors()) if (values.length !== count) throw new Error('short decode');
            seconds.push((performance.now() - started) / 1000);
          }
          seconds.sort((a, b) => a - b);
          return (4 * count) / 1e6 / seconds[seconds.length >> 1];
        },
        { base64: Buffer.from(bytes).toString('base64'), count, chunk: CHUNK, repeats: REPEATS },
      );
      results.push(mbps);
    }
    return { version: browser.version(), results };
  } finally {
    await browser.close();
  }
}

async function decodeThroughput({ quick, log }) {
  const n = quick ? 1 << 20 : 4 << 20;
  const registry = pwlRegistry();
  const files = cases(n).map((c) => {
    const encoded = format.encodeTensor(c.values, { ...c.choice, shape: c.shape }, registry);
    const bytes = format.writeNnc(null, [{ name: 't', shape: c.shape, ...encoded }]);
    const layout = layoutOf(bytes);
    if (layout !== c.layout) throw new Error(`K. ${c.label}: the file uses ${layout}, not ${c.layout}`);
    return { ...c, bytes, count: n };
  });
  const rows = [];
  const results = [];
  const node = [];
  for (const f of files) {
    log(`K. decode in Node: ${f.label}`);
    node.push(await nodeMBps(f.bytes, f.count));
  }
  log('K. decode in headless Chromium');
  const browser = await chromiumMBps(files);
  files.forEach((f, i) => {
    const inBrowser = browser.results?.[i];
    rows.push([f.label, `${Math.round(f.bytes.length).toLocaleString('en-US')} B (${((8 * f.bytes.length) / f.count).toFixed(2)} bits/value)`, `${node[i].toFixed(0)} MB/s`, inBrowser === undefined ? browser.note : `${inBrowser.toFixed(0)} MB/s`]);
    results.push({ label: f.label, layout: f.layout, bytes: f.bytes.length, values: f.count, nodeMBps: node[i], chromiumMBps: inBrowser ?? null });
  });
  return { rows, results, chromium: browser.version ?? null };
}

module.exports = { decodeThroughput };
