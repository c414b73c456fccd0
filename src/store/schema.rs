//! Creates the tables *as template.yaml declares them*, so the local stack, the tests and
//! AWS share one definition. Only the key schema, indexes, TTL and stream are read; the rest
//! of a table's properties (billing, PITR, encryption) only matter on AWS.

use super::{Store, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde::Deserialize;
use serde_yaml_ng::Value;

/// template.yaml as it was when this binary was built.
pub const TEMPLATE: &str = include_str!("../../template.yaml");

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("table {table}: {source}")]
    Create {
        table: String,
        #[source]
        source: StoreError,
    },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDef {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDef {
    pub index_name: String,
    pub key_schema: Vec<KeyDef>,
    pub projection: ProjectionDef,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TtlDef {
    pub attribute_name: String,
    pub enabled: bool,
}

/// A table's stream (`StreamSpecification`): the change-events consumer reads it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDef {
    pub stream_view_type: String,
}

/// One `AWS::DynamoDB::Table` of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub logical_id: String,
    pub attributes: Vec<AttributeDef>,
    pub key_schema: Vec<KeyDef>,
    pub indexes: Vec<IndexDef>,
    pub ttl: Option<TtlDef>,
    pub stream: Option<StreamDef>,
}

fn property<T: serde::de::DeserializeOwned>(
    props: &Value,
    name: &str,
    table: &str,
) -> Result<Option<T>, SchemaError> {
    props
        .get(name)
        .map(|v| serde_yaml_ng::from_value(v.clone()))
        .transpose()
        .map_err(|e| SchemaError::Template(format!("{table}.{name}: {e}")))
}

/// Every DynamoDB table the template declares, in template order.
pub fn table_defs(template: &str) -> Result<Vec<TableDef>, SchemaError> {
    let doc: Value =
        serde_yaml_ng::from_str(template).map_err(|e| SchemaError::Template(e.to_string()))?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| SchemaError::Template("no Resources".into()))?;
    let mut tables = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let id = id.as_str().unwrap_or_default().to_owned();
        let props = resource
            .get("Properties")
            .ok_or_else(|| SchemaError::Template(format!("{id}: no Properties")))?;
        let missing = |what: &str| SchemaError::Template(format!("{id}: no {what}"));
        tables.push(TableDef {
            attributes: property(props, "AttributeDefinitions", &id)?
                .ok_or_else(|| missing("AttributeDefinitions"))?,
            key_schema: property(props, "KeySchema", &id)?.ok_or_else(|| missing("KeySchema"))?,
            indexes: property(props, "GlobalSecondaryIndexes", &id)?.unwrap_or_default(),
            ttl: property(props, "TimeToLiveSpecification", &id)?,
            stream: property(props, "StreamSpecification", &id)?,
            logical_id: id,
        });
    }
    Ok(tables)
}

fn build_err(e: impl std::fmt::Display) -> SchemaError {
    SchemaError::Template(e.to_string())
}

fn key_schema(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>, SchemaError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(build_err)
        })
        .collect()
}

impl Store {
    /// Creates every table of `template` that does not exist yet, under the names of
    /// `self.tables`. Returns the names created.
    pub async fn create_tables(&self, template: &str) -> Result<Vec<String>, SchemaError> {
        let mut created = Vec::new();
        for def in table_defs(template)? {
            let name = self
                .tables
                .by_logical_id(&def.logical_id)
                .ok_or_else(|| {
                    SchemaError::Template(format!(
                        "{}: a table this code does not know",
                        def.logical_id
                    ))
                })?
                .to_owned();
            if self.create_table(&name, &def).await? {
                created.push(name);
            }
        }
        Ok(created)
    }

