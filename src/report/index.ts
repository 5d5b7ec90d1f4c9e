import type { AnalysisResult } from './result.js';
import type { Format, ReportOptions, Reporter } from './format.js';
import { github } from './github.js';
import { json } from './json.js';
import { junit } from './junit.js';
import { sarif } from './sarif.js';
import { stylish } from './stylish.js';

const REPORTERS: Record<Format, Reporter> = { stylish, json, sarif, github, junit };

/** Renders an analysis in a format. */
export function render(format: Format, result: AnalysisResult, options: ReportOptions): string {
  return REPORTERS[format](result, options);
}
