import type { ComponentChildren } from 'preact';

/** A banner: `error` (red), `warning` (amber) or `info` (blue). */
export function Notice({
  kind,
  children,
  testid,
}: {
  kind: 'error' | 'warning' | 'info' | 'success';
  children: ComponentChildren;
  testid?: string;
}) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testid}>
      {children}
    </div>
  );
}
