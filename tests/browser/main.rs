//! Web signup in a real browser (issue 21): Debian's headless `chromium`, driven by
//! Playwright for Python (tests/browser/signup.py), against the API on moto as the other
//! tests start it, with pages of "another site" served by the script on another origin.
//!
//! Needs /usr/bin/chromium (or `CHROMIUM`) and a Python with `playwright` (`.venv`, built
//! from infra/requirements-dev.txt; or `BROWSER_PYTHON`). Without them the test says so and
//! is skipped, unless `BROWSER_TESTS=required` (.ci/run sets it: CI always runs them).
//! Screenshots go to target/browser/ (gitignored).

#[path = "../common/mod.rs"]
mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("BROWSER_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("VENV").unwrap_or_else(|| ".venv".into());
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(venv)
        .join("bin/python")
}

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    if !chromium().exists() {
        return Some(format!(
            "no Chromium at {} (apt-get install chromium, or set CHROMIUM)",
            chromium().display()
        ));
    }
    let ok = Command::new(python())
        .args(["-c", "import playwright.sync_api"])
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| {
        format!(
            "no Playwright for Python in {} (make venv installs infra/requirements-dev.txt; or set BROWSER_PYTHON)",
            python().display()
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test(flavor = "multi_thread")]
async fn web_signup_works_in_a_real_browser() {
    if let Some(why) = missing() {
        if std::env::var("BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("browser tests required (BROWSER_TESTS=required) but {why}");
        }
        eprintln!("SKIPPED: browser tests (tests/browser): {why}");
        return;
    }
    // Settings the script changes take effect at once; localhost origins for its pages; the
    // script's own server is the CAPTCHA provider's stand-in (it says no).
    let site_port = free_port();
    let verify = format!("http://127.0.0.1:{site_port}/siteverify");
    let app = spawn_app_with(&[
        ("AUTH_CACHE_SECONDS", "0"),
        ("FORM_LOCAL_ORIGINS", "true"),
        ("CAPTCHA_TURNSTILE_URL", &verify),
        ("CAPTCHA_TIMEOUT_MS", "2000"),
    ])
    .await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/browser");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let config = serde_json::json!({
        "api": app.url,
        "form_userid": FORM_USER,
        "form_key": app.key(FORM_USER),
        "isp_userid": ISP1_USER,
        "isp_key": app.key(ISP1_USER),
        "site_port": site_port,
        "chromium": chromium(),
        "screenshots": shots,
        "rules": root.join("tests/fixtures/web_rules.json"),
    });
    let script = root.join("tests/browser/signup.py");
    let started = std::time::Instant::now();
    // The app serves from this runtime's other threads while the script runs.
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(script)
            .arg(config.to_string())
            .output()
    })
    .await
    .expect("join")
    .expect("run the browser script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    eprintln!(
        "browser tests took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "the browser script failed: {stderr}");
}
