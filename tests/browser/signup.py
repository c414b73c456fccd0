"""Web signup in headless Chromium (issue 21), run by tests/browser/main.rs.

argv[1]: JSON config (the API's URL, the form key and an ISP user's credentials, a free
port for "another site", Chromium's path, the screenshot directory, the shared rules file).
The script serves the other site's pages itself, on 127.0.0.1 (an allowed origin) and
localhost (the same server, another origin: not allowed). Each check prints one line; the
first failure raises, and the exit status says whether all passed.
"""

import http.server
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

cfg = json.loads(sys.argv[1])
API = cfg["api"]
PORT = cfg["site_port"]
SITE = f"http://127.0.0.1:{PORT}"
OTHER = f"http://localhost:{PORT}"
SHOTS = Path(cfg["screenshots"])
CREATE = f"{API}/api/customer/create?userid={cfg['form_userid']}&api_key={cfg['form_key']}"
passed = []


def check(name, ok, detail=""):
    if not ok:
        raise AssertionError(f"{name}: {detail}")
    passed.append(name)
    print(f"ok  {name}", flush=True)


def call(route, **params):
    params.update(userid=cfg["isp_userid"], api_key=cfg["isp_key"])
    data = urllib.parse.urlencode(params).encode()
    req = urllib.request.Request(f"{API}/api/{route}", data=data, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def update(**settings):
    r = call("user/update", target_userid=cfg["form_userid"], **settings)
    assert r.get("result") == "done", r


def customers(name):
    return call("customer/list", name=name).get("result") or []


def page_id():
    users = call("user/list", role="form")["result"]
    me = next(u for u in users if u["userid"] == cfg["form_userid"])
    return me["form_web"]["page"]


FIELDS = """
<label>Type <select name="type"><option>Individual</option></select></label>
<label>Name <input name="name"></label><label>Email <input name="email"></label>
<label>Mobile <input name="mobile"></label><label>Street <input name="street"></label>
<label>City <input name="city"></label><label>State <input name="state"></label>
<label>Zip <input name="zipcode"></label>
"""

SITE_PAGES = {
    # The README's snippet 2: a plain HTML form on the ISP's own site.
    "/form.html": f"""<!doctype html><meta charset="utf-8"><title>Join us</title>
<form method="post" action="{CREATE}">{FIELDS}<button>Sign up</button></form>""",
    "/thanks.html": "<!doctype html><meta charset=utf-8><title>Thanks</title><h1>Thanks!</h1>",
    "/error.html": "<!doctype html><meta charset=utf-8><title>Error</title><h1>Please check</h1>",
    # The README's snippet 3: a script on the ISP's site, reading the reply (CORS).
    "/fetch.html": f"""<!doctype html><meta charset="utf-8"><title>fetch</title><script>
async function signUp(fields) {{
  try {{
    const r = await fetch("{CREATE}", {{method: "POST",
      headers: {{"content-type": "application/json"}}, body: JSON.stringify(fields)}});
    return await r.json();
  }} catch (e) {{ return "blocked: " + e.name; }}
}}
</script>""",
}


def timed_page(pid):
    """The README's snippet 2 with a minimum fill time: the form's script puts a signed time
    from the stamp route in its hidden shown_at (data-stamped: for the test to wait on)."""
    return f"""<!doctype html><meta charset="utf-8"><title>Join us</title>
<form method="post" action="{CREATE}"><input type="hidden" name="shown_at">{FIELDS}
<button>Sign up</button></form>
<script>
fetch("{API}/signup/{pid}/stamp").then(r => r.json()).then(j => {{
  document.querySelector("[name=shown_at]").value = j.result.shown_at;
  document.body.dataset.stamped = "1";
}});
</script>"""


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        body = timed_page(page_id()) if path == "/timed.html" else SITE_PAGES.get(path)
        self.send_response(200 if body else 404)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "not found").encode())

    def do_POST(self):
        # The CAPTCHA provider's stand-in (CAPTCHA_TURNSTILE_URL): it says no.
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps({"success": False, "error-codes": ["invalid-input-response"]})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def valid(name, **over):
    v = dict(type="Individual", name=name, email="zoe@example.com", mobile="+91 98765-43210",
             street="Rua Augusta 1500\nApto 4", city="São Paulo", state="SP", zipcode="01310-100")
    v.update(over)
    return v


def fill(page, values):
    for k, v in values.items():
        if k == "type":
            page.select_option(f"[name={k}]", v)
        else:
            page.fill(f"[name={k}]", v)


