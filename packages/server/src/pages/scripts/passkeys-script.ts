/**
 * The hosted pages' passkey script, served as a static file (`/assets/scripts/passkeys-<hash>.js`,
 * never inline, so the CSP needs only `script-src 'self'`). It enhances two buttons the server
 * renders hidden, shown only where the browser has WebAuthn:
 *
 * - `[data-passkey-sign-in]` on /login: the JSON API's `/passkeys/login/options` and
 *   `/passkeys/login/verify` (the same checks as any client), then on to the button's
 *   `data-return-to` (a path the server already checked);
 * - `[data-passkey-register]` on /account/security: `/passkeys/register/options` and
 *   `/passkeys/register/verify` with the name typed in `#passkey-name`, then a reload; a session
 *   signed in too long ago (REAUTH_REQUIRED) shows `[data-passkey-reauth]`, its way to sign in again.
 *
 * Options and answers pass through PublicKeyCredential.parse*OptionsFromJSON and toJSON()
 * (WebAuthn Level 3 §5.1.8–§5.1.10). Errors are shown as text in the `[data-passkey-status]`.
 */
export const PASSKEYS_SCRIPT = `'use strict';
(function () {
  var api = document.documentElement.getAttribute('data-api') || '/api/auth';
  var supported = typeof window.PublicKeyCredential === 'function' &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';
  function status(text) {
    var el = document.querySelector('[data-passkey-status]');
    if (el) { el.textContent = text; el.hidden = text === ''; }
  }
  function post(path, body) {
    return fetch(api + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) {
          var error = new Error((json.error && json.error.message) || 'The request failed');
          error.code = json.error && json.error.code;
          throw error;
        }
        return json;
      });
    });
  }
  function failed(error) {
    var name = error && error.name;
    status(name === 'NotAllowedError' || name === 'AbortError'
      ? 'The passkey prompt was closed. Try again.'
      : (error && error.message) || 'That did not work. Try again.');
  }
  var signIn = document.querySelector('[data-passkey-sign-in]');
  if (signIn && supported) {
    signIn.hidden = false;
    signIn.addEventListener('click', function () {
      status('');
      var emailField = document.getElementById('email');
      var email = emailField && emailField.value ? emailField.value : undefined;
      post('/passkeys/login/options', email ? { email: email } : {})
        .then(function (answer) {
          return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(answer.options) });
        })
        .then(function (credential) { return post('/passkeys/login/verify', { credential: credential.toJSON() }); })
        .then(function () { window.location.assign(signIn.getAttribute('data-return-to') || '/login/done'); })
        .catch(failed);
    });
  }
  var register = document.querySelector('[data-passkey-register]');
  if (register && supported) {
    register.hidden = false;
    var trigger = register.tagName === 'BUTTON' ? register : register.querySelector('button');
    trigger.addEventListener('click', function () {
      status('');
      var nameField = document.getElementById('passkey-name');
      var name = nameField && nameField.value ? nameField.value : undefined;
      post('/passkeys/register/options', {})
        .then(function (answer) {
          return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(answer.options) });
        })
        .then(function (credential) {
          var body = { credential: credential.toJSON() };
          if (name) body.name = name;
          return post('/passkeys/register/verify', body);
        })
        .then(function () { window.location.reload(); })
        .catch(function (error) {
          var reauth = document.querySelector('[data-passkey-reauth]');
          if (error && error.code === 'REAUTH_REQUIRED' && reauth) reauth.hidden = false;
          else failed(error);
        });
    });
  }
})();
`;
