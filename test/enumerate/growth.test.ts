import { describe, expect, it } from 'vitest';
import { GrowthEstimate } from '../../lib/enumerate/growth';

describe('estimating how much busier than planned a bucket is', () => {
  it('is 1 before any search, as planned', () => {
    const estimate = new GrowthEstimate(0.6);
    expect(estimate.measured).toBe(false);
    expect(estimate.value).toBe(1);
  });

  it('follows searches under the cap, damped while they are few', () => {
    const one = new GrowthEstimate(0.6);
    one.observe(70, 91);
    expect(one.value).toBeGreaterThan(1.15);
    expect(one.value).toBeLessThan(1.3);
    const many = new GrowthEstimate(0.6);
    for (let search = 0; search < 6; search++) many.observe(80, 104);
    expect(many.value).toBeGreaterThan(1.25);
    expect(many.value).toBeLessThan(1.31);
  });

  it('reads a saturated search said to have matched more than the cap as that much growth at least', () => {
    const cap = new GrowthEstimate(0.6);
    cap.observeSaturated(70);
    const more = new GrowthEstimate(0.6);
    more.observeSaturated(70, 165);
    expect(cap.value).toBeLessThan(1.7);
    expect(more.value).toBeGreaterThan(165 / 70);
  });

  it('reads a saturated search packed far below the cap as a burst, and one packed near it as noise', () => {
    const farBelow = new GrowthEstimate(0.6);
    farBelow.observeSaturated(67);
    const nearCap = new GrowthEstimate(0.6);
    nearCap.observeSaturated(88);
    expect(farBelow.measured).toBe(true);
    expect(farBelow.value).toBeGreaterThan(1.45);
    expect(nearCap.value).toBeGreaterThan(1.1);
    expect(nearCap.value).toBeLessThan(1.3);
  });

  it('reaches a burst of three times the plan within a few searches', () => {
    const estimate = new GrowthEstimate(0.6);
    estimate.observeSaturated(67);
    estimate.observeSaturated(40);
    estimate.observe(30, 87);
    expect(estimate.value).toBeGreaterThan(2.5);
  });

  it('does not fall below its lowest growth: a bucket quieter than that still gets searches sized for it', () => {
    const observeLull = (estimate: GrowthEstimate) => {
      estimate.observe(70, 18);
      estimate.observe(100, 30);
      return estimate.value;
    };
    const floored = observeLull(new GrowthEstimate(0.6));
    expect(floored).toBeGreaterThanOrEqual(0.6);
    expect(floored).toBeLessThan(0.7);
    const wide = observeLull(new GrowthEstimate(0.25));
    expect(wide).toBeGreaterThan(0.25);
    expect(wide).toBeLessThan(0.4);
  });
});

describe('a search that missed its plan for reasons growth does not explain', () => {
  it('does not outweigh the searches after it', () => {
    // A remainder planned at 12 issues saturates: it held services new to the bucket. Every search after
    // it finds about a third of its plan.
    const estimate = new GrowthEstimate(0.25);
    estimate.observeSaturated(12);
    for (let search = 0; search < 3; search++) estimate.observe(90, 30);
    expect(estimate.value).toBeLessThan(0.6);
  });

  it('still reads a burst that every search shows', () => {
    const estimate = new GrowthEstimate(0.25);
    estimate.observeSaturated(12);
    for (let search = 0; search < 3; search++) estimate.observe(30, 95);
    expect(estimate.value).toBeGreaterThan(2.8);
  });
});
