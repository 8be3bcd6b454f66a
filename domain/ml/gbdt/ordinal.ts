/**
 * The ordinal objective: a cumulative logit link with one latent score f and K-1 increasing cut
 * points theta, P(y <= k) = sigmoid(theta_k - f). Trees fit f on the gradient and hessian of the
 * negative log-likelihood; between boosting rounds the cut points are re-fitted by Newton steps on
 * the same likelihood with f held fixed (it is convex in theta, with a tridiagonal Hessian). Two
 * steps per round: the cut points move little between rounds and start from the last fit.
 */

const P_MIN = 1e-15;

/** sigmoid(z) and 1 - sigmoid(z) without cancellation, from one exp (into pair[0], pair[1]). */
function sigmoidPair(z: number, pair: Float64Array): void {
  const e = Math.exp(-Math.abs(z));
  const inv = 1 / (1 + e);
  if (z >= 0) {
    pair[0] = inv;
    pair[1] = e * inv;
  } else {
    pair[0] = e * inv;
    pair[1] = inv;
  }
}
const PAIR = new Float64Array(2);

/**
 * Per row of class c given f: the probability of c and the first and second derivatives of
 * -log P(y = c) with respect to f. Written into out[0..2].
 */
export function ordinalRow(theta: Float64Array, c: number, f: number, out: Float64Array): void {
  const K1 = theta.length; // K - 1
  let a = 1; // P(y <= c)
  let oneMinusA = 0;
  let b = 0; // P(y <= c - 1)
  let oneMinusB = 1;
  if (c < K1) {
    sigmoidPair(theta[c]! - f, PAIR);
    a = PAIR[0]!;
    oneMinusA = PAIR[1]!;
  }
  if (c > 0) {
    sigmoidPair(theta[c - 1]! - f, PAIR);
    b = PAIR[0]!;
    oneMinusB = PAIR[1]!;
  }
  // The probability of the extreme classes without cancellation: 1 - b is sigmoid(f - theta).
  const p = Math.max(P_MIN, c === 0 ? a : c === K1 ? oneMinusB : a - b);
  const ua = a * oneMinusA;
  const ub = b * oneMinusB;
  const g = (ua - ub) / p;
  const q = ua * (1 - 2 * a) - ub * (1 - 2 * b);
  out[0] = p;
  out[1] = g;
  out[2] = Math.max(1e-16, g * g - q / p);
}

/** Weighted mean negative log-likelihood. */
export function ordinalNll(theta: Float64Array, y: ArrayLike<number>, f: Float64Array, w: Float64Array | undefined): number {
  const tmp = new Float64Array(3);
  let s = 0;
  let sw = 0;
  for (let r = 0; r < f.length; r++) {
    ordinalRow(theta, y[r]!, f[r]!, tmp);
    const wr = w ? w[r]! : 1;
    s -= wr * Math.log(tmp[0]!);
    sw += wr;
  }
  return s / sw;
}

/** Cut points from the cumulative class frequencies (f = 0), clipped away from 0 and 1. */
export function initialThresholds(y: ArrayLike<number>, w: Float64Array | undefined, K: number): Float64Array {
  const counts = new Float64Array(K);
  let total = 0;
  for (let r = 0; r < y.length; r++) {
    const wr = w ? w[r]! : 1;
    counts[y[r]!] = counts[y[r]!]! + wr;
    total += wr;
  }
  const theta = new Float64Array(K - 1);
  let cum = 0;
  for (let k = 0; k < K - 1; k++) {
    cum += counts[k]!;
    // A small prior share per class keeps empty classes from collapsing two cut points.
    const pc = (cum + 0.5 * (k + 1)) / (total + 0.5 * K);
    theta[k] = Math.log(pc / (1 - pc));
  }
  return theta;
}

/**
 * A few damped Newton steps on theta with f fixed. Steps that do not lower the likelihood or
 * that break the strict order are halved, so the cut points always stay increasing.
 */
export function refitThresholds(theta: Float64Array, y: ArrayLike<number>, f: Float64Array, w: Float64Array | undefined, steps = 2): void {
  const m = theta.length;
  const grad = new Float64Array(m);
  const diag = new Float64Array(m);
  const off = new Float64Array(Math.max(0, m - 1)); // H[k][k+1]
  const cand = new Float64Array(m);
  const cp = new Float64Array(m);
  const dp = new Float64Array(m);
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    grad.fill(0);
    diag.fill(0);
    off.fill(0);
    let sw = 0;
    let nll = 0;
    for (let r = 0; r < f.length; r++) {
      const c = y[r]!;
      const fr = f[r]!;
      const wr = w ? w[r]! : 1;
      sw += wr;
      let a = 1;
      let oma = 0;
      let b = 0;
      let omb = 1;
      if (c < m) {
        sigmoidPair(theta[c]! - fr, PAIR);
        a = PAIR[0]!;
        oma = PAIR[1]!;
      }
      if (c > 0) {
        sigmoidPair(theta[c - 1]! - fr, PAIR);
        b = PAIR[0]!;
        omb = PAIR[1]!;
      }
      const p = Math.max(P_MIN, c === 0 ? a : c === m ? omb : a - b);
      nll -= wr * Math.log(p);
      const ua = a * oma;
      const ub = b * omb;
      if (c < m) {
        // d(-log p)/d theta_c = -ua/p; second derivative (ua/p)^2 - ua(1-2a)/p.
        grad[c] = grad[c]! - (wr * ua) / p;
        diag[c] = diag[c]! + wr * ((ua / p) * (ua / p) - (ua * (1 - 2 * a)) / p);
      }
      if (c > 0) {
        grad[c - 1] = grad[c - 1]! + (wr * ub) / p;
        diag[c - 1] = diag[c - 1]! + wr * ((ub / p) * (ub / p) + (ub * (1 - 2 * b)) / p);
      }
      if (c > 0 && c < m) off[c - 1] = off[c - 1]! - (wr * ua * ub) / (p * p);
    }
    // The loss at the current theta comes from the same pass (the last accepted step's loss).
    loss = nll / sw;
    // Solve (H + ridge) d = -grad, tridiagonal (Thomas algorithm).
    for (let k = 0; k < m; k++) {
      grad[k] = grad[k]! / sw;
      diag[k] = diag[k]! / sw + 1e-9;
    }
    for (let k = 0; k < m - 1; k++) off[k] = off[k]! / sw;
    cp[0] = m > 1 ? off[0]! / diag[0]! : 0;
    dp[0] = -grad[0]! / diag[0]!;
    for (let k = 1; k < m; k++) {
      const den = diag[k]! - off[k - 1]! * cp[k - 1]!;
      cp[k] = k < m - 1 ? off[k]! / den : 0;
      dp[k] = (-grad[k]! - off[k - 1]! * dp[k - 1]!) / den;
    }
    for (let k = m - 2; k >= 0; k--) dp[k] = dp[k]! - cp[k]! * dp[k + 1]!;
    let step = 1;
    let improved = false;
    for (let tries = 0; tries < 20; tries++) {
      let ordered = true;
      for (let k = 0; k < m; k++) {
        cand[k] = theta[k]! + step * dp[k]!;
        if (k > 0 && !(cand[k]! > cand[k - 1]! + 1e-9)) ordered = false;
        if (!Number.isFinite(cand[k]!)) ordered = false;
      }
      if (ordered) {
        const l = ordinalNll(cand, y, f, w);
        if (l < loss) {
          theta.set(cand);
          loss = l;
          improved = true;
          break;
        }
      }
      step /= 2;
    }
    if (!improved) break;
  }
}
