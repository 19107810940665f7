//! Reading a service's refusal: the fields of a validation error, a conflict's message.
use server::kernel::DomainError;

/// The sorted field names of a validation failure (panics on any other outcome).
pub fn fields<T: std::fmt::Debug>(result: Result<T, DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::Validation(errors)) => {
            let mut fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
            fields.sort();
            fields
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

/// The message of a conflict (panics on any other outcome).
pub fn conflict<T: std::fmt::Debug>(result: Result<T, DomainError>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("expected conflict, got {other:?}"),
    }
}

/// Whether the outcome is NotFound.
pub fn not_found<T: std::fmt::Debug>(result: Result<T, DomainError>) -> bool {
    matches!(result, Err(DomainError::NotFound(_)))
}
