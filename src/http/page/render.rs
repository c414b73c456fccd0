//! The hosted page's HTML. Everything a manager or a visitor typed goes through `esc`
//! (names, labels, values, errors, URLs): nothing they type becomes markup. The script and
//! the style are constants, allowed by their hashes in the Content-Security-Policy.

use crate::domain::signup::WebSettings;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;

pub(super) const SCRIPT: &str = include_str!("page.js");
pub(super) const STYLE: &str = include_str!("page.css");

/// One field of the page: its name (the API's), label, input and autocomplete hints.
struct PageField {
    name: &'static str,
    label: &'static str,
    input: &'static str,
    autocomplete: &'static str,
    max: usize,
}

/// In the page's order; the required ones are always asked, the optional ones when chosen.
const FIELDS: [PageField; 12] = [
    f("type", "I am signing up as", "select", "off", 20),
    f("name", "Name", "text", "name", 100),
    f("surname", "Surname", "text", "family-name", 100),
    f("email", "Email", "email", "email", 254),
    f("mobile", "Mobile number", "tel", "tel", 30),
    f("dob", "Date of birth", "date", "bday", 10),
    f(
        "street",
        "Street address",
        "textarea",
        "street-address",
        255,
    ),
    f("city", "City", "text", "address-level2", 100),
    f("state", "State or region", "text", "address-level1", 100),
    f("zipcode", "Postal code", "text", "postal-code", 10),
    f("uniqueid", "Customer reference", "text", "off", 64),
    f("notes", "Anything we should know?", "textarea", "off", 4000),
];

const fn f(
    name: &'static str,
    label: &'static str,
    input: &'static str,
    autocomplete: &'static str,
    max: usize,
) -> PageField {
    PageField {
        name,
        label,
        input,
        autocomplete,
        max,
    }
}

const OPTIONAL: [&str; 4] = crate::domain::signup::web::PAGE_OPTIONAL_FIELDS;

/// HTML-escapes text for element content and quoted attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hash(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

/// The page's style: the constant one and the key's accent colour (checked `#rrggbb`).
fn style(web: &WebSettings) -> String {
    let colour = web.colour.as_deref().unwrap_or("#0b5fff");
    format!("{STYLE}:root{{--accent:{}}}", esc(colour))
}

/// The CAPTCHA provider's widget: its script and the origins it loads from.
fn widget(web: &WebSettings) -> Option<(&'static str, &'static str, &'static str)> {
    match web.captcha.as_deref()? {
        "turnstile" => Some((
            "https://challenges.cloudflare.com/turnstile/v0/api.js",
            "cf-turnstile",
            "https://challenges.cloudflare.com",
        )),
        "hcaptcha" => Some((
            "https://js.hcaptcha.com/1/api.js",
            "h-captcha",
            "https://hcaptcha.com https://*.hcaptcha.com",
        )),
        _ => None,
    }
}

/// The page's Content-Security-Policy: its own script and style only (by hash), images
/// over https (the logo), and the CAPTCHA provider's widget when the key has one; no base,
/// no plugins. Framed by any site (ISPs embed it).
pub(super) fn csp(web: &WebSettings) -> String {
    let (scripts, frames) = match widget(web) {
        Some((_, _, origins)) => (
            format!(" {origins}"),
            format!("; frame-src {origins}; connect-src {origins}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "default-src 'none'; script-src 'sha256-{}'{scripts}; style-src 'sha256-{}'{scripts}; \
         img-src https:; base-uri 'none'{frames}",
        hash(SCRIPT),
        hash(&style(web))
    )
}

/// What a page carries: the visitor's values (and the signed `shown_at` when the key has a
/// minimum fill time), and the errors by field (`""`: not about one field).
#[derive(Debug, Default)]
pub(super) struct Filled {
    pub values: HashMap<String, String>,
    pub errors: Vec<(String, String)>,
}

fn head(out: &mut String, web: &WebSettings, title: &str) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{}</style></head><body><main><header>",
        esc(title),
        style(web)
    );
    if let Some(logo) = &web.logo {
        let _ = write!(out, "<img src=\"{}\" alt=\"\">", esc(logo));
    }
    let _ = write!(
        out,
        "<h1>{}</h1></header>",
        esc(web.title.as_deref().unwrap_or("Sign up"))
    );
}

