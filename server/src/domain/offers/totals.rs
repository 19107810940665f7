//! Offer arithmetic, exact (`Decimal`, never floats), with one rounding rule.
//!
//! **Rounding rule: every line is rounded once, to cents, half away from zero** (the
//! commercial rule on quotes and invoices, and what Postgres `round(numeric, 2)` does, so
//! `round(quantity * unit_price * (100 - discount_pct) / 100, 2)` in SQL gives the same cents):
//!
//! | value | formula |
//! |---|---|
//! | line gross | `round(quantity × unit_price, 2)` |
//! | line total | `round(quantity × unit_price × (100 − discount_pct) / 100, 2)` |
//! | subtotal | Σ line gross |
//! | total | Σ line total |
//! | discount total | subtotal − total |
//! | max discount | the largest `discount_pct` (0 without lines) |
//!
//! Totals are sums of the rounded lines, so they are exactly what a reader adds up from the
//! printed lines, and `subtotal − discount_total = total` to the cent. Rounding is monotonic,
//! so a line total is never above its gross and the discount total is never negative.
use sea_orm::{prelude::Decimal, sea_query::value::prelude::rust_decimal::RoundingStrategy};

/// Largest amount `numeric(18,2)` holds (line totals, subtotal, total).
pub fn max_amount() -> Decimal {
    Decimal::new(999_999_999_999_999_999, 2)
}

/// Largest quantity `numeric(18,4)` holds.
pub fn max_quantity() -> Decimal {
    Decimal::new(999_999_999_999_999_999, 4)
}

/// Rounds to cents, half away from zero (see the module docs).
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// One line's numbers (already validated: quantity > 0, price >= 0, discount 0..=100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    /// Quantity, up to four decimals.
    pub quantity: Decimal,
    /// Unit price, up to two decimals.
    pub unit_price: Decimal,
    /// Discount in percent, up to two decimals.
    pub discount_pct: Decimal,
}

/// A line's rounded gross and total; `None` when it overflows (the caller reports "too
/// large").
pub fn line(amounts: LineAmounts) -> Option<(Decimal, Decimal)> {
    let exact_gross = amounts.quantity.checked_mul(amounts.unit_price)?;
    let keep_pct = Decimal::ONE_HUNDRED.checked_sub(amounts.discount_pct)?;
    // Multiply before dividing: with at most 4 + 2 + 2 decimals the product is exact, and the
    // one division by 100 only shifts the decimal point.
    let exact_total = exact_gross
        .checked_mul(keep_pct)?
        .checked_div(Decimal::ONE_HUNDRED)?;
    let gross = round_cents(exact_gross);
    let total = round_cents(exact_total);
    (gross <= max_amount() && total <= max_amount()).then_some((gross, total))
}

/// The offer's totals and each line's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Each line's total, in order.
    pub line_totals: Vec<Decimal>,
    /// Σ line gross.
    pub subtotal: Decimal,
    /// subtotal − total.
    pub discount_total: Decimal,
    /// Σ line total.
    pub total: Decimal,
    /// The largest line discount in percent.
    pub max_discount_pct: Decimal,
}

/// Why [`totals`] could not add the lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalsError {
    /// Line `n` (0-based) is too large for an amount column.
    LineTooLarge(usize),
    /// The sum of the lines is too large.
    SumTooLarge,
}

/// Adds up `lines` under the module's rounding rule.
pub fn totals(lines: &[LineAmounts]) -> Result<Totals, TotalsError> {
    let mut line_totals = Vec::with_capacity(lines.len());
    let mut subtotal = Decimal::ZERO;
    let mut total = Decimal::ZERO;
    let mut max_discount_pct = Decimal::ZERO;
    for (n, amounts) in lines.iter().enumerate() {
        let (gross, line_total) = line(*amounts).ok_or(TotalsError::LineTooLarge(n))?;
        subtotal = subtotal
            .checked_add(gross)
            .ok_or(TotalsError::SumTooLarge)?;
        total = total
            .checked_add(line_total)
            .ok_or(TotalsError::SumTooLarge)?;
        max_discount_pct = max_discount_pct.max(amounts.discount_pct);
        line_totals.push(line_total);
    }
    if subtotal > max_amount() {
        return Err(TotalsError::SumTooLarge);
    }
    Ok(Totals {
        line_totals,
        discount_total: subtotal - total,
        subtotal,
        total,
        max_discount_pct: max_discount_pct.normalize(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn amounts(q: &str, p: &str, pct: &str) -> LineAmounts {
        LineAmounts {
            quantity: d(q),
            unit_price: d(p),
            discount_pct: d(pct),
        }
    }

    #[test]
    fn a_half_cent_rounds_away_from_zero() {
        // 1 x 0.05 at 50 % = 0.025 -> 0.03 (half-even would give 0.02).
        assert_eq!(
            line(amounts("1", "0.05", "50")),
            Some((d("0.05"), d("0.03")))
        );
        // 3 x 0.35 at 50 % = 0.525 -> 0.53.
        assert_eq!(
            line(amounts("3", "0.35", "50")),
            Some((d("1.05"), d("0.53")))
        );
    }

    #[test]
    fn fractional_quantities_and_discounts_are_exact() {
        // 2.5 x 19.99 = 49.975 -> 49.98; x 0.875 = 43.728125 -> 43.73.
        assert_eq!(
            line(amounts("2.5", "19.99", "12.5")),
            Some((d("49.98"), d("43.73")))
        );
        // 0.3333 x 3.00 = 0.9999 -> 1.00.
        assert_eq!(
            line(amounts("0.3333", "3", "0")),
            Some((d("1.00"), d("1.00")))
        );
    }

    #[test]
    fn totals_are_sums_of_rounded_lines() {
        let t = totals(&[
            amounts("3", "0.35", "50"),
            amounts("2.5", "19.99", "12.5"),
            amounts("1", "100", "0"),
        ])
        .unwrap();
        assert_eq!(t.line_totals, vec![d("0.53"), d("43.73"), d("100")]);
        assert_eq!(t.subtotal, d("151.03"));
        assert_eq!(t.total, d("144.26"));
        assert_eq!(t.discount_total, d("6.77"));
        assert_eq!(t.max_discount_pct, d("50"));
    }

    #[test]
    fn an_empty_offer_totals_zero() {
        let t = totals(&[]).unwrap();
        assert_eq!(
            (t.subtotal, t.total, t.max_discount_pct),
            (d("0"), d("0"), d("0"))
        );
    }

    #[test]
    fn amounts_beyond_the_columns_are_refused() {
        let huge = amounts("99999999999999.9999", "9999999999999999.99", "0");
        assert_eq!(totals(&[huge]), Err(TotalsError::LineTooLarge(0)));
        let big = amounts("1", "9999999999999999.99", "0");
        assert_eq!(totals(&[big, big]), Err(TotalsError::SumTooLarge));
    }
}
