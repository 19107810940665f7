//! The campaign segment builder's model: a flat list of conditions combined with ALL or ANY
//! (each optionally negated), converted to and from the segment tree the API takes (defined
//! once, with its labels, in the `segment-tree` crate). Trees the list cannot express are
//! edited as JSON instead. Pure functions, used by the server functions and the pages alike.
pub use segment_tree::{ACCOUNT_FIELDS, BANDS, CONTACT_KEYS, LEAF_KINDS, OPS, SIGNAL_KINDS};
use segment_tree::{AccountField, HealthBand, Op, Segment, SignalType, label, to_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// One condition as the form holds it: every leaf's inputs, of which `kind` picks the ones
/// that count. All text, so a half-typed form round-trips unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConditionDraft {
    /// Leaf kind (see [`LEAF_KINDS`]).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// "true" when the condition is negated (NOT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negate: Option<String>,
    /// contact_attribute: the key, e.g. `additional.city`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// account_attribute: the field.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
    /// contact_attribute / account_attribute: eq | contains | exists.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    /// contact_attribute / account_attribute: the value compared with.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// chatwoot_label: the label.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// inbox: the Chatwoot inbox id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub inbox_id: String,
    /// health_band: the band.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub band: String,
    /// signal: the signal type.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signal_type: String,
    /// signal / last_activity: days.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub days: String,
    /// last_activity: "within" or "older".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub when: String,
}

impl ConditionDraft {
    /// A new condition: a contact's city.
    pub fn new_default() -> Self {
        Self {
            kind: "contact_attribute".to_owned(),
            key: "additional.city".to_owned(),
            op: "eq".to_owned(),
            ..Self::default()
        }
    }

    /// Only the inputs its kind uses (the form sends every kind's).
    pub fn normalized(self) -> Self {
        let kind = if self.kind.is_empty() {
            "contact_attribute".to_owned()
        } else {
            self.kind
        };
        let keep = |used: bool, value: String| if used { value } else { String::new() };
        let k = kind.as_str();
        let attribute = matches!(k, "contact_attribute" | "account_attribute");
        Self {
            negate: self.negate.filter(|v| !v.is_empty() && v != "false"),
            key: keep(k == "contact_attribute", self.key),
            field: keep(k == "account_attribute", self.field),
            op: keep(attribute, self.op),
            value: keep(attribute, self.value),
            label: keep(k == "chatwoot_label", self.label),
            inbox_id: keep(k == "inbox", self.inbox_id),
            band: keep(k == "health_band", self.band),
            signal_type: keep(k == "signal", self.signal_type),
            days: keep(matches!(k, "signal" | "last_activity"), self.days),
            when: keep(k == "last_activity", self.when),
            kind,
        }
    }

    /// Whether it is negated.
    pub fn negated(&self) -> bool {
        self.negate
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false")
    }

