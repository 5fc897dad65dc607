//! Hostile backups whose file is sound (checksum and counts agree) but whose content
//! breaks the rules: bad lines, duplicate unique values, a torn version-1 file; and
//! what a backup holds and refuses to write. Fixtures are those of `hostile_tests.rs`.

use super::*;

#[test]
fn lines_that_break_the_rules_are_refused_even_with_a_valid_checksum() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, lines) = open_text(&path);
    let dept = lines
        .iter()
        .position(|l| l.contains("\"department/"))
        .unwrap();
    let p = dir.path().join("r");
    type Change<'a> = Box<dyn Fn(&mut Vec<String>) + 'a>;
    let cases: Vec<(Change<'_>, &str)> = vec![
        (Box::new(|l| l.swap(dept, dept + 1)), "out of order"),
        (
            Box::new(|l| l.insert(dept, l[dept].clone())),
            "out of order",
        ),
        (
            Box::new(|l| l[dept] = l[dept].replace("department/", "gadget/")),
            "not a kind of record",
        ),
        (
            Box::new(|l| l[dept] = l[dept].replace("\"name\":\"", "\"nome\":\"")),
            "does not read",
        ),
        (
            Box::new(|l| l.insert(0, r#"{"k":"ix/department/x","b":"AAAAAAAAAAE="}"#.into())),
            "index entry",
        ),
        (
            Box::new(|l| l[dept] = "not json".into()),
            "not a backup entry",
        ),
        (
            // 700 KB of small objects: far below the line limit, but hundreds of MB
            // once decoded
            Box::new(|l| {
                let bloat = format!(r#"{{"x":[{}0],"#, r#"{"":0},"#.repeat(100_000));
                l[dept] = l[dept].replacen(r#""v":{"#, &format!(r#""v":{bloat}"#), 1);
            }),
            "to decode",
        ),
        (
            Box::new(|l| {
                let v: Value = serde_json::from_str(&l[dept]).unwrap();
                l[dept] = format!(r#"{{"k":{},"b":"!!"}}"#, v["k"]);
            }),
            "base64",
        ),
        (
            Box::new(|l| {
                let i = l.iter().position(|x| x.contains("meta/schema")).unwrap();
                l[i] = r#"{"k":"meta/schema","b":"AAAAYw=="}"#.into();
            }),
            "meta/schema",
        ),
        (
            Box::new(|l| {
                let i = l.iter().position(|x| x.contains("meta/next_id")).unwrap();
                l[i] = r#"{"k":"meta/next_id","b":"//////////8="}"#.into();
            }),
            "meta/next_id",
        ),
        (
            // above 2^53
            Box::new(|l| l[dept] = l[dept].replacen("department/00", "department/ff", 1)),
            "record id",
        ),
    ];
    for (change, expect) in cases {
        let mut l = lines.clone();
        change(&mut l);
        let mut h = header.clone();
        reseal(&mut h, &l);
        write_text(&p, &h, &l);
        refused(&p, expect);
    }
}

#[test]
fn two_records_claiming_one_unique_value_are_refused() {
    // Two users with one name: the second's index entry cannot be rebuilt.
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, mut lines) = open_text(&path);
    let user_line = lines.iter().position(|l| l.contains("\"user/")).unwrap();
    let v: Value = serde_json::from_str(&lines[user_line]).unwrap();
    let mut twin = v.clone();
    twin["k"] = "user/00000000000fffff".into();
    twin["v"]["d"]["id"] = 0xfffff.into();
    lines.insert(user_line + 1, serde_json::to_string(&twin).unwrap());
    let mut h = header;
    reseal(&mut h, &lines);
    let p = dir.path().join("dup");
    write_text(&p, &h, &lines);
    refused(&p, "both claim");
}

/// A version-1 file as a torn online backup left it: index entries included, one of
/// them pointing at no record, and an id counter below ids present.
#[test]
fn a_torn_version_1_file_restores_with_rebuilt_indexes_and_counter() {
    let (dir, store) = seeded();
    let mut lines = Vec::new();
    for item in store.raw_entries() {
        let (k, v) = item.unwrap();
        let k = String::from_utf8(k).unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        // version 1 wrote "k" first, then "v" (JSON values) or "b" (other bytes)
        let line = if k == "meta/next_id" {
            format!(r#"{{"k":"{k}","b":"{}"}}"#, b64(&2u64.to_be_bytes()))
        } else {
            match serde_json::from_slice::<Value>(&v) {
                Ok(v) => format!(r#"{{"k":"{k}","v":{v}}}"#),
                Err(_) => format!(r#"{{"k":"{k}","b":"{}"}}"#, b64(&v)),
            }
        };
        lines.push(line);
    }
    assert!(lines.iter().any(|l| l.starts_with("{\"k\":\"ix/")));
    for dangling in ["mx/zz/dangling/0000000000000063", "ix/username/ghost"] {
        lines.push(format!(r#"{{"k":"{dangling}","b":"AAAAAAAAAGM="}}"#));
    }
    lines.sort();
    let mut header = serde_json::json!({
        "format": FORMAT_NAME, "format_version": 1, "baton_version": "0.1.0",
        "schema_version": SCHEMA_VERSION, "created_at": Utc::now(),
    });
    reseal(&mut header, &lines);
    header.as_object_mut().unwrap().remove("bytes");
    let p = dir.path().join("v1.gz");
    write_text(&p, &header, &lines);

    let target = dir.path().join("restored");
    restore(&p, &target, false, Utc::now()).unwrap();
    let restored = Store::open(&target.join("db"), 1 << 20).unwrap();
    let summary = check::check(&restored).unwrap();
    assert!(summary.next_id > summary.max_id);
    assert_eq!(summary.records.get("department"), Some(&3));
    let alice = restored.list::<crate::org::User>().unwrap()[0].id;
    assert_eq!(restored.lookup("username", "alice").unwrap(), Some(alice));
    assert_eq!(restored.lookup("username", "ghost").unwrap(), None);
    let mut d = Department {
        id: 0,
        rev: 0,
        name: "new".into(),
        parent_id: None,
    };
    let id = restored.write(|tx| tx.insert(&mut d)).unwrap();
    assert!(id > summary.max_id, "id {id} reused");
}

#[test]
fn a_backup_holds_records_and_no_index_entries() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, lines) = open_text(&path);
    assert_eq!(header["format_version"], 2);
    assert!(!lines
        .iter()
        .any(|l| l.contains("\"k\":\"ix/") || l.contains("\"k\":\"mx/")));
    assert!(store.lookup("department_name", "x").is_ok());
    // the stored value is carried byte for byte
    let key = crate::store::record_key("department", 1);
    let stored = store.raw_get(&key).unwrap();
    if let Some(stored) = stored {
        let line = lines
            .iter()
            .find(|l| l.contains(std::str::from_utf8(&key).unwrap()))
            .unwrap();
        assert!(line.contains(std::str::from_utf8(&stored).unwrap()));
    }
}

#[test]
fn an_entry_too_large_for_a_line_fails_the_backup() {
    let (dir, store) = seeded();
    store
        .write(|tx| {
            tx.put_meta(b"meta/huge", vec![7u8; MAX_LINE]);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let path = dir.path().join("big.gz");
    assert!(matches!(
        write_backup_file(&store, &dir.path().join("tmp"), &path, Utc::now()),
        Err(BackupError::EntryTooLarge { .. })
    ));
    assert!(!path.exists());
}
