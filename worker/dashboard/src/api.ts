/** Calls to the Cleave API (same origin), with the admin token and the server's errors. */

import { token } from './session';
import type { FieldProblem } from './types';

/** An error response: `{"error": {"code", "message", "field"?, "details"?}}`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** Every field problem: the details, else the single named field. */
  problems(): FieldProblem[] {
    if (this.details.length > 0) return this.details;
    return this.field ? [{ field: this.field, message: this.message }] : [];
  }

  /** The token was missing or refused. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Listeners told when the server refuses the stored token (the app signs out). */
const refusedListeners = new Set<() => void>();

/** Runs `f` whenever an admin call is refused; returns the unsubscribe function. */
export function onTokenRefused(f: () => void): () => void {
  refusedListeners.add(f);
  return () => refusedListeners.delete(f);
}

/** Sends a request (with the stored token and any `extra` headers) and returns the answer's
 * text; throws [`ApiError`] for a network failure or any non-2xx. */
export async function requestText(
  method: string,
  path: string,
  body?: unknown,
  bearer: string | null = token(),
  extra: Record<string, string> = {},
): Promise<string> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', `The server could not be reached (${String(e)}).`);
  }
  const text = await response.text();
  if (response.ok) return text;
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // A non-JSON answer (e.g. a proxy error page) is reported below.
  }
  const error = (data as { error?: Partial<ApiError> & { details?: FieldProblem[] } } | null)?.error;
  const failure = new ApiError(
    response.status,
    error?.code ?? 'http_error',
    error?.message ?? `${method} ${path} failed with HTTP ${response.status}`,
    error?.field ?? null,
    error?.details ?? [],
  );
  if (failure.unauthorized && bearer) refusedListeners.forEach((f) => f());
  throw failure;
}

/** Sends a request (with the stored token and any `extra` headers) and parses the JSON answer;
 * throws [`ApiError`] for any non-2xx. */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  bearer: string | null = token(),
  extra: Record<string, string> = {},
): Promise<T> {
  const text = await requestText(method, path, body, bearer, extra);
  try {
    return (text ? JSON.parse(text) : null) as T;
  } catch {
    throw new ApiError(200, 'http_error', `${method} ${path} answered with something other than JSON.`);
  }
}
