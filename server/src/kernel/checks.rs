//! Input checks shared by every capability: text bounds, evidence references, and the
//! collector that lets one response name every bad field.
use uuid::Uuid;

use crate::kernel::{
    Scope,
    audit::EvidenceRef,
    error::{DomainError, DomainResult, FieldError},
};

/// Longest account, opportunity or stage name.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free-text note (stage change notes, lost reasons).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most evidence references on one stage change.
pub const MAX_EVIDENCE_REFS: usize = 50;

/// A required name: trimmed, 1..=`max` characters.
pub(crate) fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(FieldError::new(field, format!("use 1-{max} characters")));
    }
    Ok(text.to_owned())
}

/// An optional text: trimmed, blank means none, at most `max` characters.
pub(crate) fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("use at most {max} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Collects the first error of each check so one response names every bad field.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Keeps the value of a passed check, remembers the error of a failed one.
    pub(crate) fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// Records a failure.
    pub(crate) fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Err(Validation)` when any check failed.
    pub(crate) fn finish(self) -> DomainResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }
}

/// Whether `id` is a Chatwoot global id of `kind` (`cwc`, `cw`, `cwmsg`) in the scope's
/// project: `<kind>:<project_id>:<account>:<number>`.
pub(crate) fn is_global_id_of(project_id: Uuid, kind: &str, id: &str) -> bool {
    let prefix = format!("{kind}:{project_id}:");
    let Some(rest) = id.strip_prefix(&prefix) else {
        return false;
    };
    let mut parts = rest.split(':');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

/// Checks evidence attached by a caller: bounded, non-empty ids, and Chatwoot evidence only
/// from the scope's own project.
pub(crate) fn check_evidence(
    field: &str,
    scope: &Scope,
    refs: &[EvidenceRef],
) -> Result<(), FieldError> {
    if refs.len() > MAX_EVIDENCE_REFS {
        return Err(FieldError::new(
            field,
            format!("attach at most {MAX_EVIDENCE_REFS} references"),
        ));
    }
    for r in refs {
        let id = r.id.trim();
        if id.is_empty() || id.chars().count() > 300 || r.kind.is_empty() {
            return Err(FieldError::new(
                field,
                "every reference needs a kind and an id",
            ));
        }
        let chatwoot_kind = match r.kind {
            "contact" => Some("cwc"),
            "conversation" => Some("cw"),
            "message" => Some("cwmsg"),
            _ => None,
        };
        if let Some(kind) = chatwoot_kind
            && !is_global_id_of(scope.project_id(), kind, id)
        {
            return Err(FieldError::new(
                field,
                format!("{} is not a {} of this project", r.id, r.kind),
            ));
        }
    }
    Ok(())
}

/// Evidence as stored in `evidence_refs` columns (the shape audit events use).
pub(crate) fn evidence_json(refs: &[EvidenceRef]) -> serde_json::Value {
    serde_json::Value::Array(
        refs.iter()
            .map(|r| serde_json::json!({ "kind": r.kind, "id": r.id }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_must_name_the_scope_project() {
        let project = Uuid::new_v4();
        assert!(is_global_id_of(
            project,
            "cw",
            &format!("cw:{project}:7:12")
        ));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cwc:{project}:7:12")
        ));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cw:{}:7:12", Uuid::new_v4())
        ));
        assert!(!is_global_id_of(project, "cw", &format!("cw:{project}:7")));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cw:{project}:7:x")
        ));
    }

    #[test]
    fn optional_text_treats_blank_as_none() {
        assert_eq!(optional_text("f", Some("  "), 5), Ok(None));
        assert_eq!(
            optional_text("f", Some(" ab "), 5),
            Ok(Some("ab".to_owned()))
        );
        assert!(optional_text("f", Some("abcdef"), 5).is_err());
    }
}
