/**
 * report.html in a real browser: headless Chromium (Debian's package) driven by
 * playwright-core, which downloads nothing. When Chromium is missing and we are root on
 * Debian, the test installs it (`apt-get install chromium`), as CI needs; otherwise it
 * fails naming what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { BIN, LENET300, REPO } from './helpers';


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
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-browser-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('report.html opens offline in headless Chromium without console errors and shows its four plots', async () => {
  const config = path.join(dir, 'run.yaml');
  fs.writeFileSync(config, `model: ${LENET300}
data: { source: mnist, train: 500, test: 300 }
plugins:
  prune: { use: '@nncompress/plugin-magnitude' }
  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }
  encode: { use: '@nncompress/plugin-piecewise-linear', options: { relativeError: 0.02 } }
stages:
  - name: prune
    target: { sparsity: 0.9 }
`);
  const out = path.join(dir, 'out');
  const run = spawnSync(process.execPath, [BIN, 'run', config, '--out', out], { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 300_000 });
  expect(run.stderr).not.toMatch(/error/);
  expect(run.status).toBe(0);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));

  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
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
  } finally {
    await browser.close();
  }
});
