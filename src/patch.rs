//! Partial updates: telling "field absent" (leave as is) from "field set to null"
//! (clear it) in PATCH bodies.

use serde::{Deserialize, Deserializer};

/// Use as `#[serde(default, deserialize_with = "crate::patch::some")]` on an
/// `Option<Option<T>>` field: absent → `None`, `null` → `Some(None)`, a value →
/// `Some(Some(v))`.
pub fn some<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct P {
        #[serde(default, deserialize_with = "super::some")]
        x: Option<Option<u64>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        let p = |s: &str| serde_json::from_str::<P>(s).unwrap().x;
        assert_eq!(p("{}"), None);
        assert_eq!(p(r#"{"x":null}"#), Some(None));
        assert_eq!(p(r#"{"x":3}"#), Some(Some(3)));
    }
}
