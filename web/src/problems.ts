import type { Messages } from './i18n/messages';

/** RFC 9457 problem details as the API writes them (product.md, "Errors"). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  traceId?: string;
  errors?: Record<string, string[]>;
  [extension: string]: unknown;
}

/** The stable slug the `type` URI ends in ("validation", "budget-exceeded", ...); "network" when nothing answered. */
export function slugOf(problem: Problem): string {
  const type = problem.type ?? '';
  const slug = type.slice(type.lastIndexOf('/') + 1);
  if (slug) return slug;
  if (problem.status === 401) return 'unauthorized';
  if (problem.status === 403) return 'forbidden';
  return problem.status && problem.status >= 500 ? 'server-error' : 'validation';
}

/** What the person reads: the slug's message in their language, the API's own words as detail when no message is known. */
export function describe(problem: Problem, t: Messages): { message: string; detail?: string } {
  const message = t.problems[slugOf(problem)];
  if (message) return { message, detail: slugOf(problem) === 'server-error' ? problem.traceId : undefined };
  return { message: problem.title ?? t.problemTitle, detail: problem.detail };
}

/**
 * Field errors keyed by the form's field names (the API's keys, case-insensitively), each in the person's
 * language when the app knows the field, else the API's own message.
 */
export function fieldErrors(problem: Problem | undefined, t: Messages): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, messages] of Object.entries(problem?.errors ?? {})) {
    const field = key.charAt(0).toLowerCase() + key.slice(1);
    result[field] = t.fields[field] ?? messages.join(' ');
  }
  return result;
}

export function networkProblem(): Problem {
  return { type: 'network', title: 'network' };
}
