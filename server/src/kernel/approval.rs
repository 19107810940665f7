//! The one approval state machine behind offers, campaigns and outbound messages:
//! draft -> pending -> approved | rejected, with four eyes where the record asks for them.
//!
//! Each capability keeps its own status column (a campaign's "approved" is `scheduled`, a
//! rejected campaign goes back to `draft`) and its own audit action names; it maps its status to
//! an [`ApprovalStage`], asks [`check_step`] whether a [`Step`] may be taken, and writes the
//! outcome. So who may submit, approve and reject, and from where, is decided once, here.
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::kernel::{Actor, DomainError, DomainResult, Scope};

/// Where a record stands in its approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStage {
    /// Being written: it may be submitted.
    Draft,
    /// Waiting for a decision: it may be approved or rejected.
    Pending,
    /// Past approval (approved, rejected, sent, cancelled...): no approval step applies.
    Decided,
}

/// A step of the approval workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Draft -> pending.
    Submit,
    /// Pending -> approved.
    Approve,
    /// Pending -> rejected.
    Reject,
}

impl Step {
    /// The stage the step starts from.
    pub fn from_stage(self) -> ApprovalStage {
        match self {
            Step::Submit => ApprovalStage::Draft,
            Step::Approve | Step::Reject => ApprovalStage::Pending,
        }
    }
}

/// Why a step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The record is not in the stage the step starts from.
    WrongStage,
    /// Four eyes: the author may not approve their own record.
    OwnRecord,
}

/// Whether `step` may be taken on a record at `stage` written by `author`, by `approver` (the
/// person approving; only read for [`Step::Approve`]), when the record needs `four_eyes`.
pub fn check_step(
    step: Step,
    stage: ApprovalStage,
    author: Option<Uuid>,
    approver: Option<Uuid>,
    four_eyes: bool,
) -> Result<(), Refusal> {
    if stage != step.from_stage() {
        return Err(Refusal::WrongStage);
    }
    if step == Step::Approve && four_eyes && author.is_some() && author == approver {
        return Err(Refusal::OwnRecord);
    }
    Ok(())
}

/// The person who decides: approvals and rejections are made by a member of the project, never
/// by the system (FORBIDDEN otherwise).
pub async fn decider<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
) -> DomainResult<Uuid> {
    let user = actor.user_id.ok_or(DomainError::Forbidden)?;
    if !scope.has_member(db, user).await? {
        return Err(DomainError::Forbidden);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_may_only_be_submitted() {
        let author = Some(Uuid::new_v4());

        let submit = check_step(Step::Submit, ApprovalStage::Draft, author, None, true);
        let approve = check_step(Step::Approve, ApprovalStage::Draft, author, None, true);

        assert_eq!(submit, Ok(()));
        assert_eq!(approve, Err(Refusal::WrongStage));
    }

    #[test]
    fn four_eyes_refuses_the_authors_own_approval_but_not_their_rejection() {
        let author = Uuid::new_v4();

        let own = check_step(
            Step::Approve,
            ApprovalStage::Pending,
            Some(author),
            Some(author),
            true,
        );
        let reject = check_step(
            Step::Reject,
            ApprovalStage::Pending,
            Some(author),
            Some(author),
            true,
        );
        let other = check_step(
            Step::Approve,
            ApprovalStage::Pending,
            Some(author),
            Some(Uuid::new_v4()),
            true,
        );

        assert_eq!(own, Err(Refusal::OwnRecord));
        assert_eq!(reject, Ok(()));
        assert_eq!(other, Ok(()));
    }

    #[test]
    fn without_four_eyes_the_author_may_approve() {
        let author = Some(Uuid::new_v4());

        let own = check_step(Step::Approve, ApprovalStage::Pending, author, author, false);

        assert_eq!(own, Ok(()));
    }

    #[test]
    fn a_decided_record_takes_no_step() {
        for step in [Step::Submit, Step::Approve, Step::Reject] {
            assert_eq!(
                check_step(step, ApprovalStage::Decided, None, None, false),
                Err(Refusal::WrongStage)
            );
        }
    }
}
