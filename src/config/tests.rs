//! Unit tests of the configuration: defaults, precedence file < env < flags, each
//! section's limits and errors.

use super::*;

fn file(text: &str) -> FileConfig {
    toml::from_str(text).unwrap()
}

#[test]
fn defaults_apply_without_anything() {
    let c = Config::merge(
        &GlobalArgs::default(),
        &ServeArgs::default(),
        FileConfig::default(),
        None,
    )
    .unwrap();
    assert_eq!(c.data_dir, PathBuf::from("./baton-data"));
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.cache_bytes, DEFAULT_CACHE_MB << 20);
    assert_eq!(c.body_limit, 1 << 20);
    assert!(c.backup.interval.is_none());
    assert_eq!(c.backup.dir, PathBuf::from("./baton-data/backups"));
}

#[test]
fn file_overrides_defaults_and_flags_override_file() {
    let f = file("data = \"/srv/a\"\nlisten = \"0.0.0.0:9000\"\ncache_capacity_mb = 16\n[backup]\ninterval = \"6h\"\nkeep = 3\n");
    let global = GlobalArgs {
        data: Some("/srv/b".into()),
        config: None,
    };
    let serve = ServeArgs {
        listen: None,
        cache_capacity_mb: Some(8),
        ..Default::default()
    };
    let c = Config::merge(&global, &serve, f, None).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("/srv/b"), "flag beats file");
    assert_eq!(c.listen.to_string(), "0.0.0.0:9000", "file beats default");
    assert_eq!(c.cache_bytes, 8 << 20);
    assert_eq!(c.backup.interval, Some(Duration::from_secs(6 * 3600)));
    assert_eq!(c.backup.keep, 3);
    assert_eq!(c.backup.dir, PathBuf::from("/srv/b/backups"));
}

#[test]
fn delivery_timings_default_and_from_the_file() {
    let none = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
    let d = none(FileConfig::default()).unwrap().delivery;
    assert_eq!(d.timeout, Duration::from_secs(10));
    assert_eq!((d.max_attempts, d.concurrency), (8, 4));
    let d = none(file(
        "[delivery]\ninterval = \"100ms\"\ntimeout = \"1s\"\nretry_base = \"2s\"\nmax_attempts = 0\nconcurrency = 2\n",
    ))
    .unwrap()
    .delivery;
    assert_eq!(d.interval, Duration::from_millis(100));
    assert_eq!(d.retry_base, Duration::from_secs(2));
    assert_eq!((d.max_attempts, d.concurrency), (1, 2), "at least one try");
    assert!(toml::from_str::<FileConfig>("[delivery]\nretries = 3").is_err());
}

#[test]
fn allow_private_parsed_and_checked() {
    let merge = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
    let lo: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let c = merge(FileConfig::default()).unwrap();
    assert!(c.network.check(lo).is_err(), "internal refused by default");
    let c = merge(file(
        "[network]\nallow_private = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n",
    ))
    .unwrap();
    assert!(c.network.check(lo).is_ok());
    assert!(c.network.check("10.9.8.7".parse().unwrap()).is_ok());
    assert!(c.network.check("192.168.0.1".parse().unwrap()).is_err());
    let e = merge(file("[network]\nallow_private = [\"0.0.0.0/0\"]\n")).unwrap_err();
    assert!(e.to_string().contains("[network] allow_private"), "{e}");
    assert!(toml::from_str::<FileConfig>("[network]\nallow = []").is_err());
}

#[test]
fn chat_app_addresses_overridden_and_checked() {
    let merge = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
    let c = merge(FileConfig::default()).unwrap();
    assert_eq!(c.chat_apps.feishu, "https://open.feishu.cn");
    let c = merge(file(
        "[chat_apps]\nfeishu = \"https://open.larksuite.com/\"\n",
    ))
    .unwrap();
    assert_eq!(c.chat_apps.feishu, "https://open.larksuite.com");
    assert_eq!(c.chat_apps.wecom, "https://qyapi.weixin.qq.com");
    for bad in ["ftp://x", "not a url", "https://x/?a=1"] {
        let e = merge(file(&format!("[chat_apps]\nwecom = \"{bad}\"\n"))).unwrap_err();
        assert!(e.to_string().contains("[chat_apps] wecom"), "{e}");
    }
}

#[test]
fn example_config_documents_allow_private() {
    let text = include_str!("../../packaging/baton.example.toml");
    assert!(toml::from_str::<FileConfig>(text).is_ok());
    let uncommented = text.replace("# allow_private =", "allow_private =");
    let c = Config::merge(
        &GlobalArgs::default(),
        &ServeArgs::default(),
        file(&uncommented),
        None,
    )
    .unwrap();
    assert!(c.network.check("10.1.2.3".parse().unwrap()).is_ok());
    assert!(c.network.check("127.0.0.1".parse().unwrap()).is_ok());
    assert!(c.network.check("169.254.169.254".parse().unwrap()).is_err());
}

#[test]
fn unknown_keys_are_rejected() {
    assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    assert!(toml::from_str::<FileConfig>("[backup]\nkeeep = 1").is_err());
}

#[test]
fn https_public_url_turns_on_secure_cookies() {
    let f = file("public_url = \"https://b.example\"");
    let c = Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None).unwrap();
    assert!(c.cookie_secure);
    assert!(Config::merge(
        &GlobalArgs::default(),
        &ServeArgs {
            log_format: Some("xml".into()),
            ..Default::default()
        },
        FileConfig::default(),
        None
    )
    .is_err());
}

/// The shipped example documents every key: uncommented, it must parse (unknown
/// keys are errors) and name each top-level key the file format has.
#[test]
fn the_example_config_documents_every_key() {
    let example = include_str!("../../packaging/baton.example.toml");
    let uncommented: String = example
        .lines()
        .map(|l| {
            let t = l.trim_start_matches("# ");
            let is_key = l.starts_with("# ")
                && t.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                });
            if is_key {
                t
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if let Err(e) = toml::from_str::<FileConfig>(&uncommented) {
        panic!("the example config does not parse: {e}");
    }
    for key in [
        "data",
        "listen",
        "public_url",
        "cookie_secure",
        "trusted_proxy",
        "cache_capacity_mb",
        "body_limit_kb",
        "log_format",
        "session_idle",
        "session_absolute",
        "login_attempts_per_minute",
        "due_soon",
        "scheduler_interval",
        "attachment_max_mb",
        "min_free_disk_mb",
        "timezone",
    ] {
        assert!(
            uncommented
                .lines()
                .any(|l| l.starts_with(&format!("{key} = "))),
            "packaging/baton.example.toml does not document {key}"
        );
    }
}
