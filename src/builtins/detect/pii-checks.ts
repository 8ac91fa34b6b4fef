/**
 * Check digits and registries for personal data: Luhn (payment cards), the IBAN registry's country lengths and
 * mod-97 (ISO 13616), issuer prefixes of payment cards, valid US SSN ranges, NANP area codes.
 * GUARANTEES: pure, total, linear in the digits given.
 */

/** The Luhn checksum holds for this string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * A card number by its issuer prefix and length: Visa (4; 13, 16, 19), Mastercard (51-55, 2221-2720; 16),
 * American Express (34, 37; 15), Discover (6011, 644-649, 65; 16-19), JCB (3528-3589; 16-19), Diners (300-305,
 * 36, 38, 39; 14-19), UnionPay (62; 16-19), Maestro (50, 56-58, 6304, 67; 12-19).
 */
export function cardIssuer(d: string): string | undefined {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === "4") return n === 13 || n === 16 || n === 19 ? "visa" : undefined;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16 ? "mastercard" : undefined;
  if (p2 === 34 || p2 === 37) return n === 15 ? "amex" : undefined;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16 ? "discover" : undefined;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 ? "jcb" : undefined;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 ? "diners" : undefined;
  if (p2 === 62) return n >= 16 ? "unionpay" : undefined;
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p4 === 6304 || p2 === 67) return n >= 13 ? "maestro" : undefined;
  return undefined;
}

/** IBAN length per country (the SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18,
  FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24,
  ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23,
  ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 13616 mod-97 over a compact upper-case IBAN. */
export function ibanValid(iban: string): boolean {
  const len = IBAN_LENGTHS[iban.slice(0, 2)];
  if (len === undefined || iban.length !== len) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * A US SSN in an issued range: area 001-899 but not 666, group 01-99, serial 0001-9999; not the numbers
 * published in advertising (078-05-1120, 219-09-9999) nor the range reserved for them (987-65-4320..4329).
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === "00" || serial === "0000") return false;
  const whole = `${area}${group}${serial}`;
  return whole !== "078051120" && whole !== "219099999";
}

/** A NANP number: area code and exchange both start with 2-9, and the area code is not N11 (211, 911...). */
export function nanpValid(area: string, exchange: string): boolean {
  if (area[0]! < "2" || exchange[0]! < "2") return false;
  if (area[1] === "1" && area[2] === "1") return false;
  return !(exchange[1] === "1" && exchange[2] === "1");
}
