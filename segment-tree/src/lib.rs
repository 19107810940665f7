//! The campaign segment tree, defined once for the server (which compiles it to SQL) and the
//! app (whose builder edits it): who a campaign reaches, as a typed filter tree over the
//! project's Chatwoot contacts.
//!
//! The tree is JSON with one key per node (serde's externally tagged enum, snake_case):
//!
//! ```json
//! { "and": [
//!     { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } },
//!     { "or": [ { "chatwoot_label": { "label": "vip" } }, { "inbox": { "inbox_id": 3 } } ] },
//!     { "not": { "health_band": { "band": "critical" } } },
//!     { "signal": { "type": "buying_intent", "within_days": 30 } },
//!     { "last_activity": { "within_days": 14 } },
//!     { "account_attribute": { "field": "industry", "op": "contains", "value": "retail" } },
//!     { "has_email": {} }
//! ] }
//! ```
//!
//! | node | matches a contact ... |
//! |---|---|
//! | `and: [..]` | matching every child (an empty list matches everyone) |
//! | `or: [..]` | matching at least one child (at least one child required) |
//! | `not: {..}` | not matching the child |
//! | `contact_attribute {key, op, value}` | whose attribute `key` (`name`, `email`, `phone_number`, `identifier`, `custom.<attr>` for Chatwoot custom attributes, `additional.<attr>` for additional attributes such as `company_name` or `city`) equals `value` (`eq`, case-insensitive, trimmed), contains it (`contains`, case-insensitive) or is present and not blank (`exists`, no value) |
//! | `account_attribute {field, op, value}` | confirmed on a CRM account whose `name`, `domain`, `industry` or `status` matches the same way (`status`: `eq` only) |
//! | `chatwoot_label {label}` | with a conversation carrying that Chatwoot label (exact) |
//! | `inbox {inbox_id}` | with a conversation in that Chatwoot inbox |
//! | `health_band {band}` | confirmed on an account whose latest health score has that band (`healthy`, `at_risk`, `critical`) |
//! | `signal {type, within_days}` | with a signal of that type (not dismissed) about them in the last `within_days` days |
//! | `last_activity {within_days}` | who wrote or was written to (public messages) in the last `within_days` days |
//! | `last_activity {older_than_days}` | whose last such message is older than that (contacts never written to do not match; use `not` + `within_days` to include them) |
//! | `has_email {}` | with a non-blank email |
//!
//! Limits: depth at most 6 (a lone leaf has depth 1), at most 50 leaves and 100 nodes, values
//! 1-200 characters, days 1-3650. Unknown node names, fields, operators, bands and signal types
//! are refused with the path of the offending node.
//!
//! Parsing ([`parse`]) gives the message the API shows for the `definition` field; the
//! tables at the end are the words the builder shows for each node, field and value.
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Deepest tree (a lone leaf has depth 1).
pub const MAX_DEPTH: usize = 6;
/// Most leaves in one tree.
pub const MAX_LEAVES: usize = 50;
/// Most nodes (leaves and and/or/not) in one tree.
pub const MAX_NODES: usize = 100;
/// Longest value or label.
pub const MAX_VALUE_CHARS: usize = 200;
/// Largest `within_days` / `older_than_days`.
pub const MAX_DAYS: i32 = 3_650;

/// How a leaf compares a text attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal, ignoring case and surrounding whitespace.
    Eq,
    /// Contains, ignoring case.
    Contains,
    /// Present and not blank (no value).
    Exists,
}

/// An account column a segment may filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountField {
    /// `crm_accounts.name`.
    Name,
    /// `crm_accounts.domain`.
    Domain,
    /// `crm_accounts.industry`.
    Industry,
    /// `crm_accounts.status` (`active`, `archived`, `merged`).
    Status,
}

/// An account's health band (the values of `health_scores.band`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthBand {
    /// Healthy.
    Healthy,
    /// At risk.
    AtRisk,
    /// Critical.
    Critical,
}

/// A signal's type (the values of `signals.signal_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    /// Asks about prices.
    PricingQuestion,
    /// Shows intent to buy.
    BuyingIntent,
    /// Risk of leaving.
    ChurnRisk,
    /// A complaint.
    Complaint,
    /// Mentions a competitor.
    CompetitorMention,
    /// Upsell opportunity.
    Upsell,
    /// Anything else.
    Other,
}

/// The JSON name of a unit enum value (`"at_risk"`), as stored and sent.
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A unit enum value from its JSON name, if it is one.
fn from_name<T: for<'de> Deserialize<'de>>(name: &str) -> Option<T> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