    /// The leaf as the API's tree, or what is missing (`n` is its 1-based number).
    fn leaf(&self, n: usize) -> Result<Segment, String> {
        let days = |what: &str| -> Result<i32, String> {
            self.days
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| format!("condition {n}: {what} needs a whole number of days"))
        };
        let or_default = |value: &'_ str, default: &'static str| -> String {
            if value.is_empty() { default } else { value }.to_owned()
        };
        fn named<T>(
            n: usize,
            what: &str,
            name: String,
            from_name: fn(&str) -> Option<T>,
        ) -> Result<T, String> {
            from_name(&name).ok_or_else(|| format!("condition {n}: unknown {what} {name:?}"))
        }
        let compare = || -> Result<(Op, Option<String>), String> {
            let op = named(n, "comparison", or_default(&self.op, "eq"), Op::from_name)?;
            if op == Op::Exists {
                return Ok((op, None));
            }
            if is_blank(&self.value) {
                return Err(format!("condition {n}: enter the value to compare with"));
            }
            Ok((op, Some(self.value.trim().to_owned())))
        };
        match self.kind.as_str() {
            "contact_attribute" => {
                if is_blank(&self.key) {
                    return Err(format!("condition {n}: enter the attribute key"));
                }
                let (op, value) = compare()?;
                Ok(Segment::ContactAttribute {
                    key: self.key.trim().to_owned(),
                    op,
                    value,
                })
            }
            "account_attribute" => {
                let field = or_default(&self.field, "name");
                let (op, value) = compare()?;
                Ok(Segment::AccountAttribute {
                    field: named(n, "field", field, AccountField::from_name)?,
                    op,
                    value,
                })
            }
            "chatwoot_label" => {
                if is_blank(&self.label) {
                    return Err(format!("condition {n}: enter the label"));
                }
                Ok(Segment::ChatwootLabel {
                    label: self.label.trim().to_owned(),
                })
            }
            "inbox" => {
                let inbox_id = self
                    .inbox_id
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("condition {n}: enter the inbox number"))?;
                Ok(Segment::Inbox { inbox_id })
            }
            "health_band" => Ok(Segment::HealthBand {
                band: named(
                    n,
                    "band",
                    or_default(&self.band, "critical"),
                    HealthBand::from_name,
                )?,
            }),
            "signal" => {
                let signal_type = or_default(&self.signal_type, "buying_intent");
                let within_days = days("a signal")?;
                Ok(Segment::Signal {
                    signal_type: named(n, "signal type", signal_type, SignalType::from_name)?,
                    within_days,
                })
            }
            "last_activity" => {
                let d = days("last activity")?;
                Ok(if self.when == "older" {
                    Segment::LastActivity {
                        within_days: None,
                        older_than_days: Some(d),
                    }
                } else {
                    Segment::LastActivity {
                        within_days: Some(d),
                        older_than_days: None,
                    }
                })
            }
            "has_email" => Ok(Segment::HasEmail {}),
            other => Err(format!("condition {n}: unknown kind {other:?}")),
        }
    }

    /// The condition read from a leaf, if it is one the form can show.
    fn from_leaf(node: &Segment) -> Option<Self> {
        let mut c = Self {
            kind: node.name(),
            ..Self::default()
        };
        match node {
            Segment::ContactAttribute { key, op, value } => {
                c.key = key.clone();
                c.op = op.name();
                c.value = value.clone().unwrap_or_default();
            }
            Segment::AccountAttribute { field, op, value } => {
                c.field = field.name();
                c.op = op.name();
                c.value = value.clone().unwrap_or_default();
            }
            Segment::ChatwootLabel { label } => c.label = label.clone(),
            Segment::Inbox { inbox_id } => c.inbox_id = inbox_id.to_string(),
            Segment::HealthBand { band } => c.band = band.name(),
            Segment::Signal {
                signal_type,
                within_days,
            } => {
                c.signal_type = signal_type.name();
                c.days = within_days.to_string();
            }
            Segment::LastActivity {
                within_days,
                older_than_days,
            } => {
                let (when, days) = match older_than_days {
                    Some(days) => ("older", Some(days)),
                    None => ("within", within_days.as_ref()),
                };
                c.when = when.to_owned();
                c.days = days.map(i32::to_string).unwrap_or_default();
            }
            Segment::HasEmail {} => {}
            Segment::And(_) | Segment::Or(_) | Segment::Not(_) => return None,
        }
        Some(c)
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        let compare = |subject: String| {
            if self.op == "exists" {
                format!("{subject} is present")
            } else {
                format!("{subject} {} “{}”", label(OPS, &self.op), self.value)
            }
        };
        let text = match self.kind.as_str() {
            "contact_attribute" => compare(format!("contact {}", self.key)),
            "account_attribute" => compare(format!(
                "account {}",
                label(ACCOUNT_FIELDS, &self.field).to_lowercase()
            )),
            "chatwoot_label" => format!("has a conversation labelled “{}”", self.label),
            "inbox" => format!("has a conversation in inbox {}", self.inbox_id),
            "health_band" => format!(
                "account health is {}",
                label(BANDS, &self.band).to_lowercase()
            ),
            "signal" => format!(
                "{} signal in the last {} days",
                label(SIGNAL_KINDS, &self.signal_type),
                self.days
            ),
            "last_activity" if self.when == "older" => {
                format!("last activity more than {} days ago", self.days)
            }
            "last_activity" => format!("active in the last {} days", self.days),
            "has_email" => "has an email address".to_owned(),
            other => other.to_owned(),
        };
        if self.negated() {
            format!("not ({text})")
        } else {
            text
        }
    }
}

/// The segment builder's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentDraft {
    /// "all" (AND) or "any" (OR).
    pub combine: String,
    /// The conditions, in order.
    pub conditions: Vec<ConditionDraft>,
}

impl SegmentDraft {
    /// Whether the conditions are combined with OR.
    pub fn is_any(&self) -> bool {
        self.combine == "any"
    }

    /// The API's tree: `{"and": [...]}` or `{"or": [...]}` of the leaves (each wrapped in
    /// `{"not": ...}` when negated). ANY needs at least one condition; ALL of none matches
    /// every contact.
    pub fn to_definition(&self) -> Result<Value, String> {
        let mut children = Vec::with_capacity(self.conditions.len());
        for (i, c) in self.conditions.iter().enumerate() {
            let leaf = c.leaf(i + 1)?;
            children.push(if c.negated() {
                Segment::Not(Box::new(leaf))
            } else {
                leaf
            });
        }
        if self.is_any() {
            if children.is_empty() {
                return Err("add at least one condition to match any of".to_owned());
            }
            Ok(to_json(&Segment::Or(children)))
        } else {
            Ok(to_json(&Segment::And(children)))
        }
    }

