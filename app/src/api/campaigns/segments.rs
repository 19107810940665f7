//! The campaign segment builder's model: a flat list of conditions combined with ALL or ANY
//! (each optionally negated), converted to and from the API's segment tree (one key per node,
//! snake_case: `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}` and the leaves). Trees the
//! list cannot express are edited as JSON instead. Pure functions, used by the server
//! functions and the pages alike.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Leaf kinds (API node name, label).
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

/// Text comparisons (API value, label).
pub const OPS: &[(&str, &str)] = &[
    ("eq", "equals"),
    ("contains", "contains"),
    ("exists", "is present"),
];

/// Account fields a condition can compare (API value, label).
pub const ACCOUNT_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("domain", "Domain"),
    ("industry", "Industry"),
    ("status", "Status"),
];

/// Health bands (API value, label).
pub const BANDS: &[(&str, &str)] = &[
    ("healthy", "Healthy"),
    ("at_risk", "At risk"),
    ("critical", "Critical"),
];

/// Signal types (API value, label).
pub const SIGNAL_KINDS: &[(&str, &str)] = &[
    ("pricing_question", "Pricing question"),
    ("buying_intent", "Buying intent"),
    ("churn_risk", "Churn risk"),
    ("complaint", "Complaint"),
    ("competitor_mention", "Competitor mention"),
    ("upsell", "Upsell"),
    ("other", "Other"),
];

/// Contact attribute keys offered as suggestions (the field takes any key).
pub const CONTACT_KEYS: &[&str] = &[
    "name",
    "email",
    "phone_number",
    "identifier",
    "additional.city",
    "additional.country",
    "additional.company_name",
];

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

    /// The leaf as the API's JSON, or what is missing (`n` is its 1-based number).
    fn leaf(&self, n: usize) -> Result<Value, String> {
        let days = |what: &str| -> Result<i64, String> {
            self.days
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| format!("condition {n}: {what} needs a whole number of days"))
        };
        let compare = |name: &str, subject: (&str, &str)| -> Result<Value, String> {
            let op = if self.op.is_empty() { "eq" } else { &self.op };
            let mut node = Map::new();
            node.insert(subject.0.to_owned(), json!(subject.1.trim()));
            node.insert("op".to_owned(), json!(op));
            if op != "exists" {
                if is_blank(&self.value) {
                    return Err(format!("condition {n}: enter the value to compare with"));
                }
                node.insert("value".to_owned(), json!(self.value.trim()));
            }
            Ok(json!({ name: Value::Object(node) }))
        };
        match self.kind.as_str() {
            "contact_attribute" => {
                if is_blank(&self.key) {
                    return Err(format!("condition {n}: enter the attribute key"));
                }
                compare("contact_attribute", ("key", &self.key))
            }
            "account_attribute" => {
                let field = if self.field.is_empty() {
                    "name"
                } else {
                    &self.field
                };
                compare("account_attribute", ("field", field))
            }
            "chatwoot_label" => {
                if is_blank(&self.label) {
                    return Err(format!("condition {n}: enter the label"));
                }
                Ok(json!({ "chatwoot_label": { "label": self.label.trim() } }))
            }
            "inbox" => {
                let id = self
                    .inbox_id
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("condition {n}: enter the inbox number"))?;
                Ok(json!({ "inbox": { "inbox_id": id } }))
            }
            "health_band" => {
                let band = if self.band.is_empty() {
                    "critical"
                } else {
                    &self.band
                };
                Ok(json!({ "health_band": { "band": band } }))
            }
            "signal" => {
                let kind = if self.signal_type.is_empty() {
                    "buying_intent"
                } else {
                    &self.signal_type
                };
                Ok(json!({ "signal": { "type": kind, "within_days": days("a signal")? } }))
            }
            "last_activity" => {
                let d = days("last activity")?;
                if self.when == "older" {
                    Ok(json!({ "last_activity": { "older_than_days": d } }))
                } else {
                    Ok(json!({ "last_activity": { "within_days": d } }))
                }
            }
            "has_email" => Ok(json!({ "has_email": {} })),
            other => Err(format!("condition {n}: unknown kind {other:?}")),
        }
    }

    /// The condition read from a leaf node, if it is one the form can show.
    fn from_leaf(node: &Value) -> Option<Self> {
        let (name, body) = single_key(node)?;
        let text = |key: &str| {
            body.get(key)
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default()
        };
        let mut c = Self {
            kind: name.to_owned(),
            ..Self::default()
        };
        match name {
            "contact_attribute" => {
                c.key = text("key");
                c.op = text("op");
                c.value = text("value");
            }
            "account_attribute" => {
                c.field = text("field");
                c.op = text("op");
                c.value = text("value");
            }
            "chatwoot_label" => c.label = text("label"),
            "inbox" => c.inbox_id = text("inbox_id"),
            "health_band" => c.band = text("band"),
            "signal" => {
                c.signal_type = text("type");
                c.days = text("within_days");
            }
            "last_activity" => {
                if body.get("older_than_days").is_some() {
                    c.when = "older".to_owned();
                    c.days = text("older_than_days");
                } else {
                    c.when = "within".to_owned();
                    c.days = text("within_days");
                }
            }
            "has_email" => {}
            _ => return None,
        }
        Some(c)
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        let label = |table: &[(&str, &str)], v: &str| {
            table
                .iter()
                .find(|(k, _)| *k == v)
                .map(|(_, l)| (*l).to_owned())
                .unwrap_or_else(|| v.to_owned())
        };
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

/// The key and body of a one-key object.
fn single_key(node: &Value) -> Option<(&str, &Value)> {
    let object = node.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.iter().next().map(|(k, v)| (k.as_str(), v))
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
                json!({ "not": leaf })
            } else {
                leaf
            });
        }
        if self.is_any() {
            if children.is_empty() {
                return Err("add at least one condition to match any of".to_owned());
            }
            Ok(json!({ "or": children }))
        } else {
            Ok(json!({ "and": children }))
        }
    }

    /// The form's state for a tree, when the form can show it: an and/or of leaves and
    /// negated leaves, or a lone (negated) leaf.
    pub fn from_definition(definition: &Value) -> Option<Self> {
        let (name, body) = single_key(definition)?;
        let (combine, children): (&str, Vec<&Value>) = match name {
            "and" => ("all", body.as_array()?.iter().collect()),
            "or" => ("any", body.as_array()?.iter().collect()),
            _ => ("all", vec![definition]),
        };
        let conditions = children
            .into_iter()
            .map(|child| match single_key(child) {
                Some(("not", inner)) => ConditionDraft::from_leaf(inner).map(|mut c| {
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
            exists.leaf(1).unwrap(),
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
