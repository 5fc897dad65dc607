//! Exact amounts of money in minor units (cents, 分): parsed once here for the
//! scenarios' `cents(...)` helper and the custom fields of type money alike, so a
//! condition and a stored value always agree on what "20,000.50" is.

/// Why a text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// Not digits (with `,` separators), an optional `-`, at most two decimals.
    Malformed,
    /// More than an `i64` of cents holds.
    TooLarge,
}

/// "5,000.50" → 500050, without allocating (this runs for every purchase order).
pub fn parse_cents(s: &str) -> Result<i64, MoneyError> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 2 {
        return Err(MoneyError::Malformed);
    }
    let mut c: i64 = 0;
    for b in whole.bytes().filter(|b| *b != b',') {
        if !b.is_ascii_digit() {
            return Err(MoneyError::Malformed);
        }
        c = c
            .checked_mul(10)
            .and_then(|x| x.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::TooLarge)?;
    }
    let mut f: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        if !b.is_ascii_digit() {
            return Err(MoneyError::Malformed);
        }
        f += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    let c = c
        .checked_mul(100)
        .and_then(|x| x.checked_add(f))
        .ok_or(MoneyError::TooLarge)?;
    Ok(if neg { -c } else { c })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_cents("5,000.50"), Ok(500_050));
        assert_eq!(parse_cents(" -0.5 "), Ok(-50));
        assert_eq!(parse_cents("12"), Ok(1_200));
        assert_eq!(parse_cents("1.234"), Err(MoneyError::Malformed));
        assert_eq!(parse_cents("x"), Err(MoneyError::Malformed));
        assert_eq!(parse_cents("."), Err(MoneyError::Malformed));
        assert_eq!(
            parse_cents("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }
}
