// The verdict of a matched comparison: did the paper's choice win, by more
// than the spread between seeds says chance could?
//
// Each variant is trained with the same K seeds. For a metric where lower is
// better (an error rate, epochs to a target), d = mean(ablated) - mean(paper's
// choice) is the measured effect. Its noise is the standard error of that
// difference: sqrt(sd_a^2 / K_a + sd_b^2 / K_b) for independent runs, or
// sd(d_i) / sqrt(K) when both variants are measured on the same nets (ten
// crops against the centre view of each trained net). The effect counts when
// it exceeds twice its standard error (about a 95 % two-sided interval for
// normal errors; with 3 seeds the interval is wider, so the rule errs towards
// "within noise"). With one seed there is no spread: the verdict says so.

/** Mean and sample standard deviation (n - 1) of some values; sd is 0 for a single value. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  if (xs.length === 0) throw new RangeError('meanSd: no values');
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd };
}

/** The three verdicts of the issue, and the one-seed case where no spread is known. */
export type Verdict = 'reproduced in direction' | 'not reproduced' | 'within noise' | 'one seed: direction only';

/** A measured effect: the difference, its standard error and the verdict. */
export interface Effect {
  /** mean(ablated) - mean(paper's choice), in the metric's units (positive: the paper's choice is better). */
  difference: number;
  /** Standard error of the difference (0 with one seed). */
  standardError: number;
  verdict: Verdict;
}

function judge(difference: number, standardError: number, seeds: number): Effect {
  if (seeds < 2) {
    return { difference, standardError: 0, verdict: difference > 0 ? 'one seed: direction only' : 'not reproduced' };
  }
  const verdict: Verdict = Math.abs(difference) <= 2 * standardError ? 'within noise' : difference > 0 ? 'reproduced in direction' : 'not reproduced';
  return { difference, standardError, verdict };
}

/**
 * The effect of the paper's choice on a lower-is-better metric, from the
 * per-seed values of the paper's variant and of the ablated one (independent runs).
 */
export function independentEffect(paper: readonly number[], ablated: readonly number[]): Effect {
  const a = meanSd(paper), b = meanSd(ablated);
  const se = Math.sqrt((a.sd ** 2) / paper.length + (b.sd ** 2) / ablated.length);
  return judge(b.mean - a.mean, se, Math.min(paper.length, ablated.length));
}

/** The same for paired measurements (both variants measured on each seed's one net): ablated[i] - paper[i]. */
export function pairedEffect(paper: readonly number[], ablated: readonly number[]): Effect {
  if (paper.length !== ablated.length) throw new RangeError(`pairedEffect: ${paper.length} and ${ablated.length} values do not pair`);
  const d = meanSd(ablated.map((x, i) => x - paper[i]));
  return judge(d.mean, d.sd / Math.sqrt(paper.length), paper.length);
}
