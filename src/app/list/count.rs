//! Counts (`show_count=1`): one part at a time, from its maintained count where nothing
//! filters it.

use super::Planned;
use crate::app::budget::Budget;
use crate::app::planner::{self, Part};
use crate::app::{App, AppError};
use crate::domain::list::{Filters, ListRequest, SortField};
use crate::store::keys::count;

impl App {
    /// The number of matches in one part: an unfiltered scope from its maintained count (one
    /// small Query); a filter the key condition decides by `Select=COUNT` over the matching
    /// entries only; anything else by walking the candidates, within the budget.
    pub(super) async fn count(
        &self,
        part: Part,
        filters: &Filters,
        req: &ListRequest,
        budget: &Budget,
    ) -> Result<u64, AppError> {
        let plan = planner::plan(part, filters, SortField::Id);
        if !plan.residual && plan.key.index.holds_items() {
            let read = self.store.read_count(&count_scope(part)).await?;
            budget.spend(read.units);
            return Ok(u64::try_from(read.customers).unwrap_or(0));
        }
        if !plan.residual {
            let max = budget.entries_left(plan.key.index.entry_bytes());
            let walk = self.store.count_customers(&plan.key, Some(max)).await?;
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

/// The count partition of a part.
fn count_scope(part: Part) -> String {
    match part {
        Part::Isp(isp) => count::isp(isp),
        Part::Reseller { reseller, .. } => count::reseller(reseller),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{IspId, ResellerId};

    #[test]
    fn each_part_is_counted_in_its_own_partition() {
        assert_eq!(count_scope(Part::Isp(IspId(3))), count::isp(IspId(3)));
        let part = Part::Reseller {
            isp: IspId(3),
            reseller: ResellerId(9),
        };
        assert_eq!(count_scope(part), count::reseller(ResellerId(9)));
        assert_ne!(count::isp(IspId(9)), count::reseller(ResellerId(9)));
    }
}
