//! A form key whose stored setup cannot be opened (here: a signing secret sealed under
//! another FORM_SECRET_KEY): its own authenticated deliveries are 500, but a wrong key is
//! still 401, a disabled key 403, and its other routes work. The setup is opened only once
//! the key matched.

use super::fixtures::*;
use super::set_up;
use crate::common::*;
use isp_crm::admin;
use isp_crm::app::{App, AppError};
use isp_crm::config::Settings;
use isp_crm::domain::ids::UserId;

/// An app on `app`'s tables whose FORM_SECRET_KEY is not the one the secret was sealed with.
fn other_key_app(app: &TestApp) -> App {
    let settings = Settings::from_lookup(
        |k| match k {
            "FORM_SECRET_KEY" => Some("another-form-secret-key".into()),
            "AUTH_CACHE_SECONDS" => Some("60".into()),
            _ => None,
        },
        false,
    )
    .expect("settings");
    App::new(app.store.clone(), &settings).expect("app")
}

#[tokio::test]
async fn a_damaged_setup_fails_only_the_keys_own_deliveries() {
    let app = spawn_app().await;
    set_up(
        &app,
        &[
            ("form_profile", "typeform"),
            ("form_map", TYPEFORM_MAP),
            ("signing_secret", "generate"),
        ],
    )
    .await
    .result();
    let other = other_key_app(&app);
    let user = FORM_USER.to_string();
    let key = app.key(FORM_USER).to_owned();
    let wrong = "f".repeat(key.len());

    // A wrong key: 401 (twice: the entry is cached now), never the setup's 500.
    for _ in 0..2 {
        let e = other
            .authenticate_form(Some(&user), Some(&wrong))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Unauthenticated(_)), "{e:?}");
    }
    // The right key: authenticated for every route; its deliveries are 500, every time.
    other.authenticate(Some(&user), Some(&key)).await.unwrap();
    for _ in 0..2 {
        let e = other
            .authenticate_form(Some(&user), Some(&key))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Internal(_)), "{e:?}");
        assert!(e.to_string().contains("does not open"), "{e}");
    }

    // Disabled: 403 on a fresh read, not the setup's 500.
    admin::set_enabled(&app.store, UserId(FORM_USER), false)
        .await
        .unwrap();
    let fresh = other_key_app(&app);
    let e = fresh
        .authenticate_form(Some(&user), Some(&key))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Disabled), "{e:?}");
}
