// Numbers and money as the console shows them. Money arrives in integer minor units and is
// formatted in integer arithmetic: no float ever rounds a cent.

const fractionDigits = new Map();

/** Digits after the decimal point for a currency: 2 for EUR, 0 for JPY. */
function digitsOf(currency) {
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
