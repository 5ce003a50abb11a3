import { count, pValue, percent, signedPercent } from '../format';
import type { Segments } from '../types';

/** Results by segment: each segment's users and every treatment's lift and adjusted
 * p-value, the correction having run across all segments. */
export function SegmentsTable({ segments }: { segments: Segments }) {
  const treatments = segments.segments[0]?.report.comparisons.map((c) => c.variant) ?? [];
  return (
    <section class="card" data-testid="segments">
      <h3>
        By <span class="mono">{segments.dimension}</span>
      </h3>
      {segments.segments.length === 0 ? (
        <p class="muted">No exposures yet.</p>
      ) : (
        <table class="responsive">
          <thead>
            <tr>
              <th>Segment</th>
              <th>Users</th>
              <th>Control rate</th>
              {treatments.map((t) => (
                <th>
                  {t}: lift · adjusted p
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {segments.segments.map((s) => (
              <tr data-segment={s.value}>
                <td data-label="Segment" class="mono">
                  {s.value}
                </td>
                <td data-label="Users" data-testid="segment-users">
                  {count(s.users)}
                </td>
                <td data-label="Control rate">
                  {percent(s.report.variants.find((v) => v.variant === s.report.control_variant)?.conversion_rate)}
                </td>
                {s.report.comparisons.map((c) => (
                  <td data-label={c.variant} class={c.significant ? 'significant' : undefined}>
                    {signedPercent(c.relative_lift)} · {pValue(c.adjusted_p_value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted small">
        The 5 largest values, units without the attribute as <code>(none)</code>, the rest as <code>other</code>;
        p-values adjusted ({segments.correction}) across every segment, since each segment is one more test.
      </p>
    </section>
  );
}
