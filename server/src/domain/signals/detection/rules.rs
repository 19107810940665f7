//! The transparent detector: keyword rules (English and German) and the default example phrases.
use super::*;

/// A transparent detection rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable key, stored with every hit.
    pub key: &'static str,
    /// What a hit means.
    pub signal_type: SignalType,
    /// Case-insensitive pattern (Rust `regex` syntax).
    pub pattern: &'static str,
    /// Confidence of a hit.
    pub confidence: f64,
}

/// The rules, in English and German. Word boundaries keep "price" from matching "priceless"
/// only partly: the patterns are deliberately phrase-like, since a rule hit is shown to people
/// as the reason for a signal.
pub const RULES: &[Rule] = &[
    Rule {
        key: "pricing.price_words",
        signal_type: SignalType::PricingQuestion,
        pattern: r"\b(how much|pricing|price list|prices?|quote|per (seat|user|month)|discounts?|was kostet|preis(e|liste)?|angebot)\b",
        confidence: 0.7,
    },
    Rule {
        key: "buying.ready_to_buy",
        signal_type: SignalType::BuyingIntent,
        pattern: r"\b(ready to (buy|sign|purchase|order|move forward)|want to (buy|purchase|order|sign up)|send (me |us )?(the |a )?(contract|order form|invoice)|sign the contract|purchase order|go ahead with (the )?(purchase|order|deal)|wir (möchten|wollen) (kaufen|bestellen)|vertrag (zusenden|schicken|unterschreiben))\b",
        confidence: 0.8,
    },
    Rule {
        key: "churn.cancel_or_leave",
        signal_type: SignalType::ChurnRisk,
        pattern: r"\b(cancel(l?ing|l?ed|lation)?( (my|our|the) (subscription|account|contract|plan))?|terminate (the |our )?contract|(not|won't|will not) renew|switch(ing)? to (another|a different|a competitor)|close (my|our) account|looking for (an )?alternatives?|kündig(en|ung)|vertrag beenden)\b",
        confidence: 0.8,
    },
    Rule {
        key: "complaint.strong_words",
        signal_type: SignalType::Complaint,
        pattern: r"\b(unacceptable|frustrat(ed|ing)|disappointed|terrible|awful|worst|still (not working|broken|waiting)|(is|it's|keeps) broken|doesn't work|does not work|not working|complain(t|ing)?|inakzeptabel|enttäuscht|funktioniert (immer noch )?nicht|beschwerde)\b",
        confidence: 0.75,
    },
    Rule {
        key: "competitor.named_or_alternative",
        signal_type: SignalType::CompetitorMention,
        pattern: r"\b(your competitors?|compared to|cheaper (at|with|elsewhere)|other vendors?|hubspot|salesforce|zendesk|intercom|freshdesk|pipedrive|zoho|konkurrenz|mitbewerber)\b",
        confidence: 0.7,
    },
    Rule {
        key: "upsell.more_or_upgrade",
        signal_type: SignalType::Upsell,
        pattern: r"\b(more (seats|licen[cs]es|users)|add(ing)? (more |\d+ )?(seats|users|licen[cs]es)|upgrad(e|ing) (to|our|my)|(higher|bigger|enterprise|premium) (plan|tier)|additional (seats|users|team|licen[cs]es)|weitere (lizenzen|nutzer)|upgrade auf)\b",
        confidence: 0.7,
    },
];

pub(super) static COMPILED_RULES: LazyLock<Vec<(Rule, Regex)>> = LazyLock::new(|| {
    RULES
        .iter()
        .filter_map(|rule| {
            // The patterns are constants pinned by a unit test; a bad one is skipped, not a
            // crash of the worker.
            match Regex::new(&format!("(?i){}", rule.pattern)) {
                Ok(re) => Some((*rule, re)),
                Err(e) => {
                    tracing::error!(rule = rule.key, error = %e, "signal rule does not compile");
                    None
                }
            }
        })
        .collect()
});

/// A rule hit in one text.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    /// The rule.
    pub rule: &'static str,
    /// Its type.
    pub signal_type: SignalType,
    /// Its confidence.
    pub confidence: f64,
    /// The words that matched.
    pub matched: String,
}

/// The rule hits in `text` (at most one per rule).
pub fn rule_hits(text: &str) -> Vec<RuleHit> {
    COMPILED_RULES
        .iter()
        .filter_map(|(rule, re)| {
            re.find(text).map(|m| RuleHit {
                rule: rule.key,
                signal_type: rule.signal_type,
                confidence: rule.confidence,
                matched: m.as_str().to_owned(),
            })
        })
        .collect()
}

/// Example phrases a project starts with (type, phrase); seeded when it has none.
pub const DEFAULT_PHRASES: &[(SignalType, &str)] = &[
    (
        SignalType::PricingQuestion,
        "How much does your product cost?",
    ),
    (
        SignalType::PricingQuestion,
        "Can you send me your price list for the plans?",
    ),
    (
        SignalType::PricingQuestion,
        "What would it cost for a team of our size?",
    ),
    (
        SignalType::BuyingIntent,
        "We are ready to buy, please send the contract.",
    ),
    (
        SignalType::BuyingIntent,
        "We decided to go with you, how do we get started?",
    ),
    (SignalType::BuyingIntent, "Please prepare an order for us."),
    (
        SignalType::ChurnRisk,
        "We are thinking about cancelling our subscription.",
    ),
    (
        SignalType::ChurnRisk,
        "We will not renew our contract next year.",
    ),
    (SignalType::ChurnRisk, "We are moving to another provider."),
    (
        SignalType::Complaint,
        "This is unacceptable, nothing works as promised.",
    ),
    (
        SignalType::Complaint,
        "I am very unhappy with your service.",
    ),
    (
        SignalType::Complaint,
        "We have been waiting for weeks and nobody helps us.",
    ),
    (
        SignalType::CompetitorMention,
        "Another vendor offered us a better deal.",
    ),
    (
        SignalType::CompetitorMention,
        "How do you compare to your competitors?",
    ),
    (
        SignalType::Upsell,
        "We need more seats for our new team members.",
    ),
    (
        SignalType::Upsell,
        "We would like to upgrade to a bigger plan.",
    ),
];
