//! Unit tests of `news.rs` (a feed parsed to text only, a page that is no feed
//! refused), kept apart so the module stays under 400 lines.

use super::*;

#[test]
fn parses_rss_and_keeps_text_only() {
    let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Shop news</title>
<item><guid>a1</guid><title>Fees &lt;b&gt;up&lt;/b&gt;</title><link>https://example.com/a1</link>
<description>&lt;script&gt;alert(1)&lt;/script&gt;Amazon raises fees</description></item>
<item><guid>a2</guid><title>Bad link</title><link>javascript:alert(1)</link></item>
</channel></rss>"#;
    let p = parse(rss).unwrap();
    assert_eq!(p.title.as_deref(), Some("Shop news"));
    assert_eq!(p.entries.len(), 2);
    assert_eq!(p.entries[0].link.as_deref(), Some("https://example.com/a1"));
    assert!(!p.entries[0].summary.contains("<script"));
    assert!(p.entries[0].summary.contains("Amazon raises fees"));
    assert_eq!(p.entries[1].link, None);
}

#[test]
fn not_xml_is_an_error() {
    assert!(parse(b"<html><body>hello</body></html>").is_err());
    assert!(parse(b"just text").is_err());
}
