/**
 * In a real browser — headless Chromium (Debian's package) driven by playwright-core, which
 * downloads nothing: report.html, and loading model.nnc with @nncompress/format and plain
 * tfjs. When Chromium is missing and we are root on Debian, the test installs it
 * (`apt-get install chromium`), as CI needs; otherwise it fails naming what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@nncompress/core/data';
import { nearestFloat16, readModelArtifacts } from '@nncompress/core/model';
import { ByteReader, encodeArtifacts, nncompressIO, readNnc } from '@nncompress/format';
import { pwlRegistry } from '@nncompress/plugin-piecewise-linear';
import { Browser, chromium } from 'playwright-core';
import { BIN, LENET300, REPO } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { formatBundle } = require('../../../scripts/format-bundle') as { formatBundle: (repo: string) => string };


function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  const found = (): string | undefined => candidates.find((p) => fs.existsSync(p));
  if (found()) return found() as string;
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): boolean => spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 }).status === 0;
    if (!install()) {
      execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 600_000 });
      install();
    }
  }
  const path_ = found();
  if (!path_) throw new Error('the report.html browser test needs Chromium: apt-get install chromium (Debian), or set CHROMIUM_PATH');
  return path_;
}

let dir: string;
let out: string;
let browser: Browser;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-browser-'));
  const config = path.join(dir, 'run.yaml');
  fs.writeFileSync(config, `model: ${LENET300}
data: { source: mnist, train: 500, test: 300 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }
  share: { use: '@nncompress/plugin-weight-sharing', options: { bits: 3, biasBits: 4, perChannel: true } }
  encode: { use: '@nncompress/plugin-piecewise-linear', options: { relativeError: 0.02 } }
stages:
  - name: prune
    use: [prune, tune]
    target: { sparsity: 0.9 }
  - name: share
    use: [share, tune]
`);
  out = path.join(dir, 'out');
  const run = spawnSync(process.execPath, [BIN, 'run', config, '--out', out], { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 300_000 });
  expect(run.stderr).not.toMatch(/error/);
  expect(run.status).toBe(0);
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('report.html opens offline in headless Chromium without console errors and shows its four plots', async () => {
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${path.join(out, 'report.html')}`);
  const figures = await page.$$eval('svg', (svgs) =>
    svgs.map((s) => {
      const box = s.getBoundingClientRect();
      return { label: s.getAttribute('aria-label') ?? '', width: box.width, height: box.height, rects: s.querySelectorAll('rect').length, circles: s.querySelectorAll('circle').length };
    }),
  );
  const text = await page.innerText('body');
  expect(problems).toEqual([]);
  expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  const figure = (start: string): (typeof figures)[number] => {
    const f = figures.find((x) => x.label.startsWith(start));
    if (!f) throw new Error(`no plot "${start}" (plots: ${figures.map((x) => x.label).join(' | ')})`);
    expect(f.width).toBeGreaterThan(100);
    expect(f.height).toBeGreaterThan(50);
    return f;
  };
  expect(figure('Kernel sparsity per layer').rects).toBe(3); // fc1, fc2, fc3
  expect(figure('Test accuracy after each stage').rects).toBe(1 + report.stages.length);
  expect(figure('Accuracy against size').circles).toBe(2 + report.stages.length); // baseline, stages, model.nnc
  expect(figure('Encoded size per tensor').rects).toBe(report.encoding.tensors.length);
  expect(text).toContain(`${(100 * report.final.accuracy).toFixed(2)}%`);
  expect(text).toContain(`${report.final.compressionRatio.toFixed(1)}x smaller than float32`);
});

/**
 * Which of the newer layouts a file uses: codebook tensors, rANS-coded codebook indices,
 * context-modelled positions, codebooks and pwl per channel (read from the payloads and
 * params as the format README describes them).
 */
function newerLayouts(bytes: Uint8Array): string[] {
  const file = readNnc(bytes);
  const start = bytes.length - file.header.tensors.reduce((n, t) => n + t.length, 0);
  const found = new Set<string>();
  for (const t of file.header.tensors) {
    const r = new ByteReader(bytes.subarray(start + t.offset, start + t.offset + t.length));
    let codec = t.codec;
    if (codec === 'sparse') {
      r.varint('count');
      if (r.u8('layout') !== 2) continue; // bitmap and runs: not newer
      found.add('context-modelled positions');
      r.varint('columns');
      r.bytesOf(r.varint('stream length'), 'stream');
      codec = t.params.inner as string;
    }
    const params = codec === t.codec ? t.params : (t.params.innerParams as typeof t.params);
    if (codec === 'pwl' && params.channels !== undefined) found.add('pwl per channel');
    if (codec === 'codebook') {
      found.add(params.channels === undefined ? 'codebook' : 'codebook per channel');
      if (params.entryBits === 16) found.add('float16 entries');
      for (let c = 0; c < ((params.channels as number | undefined) ?? 1); c++) r.bytesOf((params.entryBits === 16 ? 2 : 4) * r.varint('entries'), 'codebook');
      if (r.u8('entropy coder') === 1) found.add('rANS');
    }
  }
  return [...found].sort();
}

