/**
 * Fault injection for the API endpoints: random faults at configured rates (reproducible from a seed) and
 * faults forced by a test for the next N requests.
 */
import { Random } from './random';

export const FAULT_KINDS = [
  'server_error',
  'bad_gateway',
  'service_unavailable',
  'truncated_json',
  'rate_limited',
  'connection_reset',
  'slow',
] as const;
/**
 * - `server_error`: 500 with a JSON error body.
 * - `bad_gateway` / `service_unavailable`: 502 / 503 with an HTML body, as a gateway sends.
 * - `truncated_json`: the real response, status 200, cut in half.
 * - `rate_limited`: 429 with rate-limit headers, whatever the real budget.
 * - `connection_reset`: the socket is destroyed without a response.
 * - `slow`: the real response after `delayMs` (for client timeouts).
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

export const SIMULATOR_ENDPOINTS = [
  'search',
  'get_issue',
  'update_state',
  'get_case',
  'get_team',
  'get_user',
  'unknown',
] as const;
export type SimulatorEndpoint = (typeof SIMULATOR_ENDPOINTS)[number];

export interface FaultOptions {
  /** Seed of the random faults. Default: the org seed. */
  seed?: number;
  /** Fraction of API requests answered 500. */
  serverErrorRate?: number;
  /** Fraction answered 502 with HTML. */
  badGatewayRate?: number;
  /** Fraction answered 503 with HTML. */
  serviceUnavailableRate?: number;
  /** Fraction answered 200 with truncated JSON. */
  truncatedJsonRate?: number;
  /** Latency added to every API request, in ms. */
  latencyMs?: number;
  /** Extra uniform random latency in [0, latencyJitterMs). */
  latencyJitterMs?: number;
}

export interface InjectFaultsOptions {
  /** Only requests to this endpoint consume the injected faults. Default: any API endpoint. */
  endpoint?: SimulatorEndpoint;
  /** Delay of `slow` faults, in ms. Default 2000. */
  delayMs?: number;
}

export interface FaultDecision {
  kind: FaultKind | undefined;
  /** Wait before answering (configured latency, plus the delay of a `slow` fault). */
  delayMs: number;
}

interface InjectedFault {
  kind: FaultKind;
  remaining: number;
  endpoint: SimulatorEndpoint | undefined;
  delayMs: number;
}

export class FaultPlan {
  private readonly random: Random;
  private injected: InjectedFault[] = [];

  constructor(
    private readonly options: FaultOptions,
    defaultSeed: number,
  ) {
    for (const name of [
      'serverErrorRate',
      'badGatewayRate',
      'serviceUnavailableRate',
      'truncatedJsonRate',
    ] as const) {
      const rate = options[name];
      if (rate !== undefined && !(rate >= 0 && rate <= 1))
        throw new RangeError(`faults.${name} must be in 0..1`);
    }
    this.random = new Random((options.seed ?? defaultSeed) ^ 0x6a09e667);
  }

  inject(kind: FaultKind, count: number, options: InjectFaultsOptions = {}): void {
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`unknown fault kind "${kind}"`);
    if (!(Number.isInteger(count) && count >= 0))
      throw new RangeError('fault count must be a non-negative integer');
    if (count === 0) return;
    this.injected.push({
      kind,
      remaining: count,
      endpoint: options.endpoint,
      delayMs: options.delayMs ?? 2000,
    });
  }

  clear(): void {
    this.injected = [];
  }

  /** Decides the fault of one API request; injected faults take precedence over random ones. */
  next(endpoint: SimulatorEndpoint): FaultDecision {
    // Random draws happen on every request so the random sequence does not depend on injected faults.
    const roll = this.random.next();
    const jitter = this.random.next() * (this.options.latencyJitterMs ?? 0);
    const latency = Math.max(0, (this.options.latencyMs ?? 0) + jitter);
    const forced = this.injected.find((fault) => fault.endpoint === undefined || fault.endpoint === endpoint);
    if (forced) {
      forced.remaining--;
      if (forced.remaining <= 0) this.injected.splice(this.injected.indexOf(forced), 1);
      return { kind: forced.kind, delayMs: latency + (forced.kind === 'slow' ? forced.delayMs : 0) };
    }
    let threshold = 0;
    const rates: Array<[FaultKind, number | undefined]> = [
      ['server_error', this.options.serverErrorRate],
      ['bad_gateway', this.options.badGatewayRate],
      ['service_unavailable', this.options.serviceUnavailableRate],
      ['truncated_json', this.options.truncatedJsonRate],
    ];
    for (const [kind, rate] of rates) {
      threshold += rate ?? 0;
      if (roll < threshold) return { kind, delayMs: latency };
    }
    return { kind: undefined, delayMs: latency };
  }

  get pendingInjected(): number {
    return this.injected.reduce((sum, fault) => sum + fault.remaining, 0);
  }
}
