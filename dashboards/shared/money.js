// Money and numbers as the pages show them, for the console and the till screen alike. Money
// is integer minor units both ways: what a person types is parsed as a decimal string, and what
// is shown is formatted in integer arithmetic, so no float ever rounds a cent.

const fractionDigits = new Map();

/** Digits after the decimal point for a currency: 2 for EUR, 0 for JPY. */
export function digitsOf(currency) {
  if (!fractionDigits.has(currency)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits;
    } catch {
      // an unknown code: assume cents
    }
    fractionDigits.set(currency, digits);
  }
  return fractionDigits.get(currency);
}

export const grouped = (n) =>
  `${n < 0 ? '−' : ''}${String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;

/** Integer minor units to "1,234.56 EUR". */
export function money(minor, currency = 'EUR') {
  if (minor === null || minor === undefined) return '–';
  const digits = digitsOf(currency);
  const unit = 10 ** digits;
  const abs = Math.abs(minor);
  const whole = grouped(Math.floor(abs / unit));
  const fraction = digits > 0 ? `.${String(abs % unit).padStart(digits, '0')}` : '';
  return `${minor < 0 ? '−' : ''}${whole}${fraction} ${currency}`;
}

/** Minor units as a plain decimal for a CSV or a chart's axis ("1234.56"). */
export function decimal(minor, currency = 'EUR') {
  const digits = digitsOf(currency);
  const unit = 10 ** digits;
  const abs = Math.abs(minor);
  const fraction = digits > 0 ? `.${String(abs % unit).padStart(digits, '0')}` : '';
  return `${minor < 0 ? '-' : ''}${Math.floor(abs / unit)}${fraction}`;
}

export const count = (n) => (n === null || n === undefined ? '–' : grouped(n));

export const percent = (ratio) =>
  ratio === null || ratio === undefined ? '–' : `${Math.round(ratio * 100)} %`;

/** The largest amount a sale's line may hold (the event contract's limit). */
const MAX_MINOR = 1_000_000_000_00;

/**
 * "12.5", "12,50" or "12" in the currency's major units to integer minor units (1250), parsed as
 * digits: `{ ok: false, message }` when it is not an amount of this currency.
 */
export function parseMoney(text, currency = 'EUR') {
  const digits = digitsOf(currency);
  const trimmed = String(text).trim();
  const shape = digits > 0 ? new RegExp(`^(\\d+)(?:[.,](\\d{1,${digits}}))?$`) : /^(\d+)$/;
  const match = shape.exec(trimmed);
  if (!match) {
    const example = digits > 0 ? `12.${'5'.padEnd(digits, '0')}` : '1250';
    return {
      ok: false,
      message:
        digits > 0
          ? `must be an amount such as ${example}, with at most ${digits} digits after the point`
          : `must be a whole amount such as ${example}`,
    };
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(digits, '0') || '0');
  const minor = whole * 10 ** digits + fraction;
  if (!Number.isSafeInteger(minor) || minor > MAX_MINOR) {
    return { ok: false, message: 'is larger than any retail amount' };
  }
  return { ok: true, minor };
}
