import type { FieldProblem } from '../types';

/**
 * The server's (or the form's own) messages for one field, shown under its input. For an
 * input typed in percent (`percent`), the server's limits are in fractions, so say so.
 */
export function FieldError({ problems, field, percent = false }: { problems: FieldProblem[]; field: string; percent?: boolean }) {
  const mine = problems.filter((p) => p.field === field);
  if (mine.length === 0) return null;
  return (
    <p class="field-error" data-field-error={field} role="alert">
      {mine.map((p) => p.message).join('; ')}
      {percent && ' (the API counts in fractions of 1; type a percentage here, e.g. 10 for 0.1)'}
    </p>
  );
}

/** Problems listed by field path, for those with no input of their own to sit under. */
export function ProblemList({ problems }: { problems: FieldProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul>
      {problems.map((p) => (
        <li>
          <code>{p.field}</code>: {p.message}
        </li>
      ))}
    </ul>
  );
}
