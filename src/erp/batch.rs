//! The body of `POST /api/erp/records`, read so that no integer is rounded into a float.
//!
//! Nearly every batch has no integer beyond 64 bits: one scan of the body
//! ([`first_wide_int`]) says so and the body is parsed as before. Only when the scan
//! finds one is each record taken as raw text, so that the records carrying such an
//! integer are rejected (with their position in the batch) and the others stored.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::wide_ints::first_wide_int;

#[derive(Deserialize)]
struct Batch {
    records: Vec<Value>,
}

#[derive(Deserialize)]
struct RawBatch<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

/// A record as sent, or as far as it could be read and why it is refused.
pub type Read = Result<Value, (Value, String)>;

/// The batch's records in order. A body that is not `{"records":[…]}` is an error as a
/// whole; a record with an integer beyond 64 bits is refused alone.
pub fn read_batch(body: &[u8]) -> Result<Vec<Read>, serde_json::Error> {
    if first_wide_int(body).is_none() {
        let batch: Batch = serde_json::from_slice(body)?;
        return Ok(batch.records.into_iter().map(Ok).collect());
    }
    let batch: RawBatch<'_> = serde_json::from_slice(body)?;
    batch
        .records
        .into_iter()
        .map(|raw| {
            let text = raw.get();
            // parsed anyway, so a rejection can name the record's kind and id
            let value: Value = serde_json::from_str(text)?;
            Ok(match first_wide_int(text.as_bytes()) {
                None => Ok(value),
                Some(w) => {
                    let at = text.get(..w.offset).map_or(0, |s| s.chars().count()) + 1;
                    Err((
                        value,
                        format!("character {at} of the record: {}", w.reason()),
                    ))
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wide_integer_rejects_only_its_record() {
        let body = br#"{"records":[
            {"kind":"order","id":"SO-1","data":{"n":12345678901234567890}},
            {"kind":"order","id":"SO-2","data":{"tracking":12345678901234567890123}},
            {"kind":"order","id":"SO-3","data":{"t":"12345678901234567890123","x":-1.5e300}}
        ]}"#;
        let read = read_batch(body).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(
            read[0].as_ref().unwrap()["data"]["n"],
            json!(12345678901234567890u64)
        );
        let (v, reason) = read[1].as_ref().unwrap_err();
        assert_eq!(v["id"], "SO-2");
        assert!(
            reason.starts_with("character 48 of the record: the integer 12345678901234567890123"),
            "{reason}"
        );
        assert_eq!(
            read[2].as_ref().unwrap()["data"]["t"],
            "12345678901234567890123"
        );
    }

    #[test]
    fn the_common_case_and_bad_bodies() {
        let read = read_batch(br#"{"records":[{"a":1},5]}"#).unwrap();
        assert!(read.iter().all(Result::is_ok));
        assert!(read_batch(br#"{"records":5}"#).is_err());
        assert!(read_batch(br#"{"records":[{"a":99999999999999999999999}"#).is_err());
        // a wide integer outside the records changes nothing
        let read = read_batch(br#"{"x":99999999999999999999999,"records":[{"a":1}]}"#).unwrap();
        assert!(read[0].is_ok());
    }
}
