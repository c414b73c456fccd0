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

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
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

/// DynamoDB's throttling error codes (an answer's HTTP 400 body names one as its `__type`).
pub const THROTTLING_CODES: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

fn is_throttle(status: u16, body: &[u8]) -> bool {
    status == 400
        && THROTTLING_CODES
            .iter()
            .any(|t| body.windows(t.len()).any(|w| w == t.as_bytes()))
}

/// The error an SDK attempt fails with when the request's retries are spent.
#[derive(Debug, thiserror::Error)]
#[error("the request's retry budget is spent")]
pub struct RetryBudgetSpent {
    /// The operation's attempt before the refused one was throttled: the request is
    /// throttled (429), not busy.
    pub after_throttle: bool,
}

/// The retry budget's refusal among `err` and its sources, if it is one.
pub fn budget_refusal<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a RetryBudgetSpent> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(spent) = e.downcast_ref::<RetryBudgetSpent>() {
            return Some(spent);
        }
        next = e.source();
    }
    None
}

/// Whether an operation's last attempt was throttled. Kept in the operation's own config
/// bag, not the request's: an admin's list runs several operations at once.
#[derive(Debug, Clone, Copy)]
struct LastThrottled(bool);

impl Storable for LastThrottled {
    type Storer = StoreReplace<Self>;
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
            let after_throttle = cfg.load::<LastThrottled>().is_some_and(|t| t.0);
            return Err(Box::new(RetryBudgetSpent { after_throttle }));
        }
        attempted();
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The body is in memory by now (read for deserialisation); error bodies are small.
        let throttled = context.response().is_some_and(|r| {
            r.body()
                .bytes()
                .is_some_and(|b| is_throttle(r.status().as_u16(), b))
        });
        cfg.interceptor_state().store_put(LastThrottled(throttled));
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
    fn throttling_is_told_by_its_status_and_type() {
        let body =
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"x"}"#;
        assert!(is_throttle(400, body));
        assert!(is_throttle(
            400,
            br#"{"__type":"...#ProvisionedThroughputExceededException"}"#
        ));
        assert!(!is_throttle(500, body));
        assert!(!is_throttle(
            400,
            br#"{"__type":"...#ConditionalCheckFailedException"}"#
        ));
    }

    #[test]
    fn a_refusal_is_found_among_the_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] RetryBudgetSpent);
        let outer = Outer(RetryBudgetSpent {
            after_throttle: true,
        });
        assert!(budget_refusal(&outer).is_some_and(|r| r.after_throttle));
        assert!(budget_refusal(&std::fmt::Error).is_none());
    }
}
