//! Reads through the secondary indexes: unique (`ix/{index}/{value}` → id) and
//! non-unique (`mx/{index}/{value}/{id}`), without loading the records.

use super::backend::KeyRange;
use super::keys::{self, index_key};
use super::{Store, StoreError};

impl Store {
    /// Id stored under a unique index value.
    pub fn lookup(&self, index: &str, value: &str) -> Result<Option<u64>, StoreError> {
        self.raw_get(&index_key(index, value))?
            .map(|v| keys::decode_id(&v))
            .transpose()
    }

    /// Ids of records with `value` in non-unique index `index`, highest id first.
    pub fn ids_by(&self, index: &str, value: &str) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::new();
        for item in self.scan(KeyRange::prefix(keys::multi_prefix(index, value)), true) {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Ids in non-unique index `index` whose value is at most `upto` (lexical order;
    /// use fixed-width values such as `flow::model::time_key`), lowest value first.
    pub fn ids_by_range(&self, index: &str, upto: &str) -> Result<Vec<u64>, StoreError> {
        let start = format!("mx/{index}/").into_bytes();
        // '/' + 1 = '0'...: everything with a value <= upto sorts below "upto/\xff".
        let mut end = format!("mx/{index}/{upto}/").into_bytes();
        end.push(0xff);
        let mut out = Vec::new();
        for item in self.scan(KeyRange::between(start, end), false) {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The distinct values of non-unique index `index`, jumping from one value to the
    /// next instead of reading every entry.
    pub fn index_values(&self, index: &str) -> Result<Vec<String>, StoreError> {
        self.distinct_heads(&format!("mx/{index}/"))
    }

    /// The distinct heads (the text before the first `/`) of the values in unique index
    /// `index`, jumping from one head to the next: the kinds of `erp_record` values
    /// `{kind}/{record_id}`.
    pub fn unique_value_heads(&self, index: &str) -> Result<Vec<String>, StoreError> {
        self.distinct_heads(&format!("ix/{index}/"))
    }

    /// Ids in unique index `index` whose value starts with `value_prefix`, in value
    /// order, without loading the records.
    pub fn ids_by_unique_prefix(
        &self,
        index: &str,
        value_prefix: &str,
    ) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::new();
        for item in self.scan(KeyRange::prefix(index_key(index, value_prefix)), false) {
            let (_, v) = item?;
            out.push(keys::decode_id(&v)?);
        }
        Ok(out)
    }

    /// The `limit` highest ids among [`Store::ids_by_unique_prefix`]'s, highest first,
    /// holding only `limit` of them at a time: the newest page of a kind with a
    /// quarter of a million records, which collecting and sorting every id made cost
    /// 2-4 MiB per request.
    pub fn newest_ids_by_unique_prefix(
        &self,
        index: &str,
        value_prefix: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        if limit == 0 {
            return Ok(Vec::new());
        }
        // grows with what is found, not with what a caller asks for
        let mut lowest_first: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(limit.min(1024));
        for item in self.scan(KeyRange::prefix(index_key(index, value_prefix)), false) {
            let (_, v) = item?;
            let id = keys::decode_id(&v)?;
            if lowest_first.len() < limit {
                lowest_first.push(Reverse(id));
            } else if lowest_first.peek().is_some_and(|Reverse(low)| id > *low) {
                lowest_first.pop();
                lowest_first.push(Reverse(id));
            }
        }
        // ascending order of `Reverse` is descending order of ids
        Ok(lowest_first
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(id)| id)
            .collect())
    }

    fn distinct_heads(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut from = prefix.as_bytes().to_vec();
        while let Some(item) = self.scan(KeyRange::from(from.clone()), false).next() {
            let (k, _) = item?;
            let Some(rest) = k.strip_prefix(prefix.as_bytes()) else {
                break;
            };
            let Some(end) = rest.iter().position(|b| *b == b'/') else {
                break;
            };
            let value = String::from_utf8_lossy(&rest[..end]).into_owned();
            // '0' follows '/': the first key after every "{value}/…" entry.
            from = format!("{prefix}{value}0").into_bytes();
            out.push(value);
        }
        Ok(out)
    }

    /// Number of records with `value` in index `index`, without loading them.
    pub fn count_by(&self, index: &str, value: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.scan(KeyRange::prefix(keys::multi_prefix(index, value)), false) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// Number of entries in non-unique index `index` whose value `v` satisfies
    /// `from <= v < to` (lexical order; use fixed-width values), without loading them.
    pub fn count_range(&self, index: &str, from: &str, to: &str) -> Result<usize, StoreError> {
        let start = format!("mx/{index}/{from}").into_bytes();
        let end = format!("mx/{index}/{to}").into_bytes();
        let mut n = 0;
        if start >= end {
            return Ok(n);
        }
        for item in self.scan(KeyRange::between(start, end), false) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// Ids of records with `value` in non-unique index `index`, read lazily in reverse
    /// key order (the highest value, then the highest id, first), so a caller that
    /// needs the first few never reads the rest.
    pub fn ids_by_newest<'s>(
        &'s self,
        index: &str,
        value: &str,
    ) -> impl Iterator<Item = Result<u64, StoreError>> + 's {
        self.scan(KeyRange::prefix(keys::multi_prefix(index, value)), true)
            .filter_map(|item| match item {
                Ok((k, _)) => keys::id_from_multi_key(&k).map(Ok),
                Err(e) => Some(Err(e)),
            })
    }

    /// Ids of at most `limit` entries in non-unique index `index` whose value `v`
    /// satisfies `from <= v < to` (lexical order), lowest value first: the first page
    /// of an ordered view without reading the rest.
    pub fn ids_in_range(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.range_page(index, from, to, limit, false)
    }

    /// [`Store::ids_in_range`] from the other end: highest value first.
    pub fn ids_in_range_rev(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.range_page(index, from, to, limit, true)
    }

    fn range_page(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<u64>, StoreError> {
        let start = format!("mx/{index}/{from}").into_bytes();
        let end = format!("mx/{index}/{to}").into_bytes();
        let mut out = Vec::new();
        if start >= end {
            return Ok(out);
        }
        for item in self
            .scan(KeyRange::between(start, end), reverse)
            .take(limit)
        {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }
}
