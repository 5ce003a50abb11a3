/** Exports a results report as a JSON or CSV download. */

import type { StatsReport } from './types';

function cell(value: unknown): string {
  if (value == null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per variant: its numbers and, for treatments, the comparison with the control. */
export function reportCsv(report: StatsReport): string {
  const header = [
    'experiment_id', 'metric', 'variant', 'is_control', 'users', 'conversions', 'rate',
    'ci_low', 'ci_high', 'difference', 'difference_ci_low', 'difference_ci_high', 'relative_lift',
    'p_value', 'adjusted_p_value', 'probability_to_beat_control', 'expected_loss', 'significant',
  ];
  const rows = report.variants.map((v) => {
    const c = report.comparisons.find((x) => x.variant === v.variant);
    const rate = report.metric_type === 'binary' ? v.conversion_rate : v.mean_value;
    return [
      report.experiment_id, report.metric, v.variant, v.variant === report.control_variant,
      v.sample_size, v.conversions, rate, v.confidence_interval?.[0], v.confidence_interval?.[1],
      c?.difference, c?.difference_ci?.[0], c?.difference_ci?.[1], c?.relative_lift,
      c?.p_value, c?.adjusted_p_value, c?.probability_to_beat_control, c?.expected_loss,
      c ? c.significant : '',
    ];
  });
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Offers `text` as a file download. */
export function download(filename: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
