import { SEARCH_RESULT_CAP } from '../datadog/types';

/**
 * How much busier than planned a bucket is, as the posterior over a grid of growth factors. Most buckets
 * are within about a quarter of their plan, but a burst can make one three times busier; a mixture prior
 * keeps the narrow belief for the first and lets a few searches establish the second.
 */
const PRIOR = {
  /** Spread of log growth in an ordinary bucket: about ±22 %. */
  narrowSpread: 0.22,
  /** Spread of log growth when the bucket holds a burst or a lull. */
  wideSpread: 0.9,
  wideWeight: 0.03,
} as const;

/**
 * Issues found per expected issue scatter about twice as widely as a Poisson count would: which issues
 * happen to err in an hour is partly chance, and a piece's count is predicted from the bucket before.
 */
const OVERDISPERSION = 2;

/**
 * No one search rules a growth out by more than this (in log likelihood, relative to the growth it fits
 * best): a search can miss its plan for reasons growth does not explain, such as a remainder holding
 * services new to the bucket, and without a floor one such search outweighs every search after it. In an
 * org of 300 services, most with one issue, a remainder that saturated held the estimate near 4 while
 * a dozen later searches each found a third of their plan. The floor leaves ordinary searches as they were:
 * only a search ruling growths out by e^12 to one is cut.
 */
const LEAST_LOG_LIKELIHOOD = 12;

/** Growth factors the estimate chooses among, from the caller's lowest up, about 2 % apart. */
const GRID = { highest: 4, spacing: 0.0197 } as const;

interface Grid {
  readonly growths: readonly number[];
  readonly logPrior: readonly number[];
}

const gridsByLowest = new Map<number, Grid>();

function gridFrom(lowest: number): Grid {
  const cached = gridsByLowest.get(lowest);
  if (cached) return cached;
  const points = Math.round(Math.log(GRID.highest / lowest) / GRID.spacing) + 1;
  const growths = Array.from({ length: points }, (_, index) =>
    Math.exp(Math.log(lowest) + (index / (points - 1)) * Math.log(GRID.highest / lowest)),
  );
  const logPrior = growths.map((growth) => {
    const logGrowth = Math.log(growth);
    const density = (spread: number) => Math.exp(-(logGrowth * logGrowth) / (2 * spread * spread)) / spread;
    return Math.log(
      (1 - PRIOR.wideWeight) * density(PRIOR.narrowSpread) + PRIOR.wideWeight * density(PRIOR.wideSpread),
    );
  });
  const grid = { growths, logPrior };
  gridsByLowest.set(lowest, grid);
  return grid;
}

/**
 * Estimates a bucket's growth from its searches: each search under the cap says how many of the issues
 * it was expected to hold it held; a saturated one says only that they were at least as many as the cap,
 * which is weak evidence when the search was packed near the cap and strong when it was packed far below.
 */
export class GrowthEstimate {
  private readonly grid: Grid;
  private readonly logLikelihood: number[];
  private cached: number | undefined = 1;
  private observations = 0;

  constructor(
    /** The least growth the searches can establish: how far below its plan a bucket may turn out. */
    lowestGrowth: number,
  ) {
    this.grid = gridFrom(lowestGrowth);
    this.logLikelihood = this.grid.growths.map(() => 0);
  }

  /** Whether any search has been observed yet. */
  get measured(): boolean {
    return this.observations > 0;
  }

  /** A search under the cap, expected to hold `expected` issues (as planned), held `found`. */
  observe(expected: number, found: number): void {
    if (expected <= 0) return;
    this.add(
      this.grid.growths.map((growth) => {
        const mean = growth * expected;
        const variance = OVERDISPERSION * mean + 1;
        return -((found - mean) ** 2) / (2 * variance) - 0.5 * Math.log(variance);
      }),
    );
  }

  /**
   * A saturated search expected to hold `expected` issues: it held at least the cap, or `atLeast` when
   * what it showed says more.
   */
  observeSaturated(expected: number, atLeast = SEARCH_RESULT_CAP): void {
    if (expected <= 0) return;
    this.add(
      this.grid.growths.map((growth) => {
        const mean = growth * expected;
        const spread = Math.sqrt(OVERDISPERSION * mean + 1);
        return Math.log(Math.max(1e-300, upperTail((atLeast - 0.5 - mean) / spread)));
      }),
    );
  }

  /** The posterior's geometric mean: the factor to scale expected counts by. */
  get value(): number {
    if (this.cached !== undefined) return this.cached;
    const logPosterior = this.grid.growths.map(
      (_, index) => this.grid.logPrior[index]! + this.logLikelihood[index]!,
    );
    const peak = Math.max(...logPosterior);
    let weight = 0;
    let weightedLog = 0;
    this.grid.growths.forEach((growth, index) => {
      const probability = Math.exp(logPosterior[index]! - peak);
      weight += probability;
      weightedLog += probability * Math.log(growth);
    });
    this.cached = Math.exp(weightedLog / weight);
    return this.cached;
  }

  private add(logLikelihood: readonly number[]): void {
    const best = Math.max(...logLikelihood);
    logLikelihood.forEach((value, index) => {
      this.logLikelihood[index]! += Math.max(value - best, -LEAST_LOG_LIKELIHOOD);
    });
    this.changed();
  }

  private changed(): void {
    this.observations += 1;
    this.cached = undefined;
  }
}

/** Numerical Recipes' rational approximation of erfc, lowest power first. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851973,
  -0.82215223, 0.17087277,
] as const;

/** P(Z > z) for a standard normal Z, to about 1e-7. */
function upperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const polynomial = ERFC_COEFFICIENTS.reduceRight((sum, coefficient) => sum * t + coefficient, 0);
  const erfc = t * Math.exp(-x * x + polynomial);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}
