//! News (跨境眼): admins add RSS/Atom feeds; a scheduled fetcher stores their items.
//! A feed that fails (time-out, too large, not a feed) keeps its error for admins to
//! see; the other feeds are unaffected and nothing crashes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::net::outbound::{parse_url, read_capped, BodyError};
use crate::net::{explain, AddressPolicy, Failure, Options, Outbound};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::{Record, Store};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    pub id: u64,
    pub rev: u64,
    pub url: String,
    /// The feed's own title once fetched.
    pub title: Option<String>,
    pub added_at: DateTime<Utc>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_ok_at: Option<DateTime<Utc>>,
    /// Why the last fetch failed; `null` after a good one.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewsItem {
    pub id: u64,
    pub rev: u64,
    pub feed_id: u64,
    pub feed_title: Option<String>,
    /// The entry's id within its feed.
    pub guid: String,
    pub title: String,
    /// http(s) only; anything else is dropped.
    pub link: Option<String>,
    /// Plain text, at most 500 characters.
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
}

const IX_FEED_URL: &str = "feed_url";
const IX_ITEM_GUID: &str = "news_guid";
const IX_ITEM_FEED: &str = "news_feed";
/// Items kept per feed (the newest).
pub const KEEP_PER_FEED: usize = 100;

impl Record for Feed {
    const KIND: &'static str = "newsfeed";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_FEED_URL, self.url.clone())]
    }
}

impl Record for NewsItem {
    const KIND: &'static str = "newsitem";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        use sha2::Digest;
        let h = hex::encode(sha2::Sha256::digest(self.guid.as_bytes()));
        vec![(IX_ITEM_GUID, format!("{}/{h}", self.feed_id))]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_ITEM_FEED, self.feed_id.to_string())]
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    pub url: String,
}

fn http_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    (l.starts_with("http://") || l.starts_with("https://"))
        && s.len() > 8
        && !s.contains(char::is_whitespace)
}

pub fn add_feed(
    store: &Store,
    actor: &Actor,
    input: NewFeed,
    net: &AddressPolicy,
    now: DateTime<Utc>,
) -> ServiceResult<Feed> {
    require_company_admin(actor, CompanyArea::NewsFeeds)?;
    let url = input.url.trim().to_string();
    if !http_url(&url) || url.len() > 2000 {
        return Err(ServiceError::invalid(
            "url",
            "an http:// or https:// address of a feed",
        ));
    }
    // Internal addresses written out (any spelling) or `localhost` are refused now;
    // names are checked on every fetch, redirects included.
    parse_url(net, &url).map_err(|e| ServiceError::invalid("url", e.to_string()))?;
    let mut f = Feed {
        id: 0,
        rev: 0,
        url,
        title: None,
        added_at: now,
        last_fetch_at: None,
        last_ok_at: None,
        last_error: None,
    };
    store.write(|tx| tx.insert(&mut f))?;
    Ok(f)
}

pub fn list_feeds(store: &Store, actor: &Actor) -> ServiceResult<Vec<Feed>> {
    require_company_admin(actor, CompanyArea::NewsFeeds)?;
    Ok(store.list()?)
}

pub fn delete_feed(store: &Store, actor: &Actor, id: u64) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::NewsFeeds)?;
    let items = store.ids_by(IX_ITEM_FEED, &id.to_string())?;
    store.write(|tx| {
        tx.delete::<Feed>(id)?;
        for i in &items {
            tx.delete::<NewsItem>(*i)?;
        }
        Ok(())
    })
}

/// The newest items of all feeds, at most `limit`.
pub fn items(store: &Store, limit: usize) -> ServiceResult<Vec<NewsItem>> {
    let mut all: Vec<NewsItem> = store.list()?;
    all.sort_by(|a, b| {
        b.published_at
            .unwrap_or(b.fetched_at)
            .cmp(&a.published_at.unwrap_or(a.fetched_at))
    });
    all.truncate(limit);
    Ok(all)
}

/// One entry of a parsed feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub guid: String,
    pub title: String,
    pub link: Option<String>,
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// A parsed feed document.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub title: Option<String>,
    pub entries: Vec<Entry>,
}

fn plain_text(html: &str) -> String {
    let cleaned = ammonia::Builder::empty().clean(html).to_string();
    let text = cleaned
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(500).collect()
}

/// Parses RSS or Atom bytes (pure; errors say what is wrong).
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let feed =
        feed_rs::parser::parse(bytes).map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let entries = feed
        .entries
        .into_iter()
        .map(|e| {
            let link = e.links.iter().map(|l| l.href.clone()).find(|h| http_url(h));
            let summary = e
                .summary
                .map(|s| s.content)
                .or_else(|| e.content.and_then(|c| c.body))
                .map(|s| plain_text(&s))
                .unwrap_or_default();
            Entry {
                guid: e.id,
                title: e
                    .title
                    .map(|t| plain_text(&t.content))
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "(untitled)".into()),
                link,
                summary,
                published_at: e.published.or(e.updated),
            }
        })
        .collect();
    Ok(Parsed {
        title: feed.title.map(|t| plain_text(&t.content)),
        entries,
    })
}

