//! What every event of the product says of itself, on the bus and in a webhook's body alike.

/// The `source` of every event: change events, `Webhook Disabled`, webhook test events.
pub const SOURCE: &str = "isp-crm";