macro_rules! names {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// Its JSON name.
            pub fn name(self) -> String {
                name_of(&self)
            }

            /// The value named `name` in JSON, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                from_name(name)
            }
        }
    )*};
}

names!(Op, AccountField, HealthBand, SignalType);

/// A segment: a filter tree over contacts (see the crate docs for the JSON format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Segment {
    /// Every child matches.
    And(Vec<Segment>),
    /// At least one child matches.
    Or(Vec<Segment>),
    /// The child does not match.
    Not(Box<Segment>),
    /// A contact attribute compared with `value`.
    ContactAttribute {
        /// `name`, `email`, `phone_number`, `identifier`, `custom.<attr>`, `additional.<attr>`.
        key: String,
        /// Comparison.
        op: Op,
        /// Required for `eq` and `contains`, absent for `exists`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// An attribute of the contact's confirmed account compared with `value`.
    AccountAttribute {
        /// The account column.
        field: AccountField,
        /// Comparison.
        op: Op,
        /// Required for `eq` and `contains`, absent for `exists`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// A Chatwoot label on one of the contact's conversations.
    ChatwootLabel {
        /// The label, exactly.
        label: String,
    },
    /// One of the contact's conversations is in this Chatwoot inbox.
    Inbox {
        /// Chatwoot inbox id.
        inbox_id: i64,
    },
    /// The latest health band of the contact's confirmed account.
    HealthBand {
        /// healthy | at_risk | critical.
        band: HealthBand,
    },
    /// A (not dismissed) signal about the contact within the last days.
    Signal {
        /// The signal type.
        #[serde(rename = "type")]
        signal_type: SignalType,
        /// 1-3650.
        within_days: i32,
    },
    /// The contact's last public message, either direction.
    LastActivity {
        /// Active within the last N days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<i32>,
        /// Last active more than N days ago.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        older_than_days: Option<i32>,
    },
    /// The contact has a non-blank email.
    HasEmail {},
}

impl Segment {
    /// The node's name in JSON (`and`, `contact_attribute`, ...).
    pub fn name(&self) -> String {
        match to_json(self) {
            Value::Object(node) => node.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// Where a contact attribute lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKey<'a> {
    /// A contact column: `name`, `email`, `phone_number` or `identifier`.
    Column(&'static str),
    /// A Chatwoot custom attribute (`custom.<name>`).
    Custom(&'a str),
    /// An additional attribute (`additional.<name>`).
    Additional(&'a str),
}

/// Where the attribute `key` lives, if it is one a segment may compare.
pub fn contact_key(key: &str) -> Option<ContactKey<'_>> {
    let attribute = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match key {
        "name" => Some(ContactKey::Column("name")),
        "email" => Some(ContactKey::Column("email")),
        "phone_number" => Some(ContactKey::Column("phone_number")),
        "identifier" => Some(ContactKey::Column("identifier")),
        _ => {
            if let Some(name) = key.strip_prefix("custom.") {
                attribute(name).then_some(ContactKey::Custom(name))
            } else if let Some(name) = key.strip_prefix("additional.") {
                attribute(name).then_some(ContactKey::Additional(name))
            } else {
                None
            }
        }
    }
}

fn check_value(path: &str, op: Op, value: Option<&str>) -> Result<(), String> {
    match (op, value) {
        (Op::Exists, None) => Ok(()),
        (Op::Exists, Some(_)) => Err(format!("{path}: `exists` takes no value")),
        (_, None) => Err(format!("{path}: give a value")),
        (_, Some(v)) if v.trim().is_empty() || v.chars().count() > MAX_VALUE_CHARS => Err(format!(
            "{path}: the value must have 1-{MAX_VALUE_CHARS} characters"
        )),
        _ => Ok(()),
    }
}

fn check_days(path: &str, days: i32) -> Result<(), String> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(format!("{path}: days must be between 1 and {MAX_DAYS}"))
    }
}

#[derive(Default)]
struct Counts {
    nodes: usize,
    leaves: usize,
}

fn check_node(node: &Segment, path: &str, depth: usize, counts: &mut Counts) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: nest at most {MAX_DEPTH} levels"));
    }
    counts.nodes += 1;
    if counts.nodes > MAX_NODES {
        return Err(format!("use at most {MAX_NODES} conditions and groups"));
    }
    match node {
        Segment::And(children) | Segment::Or(children) => {
            let name = if matches!(node, Segment::And(_)) {
                "and"
            } else {
                "or"
            };
            if name == "or" && children.is_empty() {
                return Err(format!("{path}.or: give at least one condition"));
            }
            for (n, child) in children.iter().enumerate() {
                check_node(child, &format!("{path}.{name}[{n}]"), depth + 1, counts)?;
            }
            return Ok(());
        }
        Segment::Not(child) => return check_node(child, &format!("{path}.not"), depth + 1, counts),
        _ => {}
    }
    counts.leaves += 1;
    if counts.leaves > MAX_LEAVES {
        return Err(format!("use at most {MAX_LEAVES} conditions"));
    }
    match node {
        Segment::ContactAttribute { key, op, value } => {
            let path = format!("{path}.contact_attribute");
            if contact_key(key).is_none() {
                return Err(format!(
                    "{path}: unknown key `{key}`; use name, email, phone_number, identifier, \
                     custom.<attribute> or additional.<attribute>"
                ));
            }
            check_value(&path, *op, value.as_deref())
        }
        Segment::AccountAttribute { field, op, value } => {
            let path = format!("{path}.account_attribute");
            check_value(&path, *op, value.as_deref())?;
            if *field == AccountField::Status {
                let known = ["active", "archived", "merged"];
                if *op != Op::Eq || !value.as_deref().is_some_and(|v| known.contains(&v.trim())) {
                    return Err(format!(
                        "{path}: status takes `eq` with active, archived or merged"
                    ));
                }
            }
            Ok(())
        }
        Segment::ChatwootLabel { label } => {
            if label.trim().is_empty() || label.chars().count() > MAX_VALUE_CHARS {
                Err(format!(
                    "{path}.chatwoot_label: the label must have 1-{MAX_VALUE_CHARS} characters"
                ))
            } else {
                Ok(())
            }
        }
        Segment::Inbox { inbox_id } => {
            if *inbox_id > 0 {
                Ok(())
            } else {
                Err(format!("{path}.inbox: inbox_id must be a positive number"))
            }
        }
        Segment::HealthBand { .. } | Segment::HasEmail {} => Ok(()),
        Segment::Signal { within_days, .. } => check_days(&format!("{path}.signal"), *within_days),
        Segment::LastActivity {
            within_days,
            older_than_days,
        } => {
            let path = format!("{path}.last_activity");
            match (within_days, older_than_days) {
                (Some(days), None) | (None, Some(days)) => check_days(&path, *days),
                _ => Err(format!(
                    "{path}: give exactly one of within_days and older_than_days"
                )),
            }
        }
        Segment::And(_) | Segment::Or(_) | Segment::Not(_) => Ok(()),
    }
}

/// Checks a tree's limits and leaves (see the crate docs); the error is the message for the
/// `definition` field, naming the path of the offending node.
pub fn validate(segment: &Segment) -> Result<(), String> {
    check_node(segment, "definition", 1, &mut Counts::default())
}

/// Reads and validates a tree given as JSON; the error is the message for the `definition`
/// field.
pub fn parse(definition: &Value) -> Result<Segment, String> {
    let segment: Segment = serde_json::from_value(definition.clone())
        .map_err(|e| format!("is not a valid segment: {e}"))?;
    validate(&segment)?;
    Ok(segment)
}

/// The tree as stored (canonical JSON).
pub fn to_json(segment: &Segment) -> Value {
    serde_json::to_value(segment).unwrap_or_else(|_| json!({ "and": [] }))
}

/// Leaf kinds (node name, label).
pub const LEAF_KINDS: &[(&str, &str)] = &[
    ("contact_attribute", "Contact attribute"),
    ("account_attribute", "Account attribute"),
    ("chatwoot_label", "Conversation label"),
    ("inbox", "Inbox"),
    ("health_band", "Account health band"),
    ("signal", "Signal"),
    ("last_activity", "Last activity"),
    ("has_email", "Has an email address"),
];

/// Text comparisons ([`Op`] name, label).
pub const OPS: &[(&str, &str)] = &[
    ("eq", "equals"),
    ("contains", "contains"),
    ("exists", "is present"),
];

/// Account fields a condition can compare ([`AccountField`] name, label).
pub const ACCOUNT_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("domain", "Domain"),
    ("industry", "Industry"),
    ("status", "Status"),
];

