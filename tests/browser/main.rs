//! Web signup in a real browser (issue 21): Debian's headless `chromium`, driven by
//! Playwright for Python (tests/browser/signup.py), against what `make dev` runs: infra/dev.sh
//! (tables made and seeded by `crm-admin` as infra/seed.sh does, then the `customer-api-dev`
//! binary's local HTTP server with dev's settings) on moto, on tables of its own (its own
//! TABLE_PREFIX, so it runs beside the other tests), with pages of "another site" served by
//! the script on another origin.
//!
//! Needs /usr/bin/chromium (or `CHROMIUM`) and a Python with `playwright` (`.venv`, built
//! from infra/requirements-dev.txt; or `BROWSER_PYTHON`). Without them the test says so and
//! is skipped, unless `BROWSER_TESTS=required` (.ci/run sets it: CI always runs them).
//! Screenshots go to target/browser/ (gitignored), with the server's log (dev.log).

use isp_crm::http::metrics;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A user infra/seed.sh creates: the first `user create` line with `role` (and `scope`,
/// e.g. `--isp 1`), as (userid, api_key). The seed's keys are read from the seed itself.
fn seeded(seed: &str, role: &str, scope: &str) -> (u64, String) {
    let line = seed
        .lines()
        .find(|l| l.contains("user create") && l.contains(&format!("--role {role} {scope}")))
        .unwrap_or_else(|| panic!("infra/seed.sh creates no {role} user ({scope})"));
    let arg = |flag: &str| {
        let mut words = line.split_whitespace();
        words.find(|w| *w == flag);
        words.next().map(str::to_owned)
    };
    let userid = arg("--userid").and_then(|v| v.parse().ok());
    match (userid, arg("--api-key")) {
        (Some(userid), Some(key)) => (userid, key),
        _ => panic!("no --userid N and --api-key K in infra/seed.sh's line {line:?}"),
    }
}

/// `make dev`'s server (infra/dev.sh), stopped when dropped.
struct Dev {
    child: Child,
    log: PathBuf,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dev {
    /// Runs infra/dev.sh on its own tables and port with `vars` besides dev's own settings,
    /// and waits until the API listens (the seed runs first).
    fn start(root: &Path, port: u16, vars: &[(&str, &str)]) -> Self {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
            .expect(
                "DYNAMODB_ENDPOINT is not set: run the tests under infra/with-moto.sh (make test)",
            );
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let prefix = format!("b{}-{nanos}-", std::process::id());
        let log = root.join("target/browser/dev.log");
        let out = std::fs::File::create(&log).expect("dev.log");
        let err = out.try_clone().expect("dev.log");
        let child = Command::new("bash")
            .arg(root.join("infra/dev.sh"))
            .env("DYNAMODB_ENDPOINT", endpoint)
            .env("TABLE_PREFIX", &prefix)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("CRM_ADMIN", env!("CARGO_BIN_EXE_crm-admin"))
            .env("CUSTOMER_API", env!("CARGO_BIN_EXE_customer-api-dev"))
            .env_remove("CUSTOMERS_TABLE")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start infra/dev.sh");
        let mut dev = Self { child, log };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = dev.child.try_wait() {
                panic!(
                    "infra/dev.sh ended ({status}) before serving:\n{}",
                    dev.output()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "infra/dev.sh did not serve within 180 s:\n{}",
                dev.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        dev
    }

    /// What the seed and the server wrote so far.
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_signup_works_in_a_real_browser_against_make_dev() {
    if let Some(why) = missing() {
        if std::env::var("BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("browser tests required (BROWSER_TESTS=required) but {why}");
        }
        eprintln!("SKIPPED: browser tests (tests/browser): {why}");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/browser");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    // Settings the script changes take effect at once; the script's own server is the
    // CAPTCHA provider's stand-in (it says no); EMF lines on stdout, as under Lambda.
    // Dev's own settings (FORM_SECRET_KEY, FORM_LOCAL_ORIGINS) are infra/dev.sh's.
    let site_port = free_port();
    let verify = format!("http://127.0.0.1:{site_port}/siteverify");
    let api_port = free_port();
    let dev = Dev::start(
        root,
        api_port,
        &[
            ("AUTH_CACHE_SECONDS", "0"),
            ("CAPTCHA_TURNSTILE_URL", &verify),
            ("CAPTCHA_TIMEOUT_MS", "2000"),
            ("METRICS", "emf"),
        ],
    );
    let seed = std::fs::read_to_string(root.join("infra/seed.sh")).expect("infra/seed.sh");
    let (form_userid, form_key) = seeded(&seed, "form", "--reseller 1");
    let (isp_userid, isp_key) = seeded(&seed, "isp", "--isp 1");
    let config = serde_json::json!({
        "api": format!("http://127.0.0.1:{api_port}"),
        "form_userid": form_userid,
        "form_key": form_key,
        "isp_userid": isp_userid,
        "isp_key": isp_key,
        "site_port": site_port,
        "chromium": chromium(),
        "screenshots": shots,
        "rules": root.join("tests/fixtures/web_rules.json"),
    });
    let script = root.join("tests/browser/signup.py");
    let started = Instant::now();
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
    if !out.status.success() {
        panic!(
            "the browser script failed: {stderr}\ninfra/dev.sh's output:\n{}",
            dev.output()
        );
    }
    // The script's honeypot, refused CAPTCHA and quick post each left their metric's EMF
    // line on the server's stdout (CloudWatch reads the same lines under Lambda).
    let log = dev.output();
    for defence in metrics::BOT_DEFENCES {
        let name = metrics::bot_metric(defence);
        let lines = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|l| l[name] == 1 && l["Route"] == "customer/create")
            .count();
        assert!(lines >= 1, "no {name} EMF line in target/browser/dev.log");
    }
}