def run(browser):
    pid = page_id()
    hosted = f"{API}/signup/{pid}"

    # The page's checks agree with the API's on the shared cases.
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, device_scale_factor=2)
    page = ctx.new_page()
    page.goto(hosted)
    rules = json.loads(Path(cfg["rules"]).read_text())["cases"]
    for field, value, ok in rules:
        got = page.evaluate("([f, v]) => window.signupCheck(f, v)", [field, value])
        check(f"rule {field} {value!r}", (got is None) == ok, f"page says {got!r}, API valid={ok}")
    page.screenshot(path=str(SHOTS / "signup-phone.png"), full_page=True)
    check("phone screenshot", (SHOTS / "signup-phone.png").stat().st_size > 0)

    # Fill, double-click submit: the thank-you page, one customer with the typed values.
    name = "Zoë Ñandú 山田"
    fill(page, valid(name, surname="Łukasiewicz", notes="Ünïcode ✓ — fibre please"))
    page.dblclick("button[type=submit]")
    page.wait_for_url("**/thanks")
    check("hosted: thank-you page", "Thank you" in page.content())
    rows = customers(name)
    check("hosted: one customer for a double click", len(rows) == 1, rows)
    c = rows[0]
    check("hosted: values stored as typed (Unicode)",
          (c["surname"], c["city"], c["mobile"], c["notes"]) ==
          ("Łukasiewicz", "São Paulo", "+919876543210", "Ünïcode ✓ — fibre please"), c)

    # An invalid mobile: the error next to the field, nothing sent, nothing written.
    page.goto(hosted)
    fill(page, valid("Invalid Mobile Ida", mobile="12ab"))
    page.click("button[type=submit]")
    err = page.locator("#err-mobile")
    err.wait_for()
    check("hosted: the mobile's error in place",
          err.inner_text() == "Mobile number must be 6 to 15 digits", err.inner_text())
    check("hosted: still on the page", page.url == hosted, page.url)
    check("hosted: the field marked invalid",
          page.get_attribute("#mobile", "aria-invalid") == "true")
    page.screenshot(path=str(SHOTS / "signup-phone-error.png"), full_page=True)
    check("hosted: nothing written for an invalid mobile", customers("Invalid Mobile Ida") == [])

    # A filled honeypot: answered with the thank-you page, nothing written.
    page.goto(hosted)
    fill(page, valid("Honey Pot Bot"))
    page.evaluate("document.querySelector('[name=website_url]').value = 'http://spam.example'")
    page.click("button[type=submit]")
    page.wait_for_url("**/thanks")
    check("honeypot: answered as a success, nothing written", customers("Honey Pot Bot") == [])
    ctx.close()

    # Desktop width.
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(hosted)
    page.screenshot(path=str(SHOTS / "signup-desktop.png"), full_page=True)
    check("desktop screenshot", (SHOTS / "signup-desktop.png").stat().st_size > 0)
    ctx.close()

    # JavaScript disabled: the server's checks, the same error in place; then created.
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(hosted)
    fill(page, valid("Ohne Skript Jürgen", mobile="12ab"))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    check("no JS: the server's error next to the field",
          page.inner_text("#err-mobile") == "Mobile number must be 6 to 15 digits",
          page.inner_text("#err-mobile"))
    check("no JS: the typed name kept", page.input_value("#name") == "Ohne Skript Jürgen")
    check("no JS: nothing written for an invalid mobile", customers("Ohne Skript Jürgen") == [])
    page.fill("#mobile", "98765 43210")
    page.click("button[type=submit]")
    page.wait_for_url("**/thanks")
    check("no JS: created", len(customers("Ohne Skript Jürgen")) == 1)
    ctx.close()

    # A minimum fill time: a post sooner is refused with the reason, nothing written; the
    # same page sent again later is created.
    update(form_min_seconds="2")
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(hosted)
    fill(page, valid("Quick Fill Quentin"))
    page.click("button[type=submit]")
    page.wait_for_selector(".summary")
    check("min fill time: a quick post refused with the reason",
          "sent too quickly" in page.inner_text(".summary"), page.inner_text(".summary"))
    check("min fill time: nothing written", customers("Quick Fill Quentin") == [])
    time.sleep(2.1)
    page.click("button[type=submit]")
    page.wait_for_url("**/thanks")
    check("min fill time: sent again later, created", len(customers("Quick Fill Quentin")) == 1)
    ctx.close()
    update(form_min_seconds="0")

    # A CAPTCHA whose provider (the stand-in) says no: the reason on the page, nothing written.
    update(form_captcha="turnstile", form_captcha_site_key="1x00000000000000000000AA",
           form_captcha_secret="1x0000000000000000000000000000000AA")
    ctx = browser.new_context()
    page = ctx.new_page()
    # The widget's script is the provider's: the page is usable before it loads (or fails to).
    page.goto(hosted, wait_until="domcontentloaded")
    check("captcha: the widget is on the page", page.locator(".cf-turnstile").count() == 1)
    fill(page, valid("Captcha Refused Carla"))
    page.evaluate("""() => { const f = document.getElementById('signup');
        if (!f.querySelector('[name=cf-turnstile-response]')) {
          const i = document.createElement('input'); i.type = 'hidden';
          i.name = 'cf-turnstile-response'; f.appendChild(i); }
        f.querySelector('[name=cf-turnstile-response]').value = 'a-token'; }""")
    page.click("button[type=submit]")
    page.wait_for_selector(".summary")
    check("captcha: refused by the provider, the reason shown",
          "CAPTCHA check failed" in page.inner_text(".summary"), page.inner_text(".summary"))
    check("captcha: nothing written", customers("Captcha Refused Carla") == [])
    ctx.close()
    update(form_captcha="", form_captcha_secret="", form_captcha_site_key="")

    # A plain HTML form on another site: 303 to its thank-you page, with the id.
    update(form_thanks_url=f"{SITE}/thanks.html", form_error_url=f"{SITE}/error.html",
           form_thanks_id="Y")
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{SITE}/form.html")
    fill(page, valid("Plain Form Paulo"))
    page.click("button")
    page.wait_for_url(f"{SITE}/thanks.html?id=*")
    rows = customers("Plain Form Paulo")
    check("plain form: redirected to the site's thank-you page with the id",
          len(rows) == 1 and page.url.endswith(f"id={rows[0]['id']}"), (page.url, rows))
    page.goto(f"{SITE}/form.html")
    fill(page, valid("Plain Form Error", mobile="12ab"))
    page.click("button")
    page.wait_for_url(f"{SITE}/error.html?*")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    check("plain form: refused, to the error page with field and reason",
          q == {"field": ["mobile"], "reason": ["must be 6 to 15 digits"]}, page.url)
    check("plain form: nothing written when refused", customers("Plain Form Error") == [])

    # fetch() from an allowed origin reads the reply; from another the browser blocks it.
    page.goto(f"{SITE}/fetch.html")
    reply = page.evaluate("f => signUp(f)", valid("Fetch Allowed Fatima"))
    check("fetch: an allowed origin reads the reply",
          isinstance(reply, dict) and isinstance(reply.get("result"), int), reply)
    page.goto(f"{OTHER}/fetch.html")
    reply = page.evaluate("f => signUp(f)", valid("Fetch Blocked Boris"))
    check("fetch: another origin is blocked", reply == "blocked: TypeError", reply)
    check("fetch: the blocked call wrote nothing (its preflight failed)",
          customers("Fetch Blocked Boris") == [])
    ctx.close()

    # The ISP's own HTML form with a minimum fill time: its script fetches a signed time
    # (the stamp route, read through CORS); a quick post goes to the error page, nothing
    # written; a patient one to the thank-you page. The thank-you and error URLs are still set.
    update(form_min_seconds="2")
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{SITE}/timed.html")
    page.wait_for_selector("body[data-stamped]")
    check("own form: its script put a signed time in shown_at",
          page.input_value("[name=shown_at]").count(".") == 1,
          page.input_value("[name=shown_at]"))
    fill(page, valid("Timed Quick Tina"))
    page.click("button")
    page.wait_for_url(f"{SITE}/error.html?*")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    check("own form: sent too quickly, to the error page with the reason",
          q.get("field") == ["shown_at"] and q["reason"][0].startswith("sent too quickly"),
          page.url)
    check("own form: nothing written when sent too quickly", customers("Timed Quick Tina") == [])
    page.goto(f"{SITE}/timed.html")
    page.wait_for_selector("body[data-stamped]")
    fill(page, valid("Timed Patient Paula"))
    time.sleep(2.1)
    page.click("button")
    page.wait_for_url(f"{SITE}/thanks.html?id=*")
    check("own form: sent after the minimum, created",
          len(customers("Timed Patient Paula")) == 1)
    ctx.close()

    # Without JavaScript the form sends no shown_at: refused by default (form_unstamped),
    # let through where the key allows it.
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{SITE}/timed.html")
    fill(page, valid("Timed Scriptless Sam"))
    page.click("button")
    page.wait_for_url(f"{SITE}/error.html?*")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    check("own form, no JS: refused without a stamp, the reason on the error page",
          q.get("field") == ["shown_at"] and q["reason"][0].startswith("missing"), page.url)
    check("own form, no JS: nothing written", customers("Timed Scriptless Sam") == [])
    update(form_unstamped="allow")
    page.goto(f"{SITE}/timed.html")
    fill(page, valid("Timed Scriptless Sam"))
    page.click("button")
    page.wait_for_url(f"{SITE}/thanks.html?id=*")
    check("own form, no JS: created where the key allows posts without a stamp",
          len(customers("Timed Scriptless Sam")) == 1)
    ctx.close()
    update(form_min_seconds="0", form_unstamped="")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    update(form_page="on", form_page_title="Fibre Ünïcode & Co <Net>",
           form_page_fields="surname,notes", form_honeypot="website_url",
           form_origins=SITE, form_thanks_url="", form_error_url="")
    started = time.monotonic()
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        browser = p.chromium.launch(executable_path=cfg["chromium"],
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            run(browser)
        finally:
            browser.close()
            server.shutdown()
    print(f"{len(passed)} browser checks passed in {time.monotonic() - started:.1f} s; "
          f"screenshots in {SHOTS}")


if __name__ == "__main__":
    main()
