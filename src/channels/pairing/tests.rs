//! The pairing store's rules: one code per sender, the pending cap, expiry, case-insensitive
//! approval, the allowlist merge, imported approvals and revocation.

use super::*;

fn store() -> (tempfile::TempDir, PairingStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = PairingStore::new(dir.path());
    (dir, store)
}

#[test]
fn a_repeat_sender_keeps_their_code() {
    let (_dir, store) = store();
    let RequestOutcome::Created(first) = store.request("whatsapp", "111", Some("Ann")).unwrap()
    else {
        panic!("expected a new request");
    };
    let RequestOutcome::AlreadyPending(again) = store.request("whatsapp", "111", None).unwrap()
    else {
        panic!("expected the same request");
    };
    assert_eq!(first.code, again.code);
    assert_eq!(store.list("whatsapp").unwrap().len(), 1);
}

#[test]
fn at_most_three_requests_wait_per_channel() {
    let (_dir, store) = store();
    for sender in ["1", "2", "3"] {
        assert!(matches!(
            store.request("whatsapp", sender, None).unwrap(),
            RequestOutcome::Created(_)
        ));
    }
    assert_eq!(
        store.request("whatsapp", "4", None).unwrap(),
        RequestOutcome::Full
    );
    // Another channel has its own cap.
    assert!(matches!(
        store.request("telegram", "4", None).unwrap(),
        RequestOutcome::Created(_)
    ));
}

#[test]
fn expired_requests_are_dropped_and_free_their_slot() {
    let (dir, store) = store();
    for sender in ["1", "2", "3"] {
        store.request("whatsapp", sender, None).unwrap();
    }
    // Age every request past the TTL by rewriting the file.
    let path = dir.path().join("credentials/whatsapp-pairing.json");
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let old = crate::clock::now_ms() - super::store::CODE_TTL.as_millis() as u64 - 1;
    for request in file["requests"].as_array_mut().unwrap() {
        request["createdAtMs"] = old.into();
    }
    std::fs::write(&path, file.to_string()).unwrap();
    assert!(store.list("whatsapp").unwrap().is_empty());
    assert!(matches!(
        store.request("whatsapp", "4", None).unwrap(),
        RequestOutcome::Created(_)
    ));
}

#[test]
fn approval_is_case_insensitive_and_persists() {
    let (dir, store) = store();
    let RequestOutcome::Created(request) = store.request("whatsapp", "15551234", None).unwrap()
    else {
        panic!("expected a new request");
    };
    let approved = store
        .approve("whatsapp", &request.code.to_lowercase(), false)
        .unwrap();
    assert_eq!(approved.id, "15551234");
    assert!(store.list("whatsapp").unwrap().is_empty());
    let reopened = PairingStore::new(dir.path());
    assert_eq!(reopened.approved("whatsapp").unwrap(), vec!["15551234"]);
    let again = store.approve("whatsapp", &request.code, false);
    assert!(
        matches!(again, Err(PairingError::UnknownCode { .. })),
        "{again:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.allow_path("whatsapp"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_allowlist_merges_config_and_approvals_and_sees_changes() {
    let (_dir, store) = store();
    let mut allow = AllowList::new("whatsapp", &["+1 555 000".into()], store.clone());
    assert!(allow.contains("1555000"));
    assert!(!allow.contains("222"));
    let RequestOutcome::Created(request) = store.request("whatsapp", "222", None).unwrap() else {
        panic!("expected a new request");
    };
    store.approve("whatsapp", &request.code, false).unwrap();
    assert!(
        allow.contains("222"),
        "an approval by another handle is seen"
    );
    assert!(store.revoke("whatsapp", "222").unwrap());
    assert!(!store.revoke("whatsapp", "222").unwrap());
    assert!(!allow.contains("222"), "a revocation is seen");
}

#[test]
fn a_corrupt_file_is_an_error_naming_it() {
    let (dir, store) = store();
    std::fs::create_dir_all(dir.path().join("credentials")).unwrap();
    std::fs::write(store.allow_path("whatsapp"), "{not json").unwrap();
    let error = store.approved("whatsapp").unwrap_err().to_string();
    assert!(error.contains("whatsapp-allowFrom.json"), "{error}");
}

#[test]
fn imported_senders_are_added_once_and_keep_the_others() {
    let (_dir, store) = store();
    let RequestOutcome::Created(request) = store.request("telegram", "7", None).unwrap() else {
        panic!("expected a new request");
    };
    store.approve("telegram", &request.code, false).unwrap();
    let added = store
        .add_approved(
            "telegram",
            &["8".to_string(), "7".to_string(), "9".to_string()],
        )
        .unwrap();
    assert_eq!(added, ["8", "9"], "7 was already approved");
    assert_eq!(store.approved("telegram").unwrap(), ["7", "8", "9"]);
    assert!(store
        .add_approved("telegram", &["9".to_string()])
        .unwrap()
        .is_empty());
    assert_eq!(store.approved("whatsapp").unwrap(), Vec::<String>::new());
}
