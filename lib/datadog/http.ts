import { classifyNetworkError } from './retry';

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** One HTTP attempt, reduced to what the retry loop decides on. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: Headers; body: string }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'network'; transient: boolean; description: string };

/**
 * Sends one request and reads the whole body under one timeout, so a server that stalls mid-body times out
 * like one that never answers. Never throws for network failures; classifies them instead.
 */
export async function sendOnce(fetchFunction: FetchFunction, request: HttpRequest): Promise<AttemptOutcome> {
  const controller = new AbortController();
  // A plain timer rather than AbortSignal.timeout(), so tests can drive it with fake timers.
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await fetchFunction(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const body = await response.text();
    return { kind: 'response', status: response.status, headers: response.headers, body };
  } catch (error) {
    if (controller.signal.aborted) return { kind: 'timeout', timeoutMs: request.timeoutMs };
    return { kind: 'network', ...classifyNetworkError(error) };
  } finally {
    clearTimeout(timer);
  }
}
