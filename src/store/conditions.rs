//! Condition expressions shared by single writes and transactions.

use super::n;
use crate::domain::scope::Scope;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::builders::{
    ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder,
};

/// A condition expression, its placeholder names (for attributes whose names DynamoDB
/// reserves, `name`, `type`, ...) and values.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub expr: String,
    pub names: Vec<(String, String)>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

impl Condition {
    /// Only a record (customer or service: both carry `ispid`/`resellerid`) the caller may
    /// see. One outside the scope fails it exactly as a missing one does (same answer, 404).
    pub fn within(scope: &Scope) -> Self {
        match *scope {
            Scope::Platform => Self {
                expr: "attribute_exists(id)".into(),
                ..Self::default()
            },
            Scope::Isp(isp) => Self {
                expr: "ispid = :scope_isp".into(),
                values: vec![(":scope_isp", n(isp.get()))],
                ..Self::default()
            },
            Scope::Reseller { isp, reseller } => Self {
                expr: "ispid = :scope_isp AND resellerid = :scope_reseller".into(),
                values: vec![
                    (":scope_isp", n(isp.get())),
                    (":scope_reseller", n(reseller.get())),
                ],
                ..Self::default()
            },
        }
    }

    /// Both conditions.
    pub fn and(mut self, expr: &str, values: Vec<(&'static str, AttributeValue)>) -> Self {
        self.expr = format!("({}) AND ({expr})", self.expr);
        self.values.extend(values);
        self
    }

    /// Both conditions, `other` with its placeholder names.
    pub fn and_also(self, other: Condition) -> Self {
        let mut both = self.and(&other.expr, other.values);
        both.names.extend(other.names);
        both
    }
}

/// Builders that take a condition expression.
pub trait Conditional: Sized {
    fn condition(self, c: Condition) -> Self;
}

macro_rules! conditional {
    ($($builder:ty),*) => {$(
        impl Conditional for $builder {
            fn condition(self, c: Condition) -> Self {
                let mut b = self.condition_expression(c.expr);
                for (placeholder, name) in c.names {
                    b = b.expression_attribute_names(placeholder, name);
                }
                for (placeholder, value) in c.values {
                    b = b.expression_attribute_values(placeholder, value);
                }
                b
            }
        }
    )*};
}
conditional!(
    UpdateItemFluentBuilder,
    DeleteItemFluentBuilder,
    UpdateBuilder,
    DeleteBuilder,
    PutBuilder,
    ConditionCheckBuilder
);
