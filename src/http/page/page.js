// The hosted signup page's checks: the API's own rules (src/domain/customer, text.rs), so a
// visitor sees a field's error in place before posting; the server checks again whatever
// this says. tests/browser/ compares these with the server on tests/fixtures/web_rules.json.
(function () {
  "use strict";
  var CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
  var CONTROL_ML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
  function text(max, multiline) {
    return function (v) {
      v = v.trim();
      if (v === "") return "must not be empty";
      if (Array.from(v).length > max) return "must be at most " + max + " characters";
      if ((multiline ? CONTROL_ML : CONTROL).test(v)) return "must not contain control characters";
      return null;
    };
  }
  function mobile(v) {
    v = v.trim();
    if (v.charAt(0) === "+") v = v.slice(1);
    var digits = 0;
    for (var i = 0; i < v.length; i++) {
      var c = v.charAt(i);
      if (c >= "0" && c <= "9") digits++;
      else if (" -.()".indexOf(c) < 0) return "must be 6 to 15 digits";
    }
    return digits >= 6 && digits <= 15 ? null : "must be 6 to 15 digits";
  }
  function email(v) {
    v = v.trim();
    // The server's check (the email_address crate) is the authority; this catches typos.
    var ok = v.length <= 254 && /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/.test(v);
    return ok ? null : "must be an email address like name@example.com";
  }
  function zipcode(v) {
    v = v.trim();
    return /^[A-Za-z0-9 -]{2,10}$/.test(v) ? null : "must be 2 to 10 letters, digits, spaces or dashes";
  }
  function dob(v) {
    v = v.trim();
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    var bad = "must be a real date in yyyy-mm-dd format";
    if (!m) return bad;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) return bad;
    if (v > new Date().toISOString().slice(0, 10)) return "must not be in the future";
    if (+m[1] < 1850) return "must not be before 1850-01-01";
    return null;
  }
  function choice(v) {
    v = v.trim().toLowerCase();
    return v === "individual" || v === "organisation" ? null : "must be Individual or Organisation";
  }
  var RULES = {
    type: choice, name: text(100, false), surname: text(100, false), dob: dob,
    mobile: mobile, email: email, uniqueid: text(64, false), zipcode: zipcode,
    state: text(100, false), city: text(100, false), street: text(255, true),
    notes: text(4000, true)
  };
  // For the browser tests' comparison with the server: the message, or null when valid.
  window.signupCheck = function (field, value) { return RULES[field](value); };

  var form = document.getElementById("signup");
  if (!form) return;
  var key = form.querySelector("input[name=idempotency_key]");
  // One key per page view: a double click or a resend is the same create, answered once.
  if (key && window.crypto && crypto.randomUUID) key.value = crypto.randomUUID();
  function show(el, message) {
    var out = document.getElementById("err-" + el.name);
    if (out) out.textContent = message ? el.getAttribute("data-label") + " " + message : "";
    if (message) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
  }
  function check(el) {
    var rule = RULES[el.name];
    if (!rule) return null;
    var optional = !el.required && el.value.trim() === "";
    var message = optional ? null : rule(el.value);
    show(el, message);
    return message;
  }
  var fields = form.querySelectorAll("[data-label]");
  Array.prototype.forEach.call(fields, function (el) {
    el.addEventListener("blur", function () { if (el.value !== "") check(el); });
  });
  form.setAttribute("novalidate", "");
  var sent = false;
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }
    var first = null;
    Array.prototype.forEach.call(fields, function (el) {
      if (check(el) && !first) first = el;
    });
    if (first) { e.preventDefault(); first.focus(); return; }
    sent = true;
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = button.getAttribute("data-busy"); }
  });
})();
