import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LENET300, nncompress } from './helpers';

let dir: string;
let config: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-sens-'));
  config = path.join(dir, 'lenet300.yaml');
  fs.writeFileSync(config, `model: ${LENET300}\ndata: { source: mnist, train: 10, test: 400 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\nstages:\n  - name: s\n    target: { sparsity: 0.8 }\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('nncompress sensitivity', () => {
  it('measures every layer on worker threads, plots the curves and writes a map that reaches the target', () => {
    const out = path.join(dir, 'out');
    const r = nncompress(['sensitivity', config, '--sparsities', '0.5,0.9,0.99', '--workers', '2', '--target', '0.8', '-o', out]);
    expect(r.stderr).toMatch(/sensitivity: fc\d done \(3\/3\)/);
    expect(r.code).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'sensitivity.json'), 'utf8'));
    expect(result.layers.map((l: { layer: string }) => l.layer).sort()).toEqual(['fc1', 'fc2', 'fc3']);
    for (const layer of result.layers) {
      expect(layer.points.map((p: { sparsity: number }) => p.sparsity)).toEqual([0, 0.5, 0.9, 0.99]);
      // Pruning 99% of any layer alone costs accuracy on real digits.
      expect(layer.points[3].accuracy).toBeLessThan(layer.points[0].accuracy);
    }
    const map = JSON.parse(fs.readFileSync(path.join(out, 'sensitivity-map.json'), 'utf8'));
    const sizes: Record<string, number> = Object.fromEntries(result.layers.map((l: { layer: string; size: number }) => [l.layer, l.size]));
    const pruned = Object.entries(map.layerSparsity as Record<string, number>).reduce((n, [l, s]) => n + Math.ceil(s * sizes[l] - 1e-9), 0);
    expect(pruned).toBeGreaterThanOrEqual(Math.ceil(0.8 * result.totalKernelSize - 1e-9));
    const svg = fs.readFileSync(path.join(out, 'sensitivity.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(r.stdout).toMatch(/options: \{ layerSparsity: \{fc1: [\d.]+, fc2: [\d.]+, fc3: [\d.]+\} \}/);
  });

  it('names a layer the model does not have, and a target the curves cannot reach', () => {
    const bad = nncompress(['sensitivity', config, '--layers', 'fc9', '-o', path.join(dir, 'never')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^nncompress: error: --layers: the model has no prunable layer "fc9" \(it has fc1, fc2, fc3\)$/m);
    // A layer listed twice hung with exit 0 and no output: now one error line.
    const twice = nncompress(['sensitivity', config, '--layers', 'fc1,fc1', '-o', path.join(dir, 'twice')]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^nncompress: error: --layers: "fc1" is listed twice$/m);
    expect(fs.existsSync(path.join(dir, 'twice'))).toBe(false);
    const far = nncompress(['sensitivity', config, '--sparsities', '0.5', '--target', '0.9', '--examples', '100', '-o', path.join(dir, 'far')]);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/^nncompress: error: --target: target sparsity 0.9 is out of reach/m);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'far'))).toBe(false);
  });
});