/// A failed request said for admins (the address stays out: it is on the feed).
fn failed(f: Failure) -> String {
    match f {
        Failure::Refused(r) => format!("address refused: {r}"),
        Failure::TimedOut => "request timed out".into(),
        Failure::Other(e) => format!("request failed: {e}"),
    }
}

/// Downloads one feed with a time-out and a size limit; the error is for admins.
pub async fn download(
    client: &Outbound,
    url: &str,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Vec<u8>, String> {
    let fetch = async {
        let mut resp = client
            .request(reqwest::Method::GET, url)
            .map_err(|e| failed(e.into()))?
            .header(
                reqwest::header::ACCEPT,
                "application/rss+xml, application/atom+xml, application/xml, text/xml",
            )
            .send()
            .await
            .map_err(|e| failed(explain(e)))?;
        if !resp.status().is_success() {
            return Err(format!("the server answered {}", resp.status()));
        }
        read_capped(&mut resp, max_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge(_) => {
                    format!("the feed is larger than {} KiB", max_bytes / 1024)
                }
                BodyError::Broken(why) => format!("download failed: {why}"),
            })
    };
    match tokio::time::timeout(timeout, fetch).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "no complete answer within {} s",
            timeout.as_secs_f32()
        )),
    }
}

/// Stores the outcome of fetching one feed: new items, or the error.
pub fn record_fetch(
    store: &Store,
    feed_id: u64,
    outcome: Result<Parsed, String>,
    now: DateTime<Utc>,
) -> ServiceResult<Feed> {
    let existing = store.ids_by(IX_ITEM_FEED, &feed_id.to_string())?;
    store.write(|tx| {
        let mut feed: Feed = tx.load(feed_id)?;
        let rev = feed.rev;
        feed.last_fetch_at = Some(now);
        match outcome {
            Err(e) => feed.last_error = Some(e),
            Ok(parsed) => {
                feed.last_error = None;
                feed.last_ok_at = Some(now);
                if parsed.title.as_deref().is_some_and(|t| !t.is_empty()) {
                    feed.title = parsed.title;
                }
                let mut added = 0usize;
                for e in parsed.entries.into_iter().take(KEEP_PER_FEED) {
                    let mut item = NewsItem {
                        id: 0,
                        rev: 0,
                        feed_id,
                        feed_title: feed.title.clone(),
                        guid: e.guid,
                        title: e.title,
                        link: e.link,
                        summary: e.summary,
                        published_at: e.published_at,
                        fetched_at: now,
                    };
                    let key = item.unique_keys().remove(0);
                    if tx.lookup(key.0, &key.1)?.is_none() {
                        tx.insert(&mut item)?;
                        added += 1;
                    }
                }
                // Keep the newest KEEP_PER_FEED: `existing` is highest id first.
                let keep_old = KEEP_PER_FEED.saturating_sub(added);
                for old in existing.iter().skip(keep_old) {
                    tx.delete::<NewsItem>(*old)?;
                }
            }
        }
        tx.update(&mut feed, rev)?;
        Ok::<_, ServiceError>(feed)
    })
}

/// The HTTP client feeds are fetched with: no cookies, a few redirects at most, each
/// checked against the address policy like the first request.
pub fn client(net: &AddressPolicy) -> Result<Outbound, String> {
    Outbound::new(
        net.clone(),
        Options {
            timeout: None,
            redirects: 5,
            user_agent: concat!("Baton/", env!("CARGO_PKG_VERSION"), " (news feeds)"),
        },
    )
}

/// Fetches one feed and records the outcome; never fails for a bad feed.
pub async fn fetch_one(
    store: &Store,
    client: &Outbound,
    feed: &Feed,
    timeout: Duration,
    max_bytes: u64,
) -> ServiceResult<Feed> {
    let outcome = match download(client, &feed.url, timeout, max_bytes).await {
        Ok(bytes) => parse(&bytes),
        Err(e) => Err(e),
    };
    if let Err(e) = &outcome {
        tracing::warn!(feed = feed.id, url = %feed.url, error = %e, "news feed fetch failed");
    }
    let store = store.clone();
    let id = feed.id;
    tokio::task::spawn_blocking(move || record_fetch(&store, id, outcome, Utc::now()))
        .await
        .map_err(|e| ServiceError::Internal(format!("worker failed: {e}")))?
}

/// Fetches every feed concurrently; one feed's failure does not touch the others.
pub async fn fetch_all(
    store: &Store,
    net: &AddressPolicy,
    timeout: Duration,
    max_bytes: u64,
) -> usize {
    let client = match client(net) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the news HTTP client");
            return 0;
        }
    };
    let s = store.clone();
    let feeds: Vec<Feed> = match tokio::task::spawn_blocking(move || s.list::<Feed>()).await {
        Ok(Ok(f)) => f,
        _ => return 0,
    };
    let mut set = tokio::task::JoinSet::new();
    for f in feeds {
        let (store, client) = (store.clone(), client.clone());
        set.spawn(async move { fetch_one(&store, &client, &f, timeout, max_bytes).await });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok(f)) if f.last_error.is_none() => ok += 1,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "recording a feed fetch failed"),
            Err(e) => tracing::error!(error = %e, "feed fetch task failed"),
        }
    }
    ok
}

#[cfg(test)]
#[path = "news_tests.rs"]
mod tests;