/// The signup page, empty or re-shown with the visitor's values and the server's errors.
pub(super) fn page(web: &WebSettings, filled: &Filled) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let heading = web.title.as_deref().unwrap_or("Sign up");
    head(&mut out, web, heading);
    let general: Vec<_> = filled
        .errors
        .iter()
        .filter(|(f, _)| f.is_empty() || !FIELDS.iter().any(|p| p.name == f))
        .collect();
    if !filled.errors.is_empty() {
        out.push_str("<div class=\"summary\" role=\"alert\"><p>Please check the form:</p>");
        for (_, e) in &general {
            let _ = write!(out, "<p>{}</p>", esc(e));
        }
        out.push_str("</div>");
    }
    out.push_str(
        "<form id=\"signup\" method=\"post\" action=\"\" accept-charset=\"utf-8\">\
         <p>Fields marked <span class=\"optional\">(optional)</span> may be left empty.</p>",
    );
    for field in FIELDS
        .iter()
        .filter(|p| !OPTIONAL.contains(&p.name) || web.fields.iter().any(|f| f == p.name))
    {
        render_field(&mut out, field, filled);
    }
    if let Some(hp) = &web.honeypot {
        // Hidden from people and screen readers; bots that fill every field fill it.
        let _ = write!(
            out,
            "<div class=\"hp\" aria-hidden=\"true\"><label for=\"hp\">Leave this empty</label>\
             <input id=\"hp\" name=\"{}\" tabindex=\"-1\" autocomplete=\"off\"></div>",
            esc(hp)
        );
    }
    if let (Some((script, class, _)), Some(site_key)) = (widget(web), &web.captcha_site_key) {
        let _ = write!(
            out,
            "<div class=\"{class}\" data-sitekey=\"{}\"></div>\
             <script src=\"{script}\" async defer></script>",
            esc(site_key)
        );
    }
    let key = filled
        .values
        .get("idempotency_key")
        .map(String::as_str)
        .unwrap_or("");
    if let Some(stamp) = filled.values.get("shown_at") {
        let _ = write!(
            out,
            "<input type=\"hidden\" name=\"shown_at\" value=\"{}\">",
            esc(stamp)
        );
    }
    let _ = writeln!(
        out,
        "<input type=\"hidden\" name=\"idempotency_key\" value=\"{}\">\
         <button type=\"submit\" data-busy=\"Sending…\">Sign up</button></form>\
         </main><script>{SCRIPT}</script></body></html>",
        esc(key)
    );
    out
}

fn render_field(out: &mut String, p: &PageField, filled: &Filled) {
    let required = !OPTIONAL.contains(&p.name);
    let value = filled.values.get(p.name).map(String::as_str).unwrap_or("");
    let error = filled
        .errors
        .iter()
        .find(|(f, _)| f == p.name)
        .map(|(_, e)| format!("{} {e}", p.label));
    let id = p.name;
    let _ = write!(
        out,
        "<label for=\"{id}\">{}{}</label>",
        esc(p.label),
        if required {
            ""
        } else {
            " <span class=\"optional\">(optional)</span>"
        }
    );
    let common = format!(
        "id=\"{id}\" name=\"{id}\" data-label=\"{}\" autocomplete=\"{}\" \
         aria-describedby=\"err-{id}\"{}{}",
        esc(p.label),
        p.autocomplete,
        if required { " required" } else { "" },
        if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        }
    );
    match p.input {
        "select" => {
            let _ = write!(out, "<select {common}>");
            for (v, shown) in [
                ("Individual", "An individual"),
                ("Organisation", "An organisation"),
            ] {
                let selected = if value.eq_ignore_ascii_case(v) {
                    " selected"
                } else {
                    ""
                };
                let _ = write!(out, "<option value=\"{v}\"{selected}>{shown}</option>");
            }
            out.push_str("</select>");
        }
        "textarea" => {
            let _ = write!(
                out,
                "<textarea {common} rows=\"3\" maxlength=\"{}\">{}</textarea>",
                p.max,
                esc(value)
            );
        }
        input => {
            let extra = match input {
                "tel" => " inputmode=\"tel\"",
                _ => "",
            };
            let _ = write!(
                out,
                "<input type=\"{input}\" {common} maxlength=\"{}\" value=\"{}\"{extra}>",
                p.max,
                esc(value)
            );
        }
    }
    let _ = write!(
        out,
        "<p class=\"error\" id=\"err-{id}\" aria-live=\"polite\">{}</p>",
        esc(error.as_deref().unwrap_or(""))
    );
}

