import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { networkProblem, type Problem } from '../problems';

/** A refusal of the API (problem details), or no answer at all (slug "network"). */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.title ?? problem.type ?? 'problem');
  }
}

/**
 * The API typed from its OpenAPI document (web/openapi/v1.json, kept current by a test): every path, query
 * and body is checked by the compiler. The token goes with every request; a 401 ends the session.
 */
export function apiClient(token: () => string | undefined, onUnauthorized: () => void) {
  const client = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '' });
  const auth: Middleware = {
    onRequest({ request }) {
      const bearer = token();
      if (bearer) request.headers.set('Authorization', `Bearer ${bearer}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    }
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof apiClient>;

/** The data of an answer, or an ApiProblem for a refusal or a lost connection. */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiProblem(networkProblem());
  }
  if (result.error !== undefined || !result.response.ok)
    throw new ApiProblem(typeof result.error === 'object' && result.error !== null
      ? result.error as Problem
      : { status: result.response.status });
  return result.data as T;
}
