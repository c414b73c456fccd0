//! One retry budget per request, shared by the SDK's retries and the app's own loops
//! (transaction conflicts, claim re-reads), so that the two never multiply: under 100 %
//! throttling or 100 % conflicts a request makes a handful of calls and answers 429 or 503,
//! instead of 5 app attempts × 3 SDK attempts each.
//!
//! The HTTP layer opens a scope per request (`DYNAMODB_REQUEST_RETRIES`, default 2). Every
//! repeat takes one retry from it: an SDK attempt after the first (the `RetryBudget`
//! interceptor refuses it when none is left) and each repeat of an app loop (`take`). No
//! retry at all once the request has made `MAX_CALLS_TO_RETRY` calls.
//! Outside a scope (crm-admin, reports) nothing is limited but the loops' own bounds.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use std::cell::Cell;

/// A retry is also refused once the request has made this many DynamoDB calls: under
/// faults, a request ends within it whatever its first calls were (a cold instance reads
/// the caller's key and a reseller before a create's own calls).
pub const MAX_CALLS_TO_RETRY: u32 = 6;

struct Budget {
    left: Cell<u32>,
    calls: Cell<u32>,
}

tokio::task_local! {
    static BUDGET: Budget;
}

/// Runs `fut` with `retries` retries to spend.
pub async fn scope<F: Future>(retries: u32, fut: F) -> F::Output {
    let budget = Budget {
        left: Cell::new(retries),
        calls: Cell::new(0),
    };
    BUDGET.scope(budget, fut).await
}

/// Takes one retry from the request's budget; `false` when none is left, or when the request
/// has made `MAX_CALLS_TO_RETRY` calls already.
pub fn take() -> bool {
    BUDGET
        .try_with(|b| match b.left.get() {
            0 => false,
            _ if b.calls.get() >= MAX_CALLS_TO_RETRY => false,
            n => {
                b.left.set(n - 1);
                true
            }
        })
        .unwrap_or(true)
}

/// Counts one DynamoDB attempt of the request.
fn attempted() {
    let _ = BUDGET.try_with(|b| b.calls.set(b.calls.get().saturating_add(1)));
}

/// The error an SDK attempt fails with when the request's retries are spent.
#[derive(Debug, thiserror::Error)]
#[error("the request's retry budget is spent")]
pub struct RetryBudgetSpent;

/// Whether `err` (or one of its sources) is a refusal by the retry budget.
pub fn is_budget_spent(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<RetryBudgetSpent>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The SDK interceptor: an attempt after an operation's first takes a retry, or fails.
#[derive(Debug, Default)]
pub struct RetryBudget;

impl Intercept for RetryBudget {
    fn name(&self) -> &'static str {
        "RetryBudget"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt > 1 && !take() {
            return Err(Box::new(RetryBudgetSpent));
        }
        attempted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_gives_its_retries_once() {
        assert!(take(), "outside a scope nothing is limited");
        let taken = scope(2, async { [take(), take(), take()] }).await;
        assert_eq!(taken, [true, true, false]);
        // Past the call cap, no retry is left, however many the budget still holds.
        let late = scope(5, async {
            for _ in 0..MAX_CALLS_TO_RETRY {
                attempted();
            }
            take()
        })
        .await;
        assert!(!late);
    }

    #[test]
    fn a_refusal_is_found_among_the_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] RetryBudgetSpent);
        assert!(is_budget_spent(&Outer(RetryBudgetSpent)));
        assert!(!is_budget_spent(&std::fmt::Error));
    }
}
