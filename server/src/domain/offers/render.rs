//! The offer as the customer reads it: plain text for a Chatwoot message (title, one line per
//! item with its numbers, the totals, the validity and the terms).
use std::fmt::Write;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Decimal;

use crate::domain::offers::{Offer, OfferItem};

/// An amount with two decimals ("1234.50").
pub fn amount(value: Decimal) -> String {
    let mut d = value.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// A quantity or percentage without trailing zeros ("2", "1.5").
fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The message text of `offer` with `items` (in position order).
pub fn message_text(offer: &Offer, items: &[OfferItem]) -> String {
    let currency = &offer.currency;
    let mut text = String::new();
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(text, "{}", offer.title);
    text.push('\n');
    for item in items {
        let name = match &item.sku {
            Some(sku) => format!("{} ({sku})", item.name),
            None => item.name.clone(),
        };
        let discount = if item.discount_pct.is_zero() {
            String::new()
        } else {
            format!(", -{}%", plain(item.discount_pct))
        };
        let _ = writeln!(
            text,
            "- {name}: {} x {} {currency}{discount} = {} {currency}",
            plain(item.quantity),
            amount(item.unit_price),
            amount(item.line_total),
        );
        if let Some(description) = &item.description {
            let _ = writeln!(text, "  {description}");
        }
    }
    text.push('\n');
    let _ = writeln!(text, "Subtotal: {} {currency}", amount(offer.subtotal));
    if !offer.discount_total.is_zero() {
        let _ = writeln!(
            text,
            "Discount: -{} {currency}",
            amount(offer.discount_total)
        );
    }
    let _ = writeln!(text, "Total: {} {currency}", amount(offer.total));
    if let Some(until) = offer.valid_until {
        let _ = writeln!(text, "Valid until: {}", valid_until(until));
    }
    if let Some(terms) = &offer.terms {
        text.push('\n');
        let _ = writeln!(text, "{terms}");
    }
    text.trim_end().to_owned()
}

fn valid_until(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::OfferStatus;
    use uuid::Uuid;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn the_message_lists_items_totals_validity_and_terms() {
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let offer = Offer {
            id: Uuid::nil(),
            account_id: None,
            opportunity_id: None,
            contact_global_id: None,
            title: "Annual plan".to_owned(),
            currency: "EUR".to_owned(),
            subtotal: d("250"),
            discount_total: d("25"),
            total: d("225"),
            max_discount_pct: d("10"),
            requires_approval: false,
            status: OfferStatus::Approved,
            valid_until: Some(now),
            terms: Some("Payable in 30 days.".to_owned()),
            notes: Some("internal".to_owned()),
            created_by: None,
            submitted_at: None,
            approved_at: None,
            rejected_at: None,
            sent_at: None,
            closed_at: None,
            outbound_message_id: None,
            created_at: now,
            updated_at: now,
        };
        let item = OfferItem {
            id: Uuid::nil(),
            position: 0,
            name: "Seats".to_owned(),
            description: Some("Per user".to_owned()),
            sku: Some("SEAT-1".to_owned()),
            quantity: d("2.5000"),
            unit_price: d("100"),
            discount_pct: d("10.00"),
            line_total: d("225"),
        };

        let text = message_text(&offer, &[item]);

        assert_eq!(
            text,
            "Annual plan\n\n\
             - Seats (SEAT-1): 2.5 x 100.00 EUR, -10% = 225.00 EUR\n  Per user\n\n\
             Subtotal: 250.00 EUR\nDiscount: -25.00 EUR\nTotal: 225.00 EUR\n\
             Valid until: 2026-01-01 00:00 UTC\n\nPayable in 30 days."
        );
        assert!(!text.contains("internal"), "notes stay internal");
    }
}