    async fn create_table(&self, name: &str, def: &TableDef) -> Result<bool, SchemaError> {
        let fail = |e: StoreError| SchemaError::Create {
            table: name.to_owned(),
            source: e,
        };
        let attributes = def
            .attributes
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.attribute_name)
                    .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                    .build()
                    .map_err(build_err)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let indexes = def
            .indexes
            .iter()
            .map(|i| {
                let projection = Projection::builder()
                    .projection_type(ProjectionType::from(i.projection.projection_type.as_str()))
                    .set_non_key_attributes(
                        (!i.projection.non_key_attributes.is_empty())
                            .then(|| i.projection.non_key_attributes.clone()),
                    )
                    .build();
                GlobalSecondaryIndex::builder()
                    .index_name(&i.index_name)
                    .set_key_schema(Some(key_schema(&i.key_schema)?))
                    .projection(projection)
                    .build()
                    .map_err(build_err)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let stream = def
            .stream
            .as_ref()
            .map(|s| {
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(s.stream_view_type.as_str()))
                    .build()
                    .map_err(build_err)
            })
            .transpose()?;
        let res = self
            .client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(&def.key_schema)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .set_stream_specification(stream)
            .send()
            .await;
        match res {
            Ok(_) => {}
            Err(e) if super::error::code_of(&e) == Some("ResourceInUseException") => {
                return Ok(false);
            }
            Err(e) => return Err(fail(e.into())),
        }
        if let Some(ttl) = def.ttl.as_ref().filter(|t| t.enabled) {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(&ttl.attribute_name)
                .enabled(true)
                .build()
                .map_err(build_err)?;
            self.client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(|e| fail(e.into()))?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::{
        CustomerIndex, IDS_BY_ISP, IDS_BY_RESELLER, RESELLERS_BY_ISP, SERVICES_BY_ISP_CUSTOMER,
        SERVICES_BY_RESELLER_CUSTOMER, ServiceIndex, TABLES, UserIndex, count, deleted, history,
    };

    #[test]
    fn template_declares_every_table_and_index_the_code_uses() {
        let defs = table_defs(TEMPLATE).unwrap();
        let ids: Vec<_> = defs.iter().map(|d| d.logical_id.as_str()).collect();
        for (logical_id, _, _) in TABLES {
            assert!(
                ids.contains(&logical_id),
                "{logical_id} missing from template.yaml"
            );
        }
        let indexes = CustomerIndex::ALL
            .iter()
            .map(|i| ("CustomersTable", i.name(), i.key_attrs()))
            .chain(
                ServiceIndex::ALL
                    .iter()
                    .map(|i| ("ServicesTable", i.name(), i.key_attrs())),
            )
            .chain(
                UserIndex::ALL
                    .iter()
                    .map(|i| ("UsersTable", i.name(), i.key_attrs())),
            )
            .chain([("ResellersTable", RESELLERS_BY_ISP.0, RESELLERS_BY_ISP.1)])
            .chain([
                ("ClaimsTable", deleted::BY_ISP.0, deleted::BY_ISP.1),
                (
                    "ClaimsTable",
                    deleted::BY_RESELLER.0,
                    deleted::BY_RESELLER.1,
                ),
                (
                    "ClaimsTable",
                    history::BY_CUSTOMER.0,
                    history::BY_CUSTOMER.1,
                ),
                ("CountsTable", count::NAMES.0, count::NAMES.1),
                ("CustomersTable", IDS_BY_ISP.0, IDS_BY_ISP.1),
                ("CustomersTable", IDS_BY_RESELLER.0, IDS_BY_RESELLER.1),
                (
                    "ServicesTable",
                    SERVICES_BY_ISP_CUSTOMER.0,
                    SERVICES_BY_ISP_CUSTOMER.1,
                ),
                (
                    "ServicesTable",
                    SERVICES_BY_RESELLER_CUSTOMER.0,
                    SERVICES_BY_RESELLER_CUSTOMER.1,
                ),
            ]);
        for (table, name, (pk, sk)) in indexes {
            let def = defs
                .iter()
                .find(|d| d.logical_id == table)
                .and_then(|d| d.indexes.iter().find(|i| i.index_name == name))
                .unwrap_or_else(|| panic!("index {name} missing from {table}"));
            let names: Vec<_> = def
                .key_schema
                .iter()
                .map(|k| k.attribute_name.as_str())
                .collect();
            assert_eq!(names, [pk, sk], "key of {table} {name}");
        }
        // What each customers index projects is what the planner decides on its entries.
        let customers = defs
            .iter()
            .find(|d| d.logical_id == "CustomersTable")
            .unwrap();
        for index in CustomerIndex::ALL {
            let def = customers
                .indexes
                .iter()
                .find(|i| i.index_name == index.name())
                .unwrap();
            let (kind, attrs) = (
                &def.projection.projection_type,
                &def.projection.non_key_attributes,
            );
            match index.holds_items() {
                true => assert_eq!(kind, "ALL", "{}", index.name()),
                false => assert_eq!(
                    (
                        kind.as_str(),
                        attrs.iter().map(String::as_str).collect::<Vec<_>>()
                    ),
                    ("INCLUDE", index.projects().to_vec()),
                    "{}",
                    index.name()
                ),
            }
        }
    }

    #[test]
    fn customers_and_services_stream_both_images_claims_new_ones_and_no_other_table_streams() {
        let defs = table_defs(TEMPLATE).unwrap();
        for def in &defs {
            let view = def.stream.as_ref().map(|s| s.stream_view_type.as_str());
            match def.logical_id.as_str() {
                // src/events reads old and new images to name the change and diff it.
                "CustomersTable" | "ServicesTable" => {
                    assert_eq!(view, Some("NEW_AND_OLD_IMAGES"), "{}", def.logical_id)
                }
                // webhook-delivery reads the API's test and replay requests (new items only).
                "ClaimsTable" => assert_eq!(view, Some("NEW_IMAGE")),
                other => assert_eq!(view, None, "{other} has a stream nobody reads"),
            }
        }
    }
}
