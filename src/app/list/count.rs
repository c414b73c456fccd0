//! Counts (`show_count=1`): one part at a time, from its kept counts where nothing or one
//! counted field (type, state, city, zipcode, a created range, a name or name prefix)
//! filters it.

use super::Planned;
use crate::app::budget::Budget;
use crate::app::planner::{self, Part};
use crate::app::{App, AppError};
use crate::domain::list::{Filters, ListRequest, SortField};
use crate::store::counts::CountOf;

impl App {
    /// A part's kept count of `of`: one small Query, or for a name prefix the name items it
    /// matches, within the budget (refused past it).
    pub(super) async fn kept(
        &self,
        part: Part,
        of: &CountOf,
        budget: &Budget,
    ) -> Result<u64, AppError> {
        self.kept_within(part, of, budget, f64::INFINITY)
            .await?
            .ok_or_else(|| budget.refusal().into())
    }

    /// `kept`, reading at most `cap` units of the budget: `None` where a name prefix's walk
    /// stopped there.
    pub(super) async fn kept_within(
        &self,
        part: Part,
        of: &CountOf,
        budget: &Budget,
        cap: f64,
    ) -> Result<Option<u64>, AppError> {
        let read = self
            .store
            .count_of(part, of, cap.min(budget.units_left()))
            .await?;
        budget.spend(read.units);
        Ok(read
            .complete
            .then(|| u64::try_from(read.customers).unwrap_or(0)))
    }

    /// The number of matches in one part that no kept count answers (`kept` does, for no
    /// filter or one counted field): a filter the key condition decides by `Select=COUNT`
    /// over the matching entries only; anything else by walking the candidates, within the
    /// budget.
    pub(super) async fn count(
        &self,
        part: Part,
        filters: &Filters,
        req: &ListRequest,
        budget: &Budget,
    ) -> Result<u64, AppError> {
        let plan = planner::plan(part, filters, SortField::Id);
        if !plan.residual {
            let max = budget.entries_left(plan.query.entry_bytes());
            let walk = self.store.count_matching(&plan.query, Some(max)).await?;
            budget.spend(walk.units);
            return match walk.complete {
                true => Ok(walk.count),
                false => Err(budget.refusal().into()),
            };
        }
        let planned = Planned { plan, filters };
        let walk = self.walk(&planned, req, None, None, budget, false).await?;
        Ok(walk.rows.len() as u64)
    }
}
