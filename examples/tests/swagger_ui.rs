//! End to end through Swagger UI in headless Chromium, driven over WebDriver
//! (fantoccini + Debian's chromedriver): log in as bob with two of the four
//! scopes, create a post (201), be refused the user list (403
//! `insufficient_scope`), log out, log in as carol and be refused a post (403).
//!
//! Needs `chromedriver` and `chromium` on `PATH` (Debian packages
//! `chromium-driver` and `chromium`). Without them the test is skipped,
//! loudly; with `RBAC_REQUIRE_TOOLS=1` (as CI sets it) it fails instead.
//! Screenshots, and on failure the page and the browser's console, are
//! written to `target/tmp/swagger-ui/`; the README's is
//! `post-posts-201-bob.png`, copied to `examples/docs/swagger-ui.png`.

use std::future::Future;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use rbac_test_support::require_tool;
use serde_json::{Value, json};

mod common;

use common::TestServer;

type Error = Box<dyn std::error::Error + Send + Sync>;
type TestResult<T = ()> = Result<T, Error>;

/// How long any one thing may take to appear: generous for a loaded 2-core CI box.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

// ---------------------------------------------------------------------------
// Processes: the app on 127.0.0.1:0, chromedriver on a port it picks itself.

/// chromedriver in a process group of its own, which Chromium joins; the
/// whole group is killed on drop, so that no browser outlives a failed test.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    fn start(binary: &Path, log: &Path) -> TestResult<Self> {
        // `--port=0`: chromedriver binds a free loopback port and prints
        // "ChromeDriver was started successfully on port N." on stdout.
        let mut child = Command::new(binary)
            .arg("--port=0")
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Reads to the end, so that chromedriver never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(port);
                }
            }
        });
        let mut driver = Self { child, url: String::new() };
        let port =
            rx.recv_timeout(WAIT).map_err(|_| "chromedriver did not say which port it took")?;
        driver.url = format!("http://127.0.0.1:{port}");
        Ok(driver)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (`process_group(0)`).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn open_browser(driver: &ChromeDriver, chromium: &Path) -> TestResult<Client> {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                // Root (CI, this container) cannot use Chromium's sandbox.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                // The viewport is ~143 px shorter than the window.
                "--window-size=1280,1400",
                "--force-device-scale-factor=1",
                // Nothing but loopback resolves: a page that needed an
                // asset from elsewhere (a CDN) would fail to load it.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                // No network but loopback: keep Chromium from calling home.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
            ],
        },
    });
    let Value::Object(capabilities) = capabilities else { unreachable!() };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await?;
    Ok(client)
}

/// chromedriver's (non-W3C) `POST /session/{id}/se/log`: the console
/// messages since the last call, with `goog:loggingPrefs` set.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

// ---------------------------------------------------------------------------
// Waiting: poll the DOM, never sleep a fixed time.

