//! Ready settings for the platforms sellers use: the signature scheme each documents,
//! the header that identifies one delivery (against replays), and a mapping to start
//! from. An admin may edit the mapping afterwards; the scheme stays the platform's.

use super::model::{Preset, SigEncoding, Verification};

/// The signature header and encoding of a preset; `None` for [`Preset::Custom`].
pub fn verification(preset: Preset, secret: &str) -> Option<Verification> {
    let (header, encoding, prefix) = match preset {
        Preset::Shopify => ("x-shopify-hmac-sha256", SigEncoding::Base64, ""),
        Preset::Woocommerce => ("x-wc-webhook-signature", SigEncoding::Base64, ""),
        Preset::Generic => ("x-signature", SigEncoding::Hex, "sha256="),
        Preset::Custom => return None,
    };
    Some(Verification::Hmac {
        header: header.into(),
        encoding,
        prefix: prefix.into(),
        secret: secret.into(),
    })
}

/// The header naming one delivery, and whether it needs the body beside it to be
/// unique: WooCommerce's is a hash of the webhook and the current *second*, shared by
/// two orders sent in the same second, so it is only taken together with the body.
pub fn delivery_header(preset: Preset) -> Option<(&'static str, bool)> {
    match preset {
        Preset::Shopify => Some(("x-shopify-webhook-id", false)),
        Preset::Woocommerce => Some(("x-wc-webhook-delivery-id", true)),
        Preset::Generic | Preset::Custom => Some(("x-delivery-id", false)),
    }
}

/// The mapping a new hook of this preset starts with.
pub fn mapping(preset: Preset) -> &'static str {
    match preset {
        Preset::Shopify => SHOPIFY,
        Preset::Woocommerce => WOOCOMMERCE,
        Preset::Generic | Preset::Custom => GENERIC,
    }
}

/// Shopify order webhooks (orders/create, orders/updated, orders/paid, …). Money is
/// kept as Shopify sends it (strings); the order id, an integer, becomes the record id.
const SHOPIFY: &str = r#"// Shopify order webhooks → one "order" record each.
// Other topics (products/…, customers/…) are answered and not stored.
fn map(payload, headers) {
    let topic = headers["x-shopify-topic"];
    if topic != () && !topic.starts_with("orders/") {
        return [];
    }
    let items = [];
    for li in payload.line_items ?? [] {
        items.push(#{ sku: li.sku, title: li.title, quantity: li.quantity, price: li.price });
    }
    [#{
        kind: "order",
        id: `${payload.id}`,
        occurred_at: payload.updated_at,
        data: #{
            source: "shopify",
            shop: headers["x-shopify-shop-domain"],
            name: payload.name,
            email: payload.email,
            currency: payload.currency,
            total_price: payload.total_price,
            financial_status: payload.financial_status,
            fulfillment_status: payload.fulfillment_status,
            cancelled_at: payload.cancelled_at,
            created_at: payload.created_at,
            line_items: items,
        },
    }]
}
"#;

/// WooCommerce order webhooks (order.created, order.updated, …). `total` arrives as a
/// string and line-item `price` as a number; both are kept as sent.
const WOOCOMMERCE: &str = r#"// WooCommerce order webhooks → one "order" record each.
fn map(payload, headers) {
    let topic = headers["x-wc-webhook-topic"];
    if topic != () && !topic.starts_with("order.") {
        return [];
    }
    let items = [];
    for li in payload.line_items ?? [] {
        items.push(#{ sku: li.sku, name: li.name, quantity: li.quantity, price: li.price });
    }
    // date_modified_gmt has no zone: it is UTC
    let modified = payload.date_modified_gmt;
    [#{
        kind: "order",
        id: `${payload.id}`,
        occurred_at: if modified == () { () } else { modified + "Z" },
        data: #{
            source: "woocommerce",
            number: payload.number,
            status: payload.status,
            currency: payload.currency,
            total: payload.total,
            payment_method: payload.payment_method,
            email: payload.billing?.email,
            date_created: payload.date_created,
            line_items: items,
        },
    }]
}
"#;

/// The generic hook takes Baton's own record shape: one record, a list, or
/// `{"records": [...]}` as `POST /api/erp/records` does.
const GENERIC: &str = r#"// Records in Baton's own shape: {kind, id, data, occurred_at?},
// a list of them, or {"records": [...]}.
fn map(payload, headers) {
    if type_of(payload) == "array" {
        return payload;
    }
    if "records" in payload {
        return payload.records;
    }
    [payload]
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::mapping::check;

    #[test]
    fn every_preset_mapping_compiles() {
        for p in [
            Preset::Shopify,
            Preset::Woocommerce,
            Preset::Generic,
            Preset::Custom,
        ] {
            check(mapping(p)).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        }
    }
}
