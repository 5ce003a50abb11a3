import { useEffect, useRef, useState } from 'preact/hooks';
import { percent } from '../format';
import type { Report } from '../types';

const ROW = 34;
const RIGHT = 16;
const AXIS = 26;

/** The element's width in CSS pixels, following resizes (so text keeps its size). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(240, Math.floor(entry.contentRect.width))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/** Nice tick step for a span. */
function step(span: number): number {
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  return unit * magnitude;
}

/**
 * Each variant's rate (or mean) with its confidence interval as an error bar, and the
 * control's value as a dashed reference line. Pure SVG, scaled to the container width.
 */
export function CiChart({ report }: { report: Report }) {
  const { ref, width: WIDTH } = useWidth(640);
  const LEFT = Math.min(130, Math.round(WIDTH * 0.3));
  const binary = report.metric_type === 'binary';
  const value = (v: Report['variants'][number]) => (binary ? v.conversion_rate : v.mean_value);
  const lows = report.variants.map((v) => v.confidence_interval?.[0] ?? value(v));
  const highs = report.variants.map((v) => v.confidence_interval?.[1] ?? value(v));
  let lo = Math.min(0, ...lows);
  let hi = Math.max(...highs, binary ? 0.01 : 1e-9);
  const tick = step(hi - lo);
  lo = Math.floor(lo / tick) * tick;
  hi = Math.ceil(hi / tick) * tick;
  const x = (v: number) => LEFT + ((v - lo) / (hi - lo || 1)) * (WIDTH - LEFT - RIGHT);
  const height = report.variants.length * ROW + AXIS + 8;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + tick / 2; t += tick) ticks.push(t);
  // Enough decimals to tell the ticks apart (2.5% steps need one).
  const whole = Math.abs(tick * 100 - Math.round(tick * 100)) < 1e-9;
  const fmt = (v: number) => (binary ? percent(v, whole ? 0 : tick * 100 >= 0.1 ? 1 : 2) : v.toPrecision(3));
  const control = report.variants.find((v) => v.variant === report.control_variant);
  const plotBottom = report.variants.length * ROW + 4;
  return (
    <figure class="chart" data-testid="ci-chart" ref={ref}>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`${binary ? 'Conversion rate' : 'Mean'} by variant with ${percent(report.confidence_level, 0)} confidence intervals`}>
        {ticks.map((t) => (
          <g key={t}>
            <line class="grid" x1={x(t)} x2={x(t)} y1={4} y2={plotBottom} />
            <text class="tick" x={x(t)} y={plotBottom + 18} text-anchor="middle">
              {fmt(t)}
            </text>
          </g>
        ))}
        {control && (
          <line class="control-line" x1={x(value(control))} x2={x(value(control))} y1={4} y2={plotBottom} />
        )}
        {report.variants.map((v, i) => {
          const y = i * ROW + ROW / 2 + 4;
          const ci = v.confidence_interval;
          const isControl = v.variant === report.control_variant;
          return (
            <g key={v.variant} class={isControl ? 'bar control' : 'bar'} data-testid="ci-row">
              <text class="label" x={LEFT - 10} y={y + 4} text-anchor="end">
                {v.variant}
              </text>
              {ci && (
                <>
                  <line class="whisker" x1={x(ci[0])} x2={x(ci[1])} y1={y} y2={y} />
                  <line class="whisker" x1={x(ci[0])} x2={x(ci[0])} y1={y - 7} y2={y + 7} />
                  <line class="whisker" x1={x(ci[1])} x2={x(ci[1])} y1={y - 7} y2={y + 7} />
                </>
              )}
              <circle class="point" cx={x(value(v))} cy={y} r={5}>
                <title>
                  {v.variant}: {binary ? percent(value(v)) : value(v).toPrecision(4)}
                  {ci ? ` (CI ${binary ? percent(ci[0]) : ci[0].toPrecision(4)} – ${binary ? percent(ci[1]) : ci[1].toPrecision(4)})` : ''}
                </title>
              </circle>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {binary ? 'Conversion rate' : 'Mean value'} per variant with {percent(report.confidence_level, 0)} confidence
        intervals; the dashed line is the control.
      </figcaption>
    </figure>
  );
}