/// Polls `probe` until it gives `Some`, or fails after `WAIT` naming `what`.
async fn until<T, F, Fut>(what: &str, mut probe: F) -> TestResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CmdError>>,
{
    let start = Instant::now();
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            // React re-rendered under us: look again.
            Err(CmdError::Standard(e))
                if matches!(
                    e.error,
                    ErrorStatus::NoSuchElement
                        | ErrorStatus::StaleElementReference
                        | ErrorStatus::ElementNotInteractable
                ) => {}
            Err(e) => return Err(format!("{what}: {e}").into()),
        }
        if start.elapsed() > WAIT {
            return Err(format!("timed out after {WAIT:?} waiting for {what}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// Whether anything matches `selector` now (no waiting).
async fn exists(c: &Client, selector: &str) -> Result<bool, CmdError> {
    Ok(!c.find_all(css(selector)).await?.is_empty())
}

/// The first element matching `selector` that is displayed.
async fn visible(c: &Client, selector: &str) -> TestResult<Element> {
    until(&format!("`{selector}` to be visible"), || async {
        for element in c.find_all(css(selector)).await? {
            if element.is_displayed().await? {
                return Ok(Some(element));
            }
        }
        Ok(None)
    })
    .await
}

/// Waits until nothing matches `selector`.
async fn gone(c: &Client, selector: &str) -> TestResult {
    until(&format!("`{selector}` to go away"), || async {
        Ok(c.find_all(css(selector)).await?.is_empty().then_some(()))
    })
    .await
}

/// Clicks the first visible, enabled match of `selector`; tries again while
/// something covers it or React swaps it out.
async fn click(c: &Client, selector: &str) -> TestResult {
    until(&format!("`{selector}` to be clickable"), || async {
        for element in c.find_all(css(selector)).await? {
            if element.is_displayed().await? && element.is_enabled().await? {
                return match element.click().await {
                    Ok(()) => Ok(Some(())),
                    Err(CmdError::Standard(e))
                        if e.error == ErrorStatus::ElementClickIntercepted =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(e),
                };
            }
        }
        Ok(None)
    })
    .await
}

/// The text of the first visible match of `selector`, once it has some.
async fn text_of(c: &Client, selector: &str) -> TestResult<String> {
    until(&format!("text in `{selector}`"), || async {
        for element in c.find_all(css(selector)).await? {
            if element.is_displayed().await? {
                let text = element.text().await?;
                if !text.trim().is_empty() {
                    return Ok(Some(text.trim().to_owned()));
                }
            }
        }
        Ok(None)
    })
    .await
}

/// Replaces the text of a React-controlled input or textarea by typing,
/// so that React sees `input` events.
async fn type_into(c: &Client, selector: &str, text: &str) -> TestResult {
    let field = visible(c, selector).await?;
    field.click().await?;
    field.send_keys(&(Key::Control + "a")).await?;
    field.send_keys(&Key::Delete).await?;
    field.send_keys(text).await?;
    let value = field.prop("value").await?.unwrap_or_default();
    ensure!(value == text, "`{selector}` holds {value:?}, not {text:?}");
    Ok(())
}

// ---------------------------------------------------------------------------
// Swagger UI 5.18.2 (as aide 0.15.1 embeds it).

/// Untagged operations are under the tag `default`; without an
/// `operationId`, Swagger UI's id is the method and the path with every
/// non-word character replaced by `_`: `POST /posts` → `post_posts`,
/// `GET /posts/{id}` → `get_posts__id_`.
fn operation(method: &str, path: &str) -> String {
    let id: String = path
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() || ch == '_' { ch } else { '_' })
        .collect();
    format!("#operations-default-{}{id}", method.to_ascii_lowercase())
}

/// The checkbox's id is `{scope}-{flow}-checkbox-{scheme}`. The input is
/// hidden by CSS (`display: none`): its label is what a person clicks. An
/// attribute selector needs no escaping of `:` (`#posts\:write-…` would).
fn scope_label(scope: &str) -> String {
    format!(r#".modal-ux label[for="{scope}-password-checkbox-bearer"]"#)
}

fn scope_input(scope: &str) -> String {
    format!(r#".modal-ux input[id="{scope}-password-checkbox-bearer"]"#)
}

const AUTHORIZE_OPEN: &str = ".auth-wrapper button.authorize";
const DIALOG: &str = ".dialog-ux .modal-ux";
// In the OAuth2 section, Authorize and Logout share their classes
// (`btn modal-btn auth authorize`); only the aria-label tells them apart.
const DIALOG_AUTHORIZE: &str = r#".modal-ux button[aria-label="Apply given OAuth2 credentials"]"#;
const DIALOG_LOGOUT: &str = r#".modal-ux button[aria-label="Remove authorization"]"#;
const DIALOG_CLOSE: &str = ".modal-ux button.btn-done";

async fn log_in(c: &Client, username: &str, password: &str, scopes: &[&str]) -> TestResult {
    click(c, AUTHORIZE_OPEN).await?;
    visible(c, DIALOG).await?;
    type_into(c, "#oauth_username", username).await?;
    type_into(c, "#oauth_password", password).await?;
    for scope in scopes {
        click(c, &scope_label(scope)).await?;
        let ticked = c.find(css(&scope_input(scope))).await?.is_selected().await?;
        ensure!(ticked, "{scope} is not ticked");
    }
    click(c, DIALOG_AUTHORIZE).await?;
    // Swagger UI POSTs the form to /token. On success the section says
    // "Authorized" and its Authorize button becomes Logout; on failure an
    // "Auth Error…" shows in `.errors`.
    let refused = until("the token (Logout in the dialog) or an error", || async {
        if exists(c, DIALOG_LOGOUT).await? {
            return Ok(Some(None));
        }
        for error in c.find_all(css(".modal-ux .errors")).await? {
            let text = error.text().await?;
            if !text.trim().is_empty() {
                return Ok(Some(Some(text)));
            }
        }
        Ok(None)
    })
    .await?;
    ensure!(refused.is_none(), "logging in as {username} failed: {refused:?}");
    click(c, DIALOG_CLOSE).await?;
    gone(c, ".dialog-ux").await?;
    visible(c, ".auth-wrapper button.authorize.locked").await?;
    Ok(())
}

async fn log_out(c: &Client) -> TestResult {
    click(c, AUTHORIZE_OPEN).await?;
    click(c, DIALOG_LOGOUT).await?;
    visible(c, DIALOG_AUTHORIZE).await?;
    click(c, DIALOG_CLOSE).await?;
    gone(c, ".dialog-ux").await?;
    visible(c, ".auth-wrapper button.authorize.unlocked").await?;
    Ok(())
}

/// Expands the operation and presses "Try it out" (each only if needed).
async fn try_out(c: &Client, op: &str) -> TestResult {
    if !exists(c, &format!("{op} .opblock-body")).await? {
        click(c, &format!("{op} button.opblock-summary-control")).await?;
    }
    visible(c, &format!("{op} .opblock-body")).await?;
    // A component that threw is replaced by its error boundary's message.
    if exists(c, &format!("{op} .fallback")).await? {
        let text = text_of(c, &format!("{op} .fallback")).await?;
        return Err(format!("Swagger UI failed to render {op}: {text}").into());
    }
    if !exists(c, &format!("{op} button.try-out__btn.cancel")).await? {
        click(c, &format!("{op} button.try-out__btn")).await?;
    }
    visible(c, &format!("{op} button.execute")).await?;
    Ok(())
}

/// What Swagger UI shows of a response it received.
#[derive(Debug)]
struct Shown {
    status: u16,
    body: String,
    headers: Vec<String>,
}

/// Clears any earlier response, presses Execute and reads the new one.
async fn execute(c: &Client, op: &str) -> TestResult<Shown> {
    let live = format!("{op} .live-responses-table");
    if exists(c, &live).await? {
        click(c, &format!("{op} button.btn-clear")).await?;
        gone(c, &live).await?;
    }
    click(c, &format!("{op} button.execute")).await?;
    // "201", or "418\nUndocumented" for a status the document lacks.
    let status = text_of(c, &format!("{live} tbody tr.response td.response-col_status")).await?;
    let status = status.split_whitespace().next().unwrap_or_default().parse()?;
    let body = text_of(c, &format!("{live} .highlight-code .microlight")).await?;
    let mut headers = Vec::new();
    for line in c.find_all(css(&format!("{live} .headerline"))).await? {
        headers.push(line.text().await?.trim().to_owned());
    }
    Ok(Shown { status, body, headers })
}

async fn screenshot(c: &Client, scroll_to: &str, path: &Path) -> TestResult {
    let element = visible(c, scroll_to).await?;
    c.execute(
        "arguments[0].scrollIntoView({block: 'start'});",
        vec![serde_json::to_value(&element)?],
    )
    .await?;
    std::fs::write(path, c.screenshot().await?)?;
    let _ = writeln!(std::io::stderr(), "screenshot: {}", path.display());
    Ok(())
}

// ---------------------------------------------------------------------------

async fn scenario(c: Client, base: String, out: PathBuf) -> TestResult {
    let create = operation("POST", "/posts");
    let users = operation("GET", "/users");
    c.goto(&format!("{base}/docs")).await?;
    // Swagger UI has fetched /openapi.json and rendered the operations.
    visible(&c, &create).await?;

    // bob, an editor, asks for posts:read and posts:write only.
    log_in(&c, "bob", "bob-demo", &["posts:read", "posts:write"]).await?;
    try_out(&c, &create).await?;
    type_into(
        &c,
        &format!("{create} textarea.body-param__text"),
        r#"{"title": "Hello", "body": "from Chromium"}"#,
    )
    .await?;
    let shown = execute(&c, &create).await?;
    ensure!(shown.status == 201, "POST /posts as bob: {shown:?}");
    ensure!(shown.body.contains(r#""title": "Hello""#), "POST /posts as bob: {shown:?}");
    screenshot(&c, &create, &out.join("post-posts-201-bob.png")).await?;

    try_out(&c, &users).await?;
    let shown = execute(&c, &users).await?;
    ensure!(shown.status == 403, "GET /users as bob: {shown:?}");
    ensure!(
        shown.body.contains(r#""error": "insufficient_scope""#),
        "GET /users as bob: {shown:?}"
    );
    // Swagger UI shows each header as `name: value`, lower-cased, with the
    // spaces after commas removed.
    ensure!(
        shown.headers.iter().any(|h| h.starts_with("www-authenticate: Bearer ")
            && h.contains(r#"error="insufficient_scope""#)),
        "GET /users as bob: {shown:?}"
    );

    // carol, a viewer: whatever she ticks, /token grants her posts:read only.
    log_out(&c).await?;
    log_in(&c, "carol", "carol-demo", &["posts:read", "posts:write"]).await?;
    let shown = execute(&c, &create).await?;
    ensure!(shown.status == 403, "POST /posts as carol: {shown:?}");
    ensure!(shown.body.contains("insufficient_scope"), "POST /posts as carol: {shown:?}");
    screenshot(&c, &create, &out.join("post-posts-403-carol.png")).await?;

    // Everything came from the service: no request tried another host.
    let log = c.issue_cmd(BrowserLog).await?.to_string();
    ensure!(!log.contains("ERR_NAME_NOT_RESOLVED"), "something was fetched from elsewhere: {log}");
    Ok(())
}

#[tokio::test]
async fn swagger_ui_password_flow_end_to_end() -> TestResult {
    const TEST: &str = "swagger_ui_password_flow_end_to_end";
    const INSTALL: &str = "apt-get install chromium chromium-driver";
    let Some(driver_bin) = require_tool(TEST, &["chromedriver"], INSTALL) else { return Ok(()) };
    let Some(chromium) = require_tool(TEST, &["chromium", "chromium-browser"], INSTALL) else {
        return Ok(());
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("swagger-ui");
    let _ = std::fs::remove_dir_all(&out); // no stale screenshots from an earlier run
    std::fs::create_dir_all(&out)?;

    let server = TestServer::start().await;
    let driver = ChromeDriver::start(&driver_bin, &out.join("chromedriver.log"))?;
    let client = open_browser(&driver, &chromium).await?;
    // In a task of its own, so that a panic in it still lets us close the browser.
    let outcome = match tokio::spawn(scenario(
        client.clone(),
        format!("http://{}", server.addr),
        out.clone(),
    ))
    .await
    {
        Ok(outcome) => outcome,
        Err(join) => Err(format!("the scenario panicked: {join}").into()),
    };
    if outcome.is_err() {
        let _ = screenshot(&client, "body", &out.join("failure.png")).await;
        if let Ok(html) = client.source().await {
            let _ = std::fs::write(out.join("failure.html"), html);
        }
        if let Ok(log) = client.issue_cmd(BrowserLog).await {
            let _ = std::fs::write(out.join("failure-console.json"), log.to_string());
            let _ = writeln!(std::io::stderr(), "browser console: {log}");
        }
    }
    // Ends the session: chromedriver quits Chromium. Then drop kills chromedriver's group.
    let _ = client.close().await;
    drop(driver);
    server.stop().await;
    outcome
}
