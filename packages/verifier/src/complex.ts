/** A complex number. Real answers are the common case: `im` is 0 for them. */
export interface Complex {
  re: number;
  im: number;
}

export const complex = (re: number, im = 0): Complex => ({ re, im });

export const add = (a: Complex, b: Complex): Complex => complex(a.re + b.re, a.im + b.im);
export const sub = (a: Complex, b: Complex): Complex => complex(a.re - b.re, a.im - b.im);
export const neg = (a: Complex): Complex => complex(-a.re, -a.im);

export function mul(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0) return complex(a.re * b.re);
  return complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}

export function div(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0) return complex(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  return complex((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

export const abs = (a: Complex): number => Math.hypot(a.re, a.im);

export function exp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return a.im === 0 ? complex(m) : complex(m * Math.cos(a.im), m * Math.sin(a.im));
}

/** Principal logarithm. */
export function log(a: Complex): Complex {
  if (a.im === 0 && a.re >= 0) return complex(Math.log(a.re));
  return complex(Math.log(abs(a)), Math.atan2(a.im, a.re));
}

/**
 * Power with the real cases kept exact where JavaScript's Math.pow is (so `2^{10}` is 1024, not 1023.9999...);
 * a negative base with an odd-denominator rational exponent takes the real root (`(-8)^{1/3}` = -2), as
 * contest answers intend.
 */
export function pow(base: Complex, exponent: Complex): Complex {
  if (base.im === 0 && exponent.im === 0) {
    const b = base.re;
    const e = exponent.re;
    if (b >= 0 || Number.isInteger(e)) return complex(b ** e);
    const inverse = 1 / e;
    if (
      Number.isInteger(Math.round(inverse)) &&
      Math.abs(inverse - Math.round(inverse)) < 1e-12 &&
      Math.round(inverse) % 2 !== 0
    ) {
      return complex(-((-b) ** e));
    }
  }
  if (base.re === 0 && base.im === 0) return complex(exponent.re === 0 && exponent.im === 0 ? 1 : 0);
  return exp(mul(exponent, log(base)));
}

export function sqrt(a: Complex): Complex {
  if (a.im === 0 && a.re >= 0) return complex(Math.sqrt(a.re));
  if (a.im === 0) return complex(0, Math.sqrt(-a.re));
  const m = abs(a);
  const re = Math.sqrt((m + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((m - a.re) / 2);
  return complex(re, im);
}

export const isFiniteComplex = (a: Complex): boolean => Number.isFinite(a.re) && Number.isFinite(a.im);
