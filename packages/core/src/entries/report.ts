/**
 * `@nncompress/core/report`: report.json's types, report.html, the SVG charts, and the
 * markdown tables the docs are generated from.
 */
export type { Report, ReportStage, ReportLayer, ReportEncoding, ReportStructure, ReportData, ReportGoal, ReportGoalTrial, GoalCosts } from '../report/report';
export { costOf, showCost, resourceColumn } from '../report/goal-costs';
export { renderHtml } from '../report/html';
export { lineChart, escapeXml, CHART_COLORS } from '../report/svg';
export type { LineChartOptions, ChartSeries, ChartPoint } from '../report/svg';
export { configMarkdownTable, optionsMarkdownTable } from '../plugins/options-table';
export { importanceMarkdownTable } from '../importance';