/// The page after a signup (the key has no thank-you URL of its own).
pub(super) fn thanks(web: &WebSettings) -> String {
    let mut out = String::with_capacity(2048);
    head(&mut out, web, "Thank you");
    out.push_str(
        "<div role=\"status\"><h2>Thank you!</h2><p>We have your details and will be in \
         touch soon.</p></div></main></body></html>\n",
    );
    out
}

/// A page that is not there (an unknown or withdrawn link), or a refusal of the whole post.
pub(super) fn notice(title: &str, text: &str) -> String {
    let mut out = String::with_capacity(1024);
    head(&mut out, &WebSettings::default(), title);
    let _ = writeln!(out, "<p>{}</p></main></body></html>", esc(text));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_typed_is_escaped() {
        let evil = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&";
        let web = WebSettings {
            title: Some(evil.into()),
            honeypot: Some("website_url".into()),
            fields: vec!["notes".into()],
            ..WebSettings::default()
        };
        let filled = Filled {
            values: [
                ("name".to_owned(), evil.to_owned()),
                ("notes".to_owned(), evil.to_owned()),
            ]
            .into(),
            errors: vec![("name".into(), evil.into()), (String::new(), evil.into())],
        };
        let html = page(&web, &filled);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("\"><img"), "{html}");
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;"));
    }

    #[test]
    fn required_fields_are_always_asked_and_optional_ones_when_chosen() {
        let html = page(&WebSettings::default(), &Filled::default());
        for name in [
            "type", "name", "email", "mobile", "street", "city", "state", "zipcode",
        ] {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
        }
        assert!(!html.contains("name=\"dob\""));
        let web = WebSettings {
            fields: vec!["dob".into()],
            ..WebSettings::default()
        };
        assert!(page(&web, &Filled::default()).contains("name=\"dob\""));
    }

    #[test]
    fn the_csp_allows_exactly_the_page_script() {
        let web = WebSettings::default();
        let policy = csp(&web);
        assert!(policy.contains(&format!("'sha256-{}'", hash(SCRIPT))));
        let html = page(&web, &Filled::default());
        assert!(html.contains(&format!("<style>{}</style>", style(&web))));
        assert!(policy.contains(&format!("'sha256-{}'", hash(&style(&web)))));
        assert!(!policy.contains("unsafe-inline"));
    }
}

/// The API's side of the page's checks: tests/fixtures/web_rules.json, whose every case
/// tests/browser/signup.py runs through the page's script too.
#[cfg(test)]
mod mirror {
    use crate::domain::customer::{CustomerType, Email, Mobile, Zipcode, parse_dob};
    use crate::domain::text;

    #[test]
    fn the_api_agrees_with_the_shared_cases() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/web_rules.json")).unwrap();
        let today = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        for case in cases["cases"].as_array().unwrap() {
            let (field, value, valid) = (
                case[0].as_str().unwrap(),
                case[1].as_str().unwrap(),
                case[2].as_bool().unwrap(),
            );
            let got = match field {
                "type" => CustomerType::parse("type", value).is_ok(),
                "name" | "surname" => text::NAME.parse(field_name(field), value).is_ok(),
                "state" | "city" => text::PLACE.parse("city", value).is_ok(),
                "street" => text::STREET.parse("street", value).is_ok(),
                "notes" => text::NOTES.parse("notes", value).is_ok(),
                "uniqueid" => text::UNIQUE_ID.parse("uniqueid", value).is_ok(),
                "mobile" => Mobile::parse("mobile", value).is_ok(),
                "email" => Email::parse("email", value).is_ok(),
                "zipcode" => Zipcode::parse("zipcode", value).is_ok(),
                "dob" => parse_dob("dob", value, today).is_ok(),
                other => panic!("no rule for {other}"),
            };
            assert_eq!(got, valid, "{field} {value:?}");
        }
    }

    fn field_name(f: &str) -> &'static str {
        if f == "name" { "name" } else { "surname" }
    }
}
