/**
 * Inline SVG line charts for the report and the CLI's plots: no scripts, no fonts to load,
 * so a page or file shows them offline.
 */

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  /** Written next to the point's dot. */
  readonly label?: string;
}

export interface ChartSeries {
  readonly label: string;
  readonly points: readonly ChartPoint[];
  /** This series' colour for its line and its dots (default: by position, dots red). */
  readonly color?: string;
  /** Overrides the chart's `dots` for this series. */
  readonly dots?: boolean;
  /** Draw no line through the points (dots only). */
  readonly noLine?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  readonly xTicks: readonly number[];
  readonly yTicks: readonly number[];
  readonly formatX: (x: number) => string;
  readonly formatY: (y: number) => string;
  readonly xLabel: string;
  /** Log-scale x axis (ranges and ticks stay in data units). */
  readonly xLog?: boolean;
  /** A dot (and its label) at every point. */
  readonly dots?: boolean;
  /** A legend of the series on the right. */
  readonly legend?: boolean;
  /** With the xmlns attribute, for a standalone .svg file. */
  readonly standalone?: boolean;
}

export const CHART_COLORS = ['#3b6ea5', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f', '#2e4057', '#c3423f'];

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function lineChart(o: LineChartOptions): string {
  const width = 640;
  const height = 320;
  const left = 60;
  const right = o.legend ? 150 : 20;
  const top = 30;
  const bottom = 40;
  const tx = (x: number): number => (o.xLog ? Math.log10(x) : x);
  const [x0, x1] = [tx(o.xRange[0]), tx(o.xRange[1])];
  const [y0, y1] = o.yRange;
  const px = (x: number): number => left + ((tx(x) - x0) / (x1 - x0 || 1)) * (width - left - right);
  const py = (y: number): number => top + (1 - (y - y0) / (y1 - y0 || 1)) * (height - top - bottom);
  const f = (v: number): string => v.toFixed(1);
  const xGrid = o.xTicks.map((x) => `<line x1="${f(px(x))}" y1="${top}" x2="${f(px(x))}" y2="${height - bottom}" stroke="#ddd"/><text x="${f(px(x))}" y="${height - bottom + 14}" text-anchor="middle">${escapeXml(o.formatX(x))}</text>`).join('');
  const yGrid = o.yTicks.map((y) => `<line x1="${left}" y1="${f(py(y))}" x2="${width - right}" y2="${f(py(y))}" stroke="#ddd"/><text x="${left - 4}" y="${f(py(y) + 4)}" text-anchor="end">${escapeXml(o.formatY(y))}</text>`).join('');
  const series = o.series
    .map((s, i) => {
      const color = s.color ?? (o.dots && o.series.length === 1 ? '#999' : CHART_COLORS[i % CHART_COLORS.length]);
      const withDots = s.dots ?? o.dots;
      const line = s.noLine ? '' : `<polyline fill="none" stroke="${color}" stroke-width="${o.dots ? 1 : 2}" points="${s.points.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ')}"/>`;
      const dotColor = s.color ?? '#d1495b';
      const dots = withDots ? s.points.map((p) => `<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="4" fill="${dotColor}"/>${p.label ? `<text x="${f(px(p.x) + 6)}" y="${f(py(p.y) - 6)}">${escapeXml(p.label)}</text>` : ''}`).join('') : '';
      const key = o.legend ? `<rect x="${width - right + 10}" y="${top + i * 18}" width="12" height="12" fill="${color}"/><text x="${width - right + 28}" y="${top + i * 18 + 10}">${escapeXml(s.label)}</text>` : '';
      return line + dots + key;
    })
    .join('');
  return `<svg${o.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : ''} role="img" aria-label="${escapeXml(o.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<text x="0" y="16" font-weight="bold" font-size="12">${escapeXml(o.title)}</text>${xGrid}${yGrid}${series}` +
    `<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">${escapeXml(o.xLabel)}</text></svg>`;
}