it('loads model.nnc in the browser with @nncompress/format and plain tfjs, streamed over HTTP, predicting as in Node — piecewise-linear, auto with codebooks, rANS and context-modelled positions, codebooks and pwl per channel, and float16 codebook entries', async () => {
  const pwlNnc = fs.readFileSync(path.join(out, 'model.nnc'));
  // The same shared model encoded by default (auto): it must use each of the newer layouts.
  const autoNnc = Buffer.from(encodeArtifacts(readModelArtifacts(path.join(out, 'model', 'model.json'))));
  // Shared per channel, the pruned kernels come out smallest as per-filter codebooks (zero one entry of each), rANS-coded.
  expect(newerLayouts(autoNnc)).toEqual(expect.arrayContaining(['codebook per channel', 'rANS']));
  fs.writeFileSync(path.join(out, 'auto.nnc'), autoNnc);
  // And the rest: the first kernel's zeros stored apart (context-modelled positions) around one codebook with
  // float16 entries (its values moved to float16's grid, as weight sharing's entries: float16 leaves them), the
  // others piecewise-linear per channel.
  const artifacts = readModelArtifacts(path.join(out, 'model', 'model.json'));
  const specs = artifacts.weightSpecs!;
  const first = specs.findIndex((w) => w.shape.length >= 2);
  const firstKernel = specs[first].name;
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const kernel = new Float32Array(artifacts.weightData as ArrayBuffer, 4 * specs.slice(0, first).reduce((n, w) => n + size(w.shape), 0), size(specs[first].shape));
  kernel.forEach((v, i) => (kernel[i] = nearestFloat16(v)));
  const channelsNnc = Buffer.from(
    encodeArtifacts(
      artifacts,
      (spec) => (spec.shape.length < 2 ? { codec: 'auto' } : spec.name === firstKernel ? { codec: 'codebook', sparse: 'always' } : { codec: 'pwl', sparse: 'never', relativeError: 0.02, options: { perChannel: true } }),
      pwlRegistry(),
    ),
  );
  expect(newerLayouts(channelsNnc)).toEqual(expect.arrayContaining(['codebook', 'context-modelled positions', 'float16 entries', 'pwl per channel']));
  expect(newerLayouts(autoNnc)).not.toContain('float16 entries');
  fs.writeFileSync(path.join(out, 'channels.nnc'), channelsNnc);
  const files: Record<string, { type: string; body: Buffer | string }> = {
    '/': { type: 'text/html', body: '<!doctype html><link rel="icon" href="data:,"><script src="/tf.min.js"></script><script src="/format.js"></script>' },
    '/tf.min.js': { type: 'text/javascript', body: fs.readFileSync(require.resolve('@tensorflow/tfjs/dist/tf.min.js')) },
    '/format.js': { type: 'text/javascript', body: formatBundle(REPO) },
  };
  const server = http.createServer((req, res) => {
    const nnc = { '/model.nnc': pwlNnc, '/auto.nnc': autoNnc, '/channels.nnc': channelsNnc }[req.url ?? ''];
    if (nnc) {
      // In 4 KB pieces, so the page's reader sees the file arrive in many chunks.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let at = 0;
      const next = (): void => {
        if (at >= nnc.length) return void res.end();
        res.write(nnc.subarray(at, at + 4096), next);
        at += 4096;
      };
      return next();
    }
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const page = await browser.newPage();
  try {
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${origin}/`);
    expect(problems).toEqual([]); // the bundle loaded: no import format's browser entry cannot have
    const digits = loadMnist({ train: 1, test: 200 }).test;
    const shape = [digits.labels.length, ...digits.featureShape];
    for (const name of ['model.nnc', 'auto.nnc', 'channels.nnc']) {
      const inBrowser = await page.evaluate(
        async ({ features, shape, name }) => {
          const w = window as unknown as { tf: typeof tf; nncFormat: { nncompressIO: typeof nncompressIO } };
          await w.tf.setBackend('cpu');
          const model = await w.tf.loadLayersModel(w.nncFormat.nncompressIO(`${location.origin}/${name}`));
          return Array.from((model.predict(w.tf.tensor(features, shape)) as tf.Tensor).dataSync());
        },
        { features: Array.from(digits.features), shape, name },
      );
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith(origin))).toBe(true);
      await tf.setBackend('cpu');
      const model = await tf.loadLayersModel(nncompressIO(path.join(out, name)));
      const inNode = (model.predict(tf.tensor(digits.features, shape)) as tf.Tensor).dataSync();
      expect(inBrowser).toHaveLength(inNode.length);
      expect(Math.max(...inBrowser.map((p, i) => Math.abs(p - inNode[i])))).toBeLessThan(1e-5);
      // And the model is the compressed one that does its job: most of the 200 digits right.
      const correct = Array.from(digits.labels).reduce((n: number, label: number, i: number) => {
        const row = inBrowser.slice(10 * i, 10 * i + 10);
        return n + (row.indexOf(Math.max(...row)) === label ? 1 : 0);
      }, 0);
      expect(correct / digits.labels.length).toBeGreaterThan(0.85);
    }
  } finally {
    await page.close();
    server.close();
  }
});