    /// The form's state for a tree, when the form can show it: an and/or of leaves and
    /// negated leaves, or a lone (negated) leaf.
    pub fn from_definition(definition: &Value) -> Option<Self> {
        let tree: Segment = serde_json::from_value(definition.clone()).ok()?;
        let (combine, children): (&str, Vec<&Segment>) = match &tree {
            Segment::And(children) => ("all", children.iter().collect()),
            Segment::Or(children) => ("any", children.iter().collect()),
            _ => ("all", vec![&tree]),
        };
        let conditions = children
            .into_iter()
            .map(|child| match child {
                Segment::Not(inner) => ConditionDraft::from_leaf(inner).map(|mut c| {
                    c.negate = Some("true".to_owned());
                    c
                }),
                _ => ConditionDraft::from_leaf(child),
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            combine: combine.to_owned(),
            conditions,
        })
    }
}

/// A tree in words, for read-only views (JSON when the builder cannot show it).
pub fn describe_definition(definition: &Value) -> String {
    match SegmentDraft::from_definition(definition) {
        Some(draft) if draft.conditions.is_empty() => "Every contact".to_owned(),
        Some(draft) => {
            let joiner = if draft.is_any() { " or " } else { " and " };
            let parts: Vec<String> = draft.conditions.iter().map(|c| c.describe()).collect();
            let mut text = parts.join(joiner);
            if let Some(first) = text.get(..1) {
                text = format!("{}{}", first.to_uppercase(), &text[1..]);
            }
            text
        }
        None => definition.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn city(value: &str) -> ConditionDraft {
        ConditionDraft {
            value: value.to_owned(),
            ..ConditionDraft::new_default()
        }
    }

    #[test]
    fn conditions_become_the_api_tree_and_back() {
        let draft = SegmentDraft {
            combine: "all".to_owned(),
            conditions: vec![
                city("Berlin"),
                ConditionDraft {
                    kind: "health_band".to_owned(),
                    band: "critical".to_owned(),
                    negate: Some("true".to_owned()),
                    ..ConditionDraft::default()
                },
                ConditionDraft {
                    kind: "signal".to_owned(),
                    signal_type: "buying_intent".to_owned(),
                    days: "30".to_owned(),
                    ..ConditionDraft::default()
                },
                ConditionDraft {
                    kind: "last_activity".to_owned(),
                    when: "older".to_owned(),
                    days: "14".to_owned(),
                    ..ConditionDraft::default()
                },
                ConditionDraft {
                    kind: "has_email".to_owned(),
                    ..ConditionDraft::default()
                },
            ],
        };
        let tree = draft.to_definition().unwrap();
        assert_eq!(
            tree,
            json!({ "and": [
                { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } },
                { "not": { "health_band": { "band": "critical" } } },
                { "signal": { "type": "buying_intent", "within_days": 30 } },
                { "last_activity": { "older_than_days": 14 } },
                { "has_email": {} },
            ] })
        );
        let back = SegmentDraft::from_definition(&tree).unwrap();
        assert_eq!(back.to_definition().unwrap(), tree);
        assert!(back.conditions[1].negated());
    }

    #[test]
    fn a_condition_keeps_only_its_kinds_inputs() {
        let sent = ConditionDraft {
            kind: "signal".to_owned(),
            negate: Some("false".to_owned()),
            key: "additional.city".to_owned(),
            band: "healthy".to_owned(),
            signal_type: "upsell".to_owned(),
            days: "7".to_owned(),
            when: "within".to_owned(),
            ..ConditionDraft::default()
        };
        assert_eq!(
            sent.normalized(),
            ConditionDraft {
                kind: "signal".to_owned(),
                signal_type: "upsell".to_owned(),
                days: "7".to_owned(),
                ..ConditionDraft::default()
            }
        );
    }

    #[test]
    fn any_needs_a_condition_and_missing_values_are_named() {
        let empty_any = SegmentDraft {
            combine: "any".to_owned(),
            conditions: vec![],
        };
        assert!(empty_any.to_definition().is_err());
        let everyone = SegmentDraft::default();
        assert_eq!(everyone.to_definition().unwrap(), json!({ "and": [] }));
        let missing = SegmentDraft {
            combine: "all".to_owned(),
            conditions: vec![city("")],
        };
        assert_eq!(
            missing.to_definition().unwrap_err(),
            "condition 1: enter the value to compare with"
        );
        let exists = ConditionDraft {
            op: "exists".to_owned(),
            ..ConditionDraft::new_default()
        };
        assert_eq!(
            to_json(&exists.leaf(1).unwrap()),
            json!({ "contact_attribute": { "key": "additional.city", "op": "exists" } })
        );
    }

    #[test]
    fn trees_the_list_cannot_show_are_left_to_json() {
        let nested = json!({ "and": [ { "or": [ { "has_email": {} } ] } ] });
        assert_eq!(SegmentDraft::from_definition(&nested), None);
        assert_eq!(describe_definition(&nested), nested.to_string());
        let lone = json!({ "inbox": { "inbox_id": 3 } });
        let draft = SegmentDraft::from_definition(&lone).unwrap();
        assert_eq!(draft.conditions[0].inbox_id, "3");
        assert_eq!(
            describe_definition(&json!({ "or": [
                { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Lyon" } },
                { "not": { "has_email": {} } }
            ] })),
            "Contact additional.city equals “Lyon” or not (has an email address)"
        );
    }
}