/// Health bands ([`HealthBand`] name, label).
pub const BANDS: &[(&str, &str)] = &[
    ("healthy", "Healthy"),
    ("at_risk", "At risk"),
    ("critical", "Critical"),
];

/// Signal types ([`SignalType`] name, label).
pub const SIGNAL_KINDS: &[(&str, &str)] = &[
    ("pricing_question", "Pricing question"),
    ("buying_intent", "Buying intent"),
    ("churn_risk", "Churn risk"),
    ("complaint", "Complaint"),
    ("competitor_mention", "Competitor mention"),
    ("upsell", "Upsell"),
    ("other", "Other"),
];

/// Contact attribute keys offered as suggestions (a key may be any `custom.<attribute>` or
/// `additional.<attribute>`).
pub const CONTACT_KEYS: &[&str] = &[
    "name",
    "email",
    "phone_number",
    "identifier",
    "additional.city",
    "additional.country",
    "additional.company_name",
];

/// The label of `name` in `table`, else the name itself.
pub fn label(table: &[(&str, &str)], name: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(value: Value) -> Result<Segment, String> {
        parse(&value)
    }
    #[test]
    fn the_documented_example_parses_and_round_trips() {
        let example = json!({ "and": [
            { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } },
            { "or": [ { "chatwoot_label": { "label": "vip" } }, { "inbox": { "inbox_id": 3 } } ] },
            { "not": { "health_band": { "band": "critical" } } },
            { "signal": { "type": "buying_intent", "within_days": 30 } },
            { "last_activity": { "within_days": 14 } },
            { "account_attribute": { "field": "industry", "op": "contains", "value": "retail" } },
            { "has_email": {} }
        ] });
        let parsed = segment(example.clone()).expect("valid");
        assert_eq!(to_json(&parsed), example);
    }

    #[test]
    fn unknown_keys_fields_and_shapes_are_refused() {
        for bad in [
            json!({ "contact_attribute": { "key": "password", "op": "eq", "value": "x" } }),
            json!({ "contact_attribute": { "key": "custom.a b", "op": "eq", "value": "x" } }),
            json!({ "contact_attribute": { "key": "email", "op": "like", "value": "x" } }),
            json!({ "contact_attribute": { "key": "email", "op": "eq" } }),
            json!({ "contact_attribute": { "key": "email", "op": "exists", "value": "x" } }),
            json!({ "account_attribute": { "field": "owner", "op": "eq", "value": "x" } }),
            json!({ "account_attribute": { "field": "status", "op": "contains", "value": "act" } }),
            json!({ "signal": { "type": "gossip", "within_days": 3 } }),
            json!({ "signal": { "type": "upsell", "within_days": 0 } }),
            json!({ "last_activity": { "within_days": 3, "older_than_days": 9 } }),
            json!({ "last_activity": {} }),
            json!({ "health_band": { "band": "meh" } }),
            json!({ "inbox": { "inbox_id": -1 } }),
            json!({ "has_email": {}, "or": [] }),
            json!({ "or": [] }),
            json!({ "chatwoot_label": { "label": " " } }),
            json!({ "chatwoot_label": { "label": "x", "colour": "red" } }),
            json!("has_email"),
        ] {
            assert!(segment(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_and_leaf_limits_hold() {
        let mut deep = json!({ "has_email": {} });
        for _ in 0..5 {
            deep = json!({ "not": deep });
        }
        assert!(segment(deep.clone()).is_ok(), "depth 6");
        assert!(segment(json!({ "not": deep })).is_err(), "depth 7");
        let leaves = |n: usize| json!({ "and": vec![json!({ "has_email": {} }); n] });
        assert!(segment(leaves(50)).is_ok());
        let error = segment(leaves(51)).unwrap_err();
        assert!(error.contains("50"), "{error:?}");
    }

    #[test]
    fn every_table_names_real_values() {
        for (name, _) in OPS {
            assert_eq!(Op::from_name(name).map(Op::name).as_deref(), Some(*name));
        }
        for (name, _) in ACCOUNT_FIELDS {
            assert_eq!(
                AccountField::from_name(name)
                    .map(AccountField::name)
                    .as_deref(),
                Some(*name)
            );
        }
        for (name, _) in BANDS {
            assert_eq!(
                HealthBand::from_name(name).map(HealthBand::name).as_deref(),
                Some(*name)
            );
        }
        for (name, _) in SIGNAL_KINDS {
            assert_eq!(
                SignalType::from_name(name).map(SignalType::name).as_deref(),
                Some(*name)
            );
        }
        for key in CONTACT_KEYS {
            assert!(contact_key(key).is_some(), "{key}");
        }
    }
}
