//! Campaign message templates: text with `{{name}}`, `{{first_name}}` and `{{company}}`
//! placeholders, rendered per member from the member's snapshot (taken when the campaign
//! started, so later edits of a contact do not change a running campaign's text).
//!
//! A placeholder may carry a fallback for members without that value: `{{first_name|there}}`.
//! Without a fallback a missing value renders as nothing. Whitespace inside the braces is
//! ignored; any other name, or an unclosed `{{`, is refused when the template is saved.
use serde_json::Value;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 3] = ["name", "first_name", "company"];

/// Longest template, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 4_000;

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part<'a> {
    Text(&'a str),
    Placeholder {
        key: &'a str,
        fallback: Option<&'a str>,
    },
}

fn parse(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("has a `{{` without its closing `}}`".to_owned());
        };
        let inner = &after[..close];
        let (key, fallback) = match inner.split_once('|') {
            Some((key, fallback)) => (key.trim(), Some(fallback.trim())),
            None => (inner.trim(), None),
        };
        if !PLACEHOLDERS.contains(&key) {
            return Err(format!(
                "uses the unknown placeholder `{{{{{key}}}}}`; use {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{{{p}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        parts.push(Part::Placeholder { key, fallback });
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

/// Checks a template: at most [`MAX_TEMPLATE_CHARS`], only known placeholders, every `{{`
/// closed. The error says what is wrong, for a person.
pub fn check(template: &str) -> Result<(), String> {
    if template.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(format!("use at most {MAX_TEMPLATE_CHARS} characters"));
    }
    parse(template).map(|_| ())
}

/// Renders `template` for a member whose snapshot is `snapshot` (a json object with the
/// placeholder names as keys). A template that does not [`check`] renders as written.
pub fn render(template: &str, snapshot: &Value) -> String {
    let Ok(parts) = parse(template) else {
        return template.to_owned();
    };
    let mut out = String::with_capacity(template.len());
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Placeholder { key, fallback } => {
                let value = snapshot
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|v| !v.is_empty());
                out.push_str(value.or(fallback).unwrap_or_default());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_render_from_the_snapshot_with_fallbacks() {
        let snapshot = json!({ "name": "Ann Lee", "first_name": "Ann", "company": null });
        assert_eq!(
            render(
                "Hi {{ first_name }}, {{name}} of {{company|your team}}{{company}}!",
                &snapshot
            ),
            "Hi Ann, Ann Lee of your team!"
        );
    }

    #[test]
    fn unknown_or_unclosed_placeholders_are_refused() {
        assert!(check("Hello {{first_name}}").is_ok());
        assert!(
            check("Hello {{email}}")
                .unwrap_err()
                .contains("unknown placeholder")
        );
        assert!(check("Hello {{first_name").unwrap_err().contains("closing"));
        assert!(check("just text }} here").is_ok());
    }
}
