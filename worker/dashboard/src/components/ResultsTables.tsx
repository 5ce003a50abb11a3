import { count, interval, pValue, percent, signedPercent } from '../format';
import type { Report } from '../types';

/** Per-variant numbers, then each treatment against the control. */
export function ResultsTables({ report }: { report: Report }) {
  const binary = report.metric_type === 'binary';
  return (
    <>
      <table class="responsive" data-testid="variant-table">
        <thead>
          <tr>
            <th>Variant</th>
            <th>Users</th>
            <th>{binary ? 'Conversions' : 'Users with events'}</th>
            <th>{binary ? 'Rate' : 'Mean'}</th>
            <th>{percent(report.confidence_level, 0)} interval</th>
          </tr>
        </thead>
        <tbody>
          {report.variants.map((v) => (
            <tr data-variant={v.variant}>
              <td data-label="Variant">
                <span>
                  {v.variant}
                  {v.variant === report.control_variant && <span class="tag">control</span>}
                </span>
              </td>
              <td data-label="Users" data-testid="users">
                {count(v.sample_size)}
              </td>
              <td data-label={binary ? 'Conversions' : 'Users with events'} data-testid="conversions">
                {count(v.conversions)}
              </td>
              <td data-label={binary ? 'Rate' : 'Mean'} data-testid="rate">
                {binary ? percent(v.conversion_rate) : v.mean_value.toPrecision(4)}
              </td>
              <td data-label="Interval" data-testid="ci">
                {binary
                  ? interval(v.confidence_interval)
                  : v.confidence_interval
                    ? `[${v.confidence_interval[0].toPrecision(4)}, ${v.confidence_interval[1].toPrecision(4)}]`
                    : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Against {report.control_variant}</h3>
      <table class="responsive" data-testid="comparison-table">
        <thead>
          <tr>
            <th>Variant</th>
            <th>Lift</th>
            <th>Difference ({percent(report.confidence_level, 0)} interval)</th>
            <th>p-value</th>
            <th>Adjusted p ({report.correction})</th>
            <th>P(beats control)</th>
            <th>Significant</th>
          </tr>
        </thead>
        <tbody>
          {report.comparisons.map((c) => (
            <tr data-variant={c.variant}>
              <td data-label="Variant">{c.variant}</td>
              <td data-label="Lift" data-testid="lift">
                {signedPercent(c.relative_lift)}
              </td>
              <td data-label="Difference" data-testid="difference">
                <span>
                  {binary ? signedPercent(c.difference) : c.difference.toPrecision(4)}{' '}
                  <span class="muted">
                    {binary
                      ? interval(c.difference_ci, true)
                      : c.difference_ci
                        ? `[${c.difference_ci[0].toPrecision(4)}, ${c.difference_ci[1].toPrecision(4)}]`
                        : ''}
                  </span>
                </span>
              </td>
              <td data-label="p-value" data-testid="p-value">
                {pValue(c.p_value)}
              </td>
              <td data-label="Adjusted p" data-testid="adjusted-p-value">
                {pValue(c.adjusted_p_value)}
              </td>
              <td data-label="P(beats control)" data-testid="p-beat">
                {percent(c.probability_to_beat_control, 1)}
              </td>
              <td data-label="Significant">
                {c.significant ? <span class="tag good">yes</span> : <span class="tag">no</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
