// Passkeys (WebAuthn): shows the passkey controls the server rendered hidden ([data-passkey]) when this browser
// can use passkeys, asks the server for options, hands them to navigator.credentials, and posts the answer back
// as JSON with the CSRF header. Binary fields travel as base64url both ways. The server's JSON answer is either
// {"redirect": url} or {"error": message in the visitor's language}.
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    var options = Object.assign({}, json, { challenge: fromBase64url(json.challenge) });
    if (json.allowCredentials) {
      options.allowCredentials = descriptors(json.allowCredentials);
    }
    return options;
  }

  function created(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
    };
  }

  function asserted(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: toBase64url(response.userHandle),
      },
    };
  }

  function post(box, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (json) {
          return json;
        },
        function () {
          return { error: box.dataset.failed };
        },
      );
    });
  }

  function showError(box, message) {
    var error = box.querySelector("[data-passkey-error]");
    error.textContent = "";
    var paragraph = document.createElement("p");
    paragraph.textContent = message;
    error.appendChild(paragraph);
    error.hidden = false;
  }

  function start(box, button) {
    var creating = box.dataset.passkey === "create";
    var nameField = box.querySelector("[data-passkey-name]");
    if (nameField && !nameField.value.trim()) {
      showError(box, box.dataset.nameMissing);
      nameField.focus();
      return;
    }
    button.disabled = true;
    box.querySelector("[data-passkey-error]").hidden = true;
    post(box, box.dataset.options, {})
      .then(function (options) {
        if (options.error) {
          throw new Error(options.error);
        }
        var ceremony = creating
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
        return ceremony.then(
          function (credential) {
            var body = { credential: creating ? created(credential) : asserted(credential), next: box.dataset.next };
            if (nameField) {
              body.name = nameField.value;
            }
            return post(box, box.dataset.action, body);
          },
          function () {
            throw new Error(box.dataset.failed);
          },
        );
      })
      .then(function (answer) {
        if (answer.redirect) {
          window.location.assign(answer.redirect);
          return;
        }
        throw new Error(answer.error || box.dataset.failed);
      })
      .catch(function (error) {
        showError(box, error && error.message ? error.message : box.dataset.failed);
        button.disabled = false;
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-passkey]").forEach(function (box) {
      var note = box.nextElementSibling;
      if (note && note.hasAttribute("data-passkey-note")) {
        if (supported) {
          note.hidden = true;
        } else {
          note.textContent = note.dataset.unsupported;
        }
      }
      if (!supported) {
        return;
      }
      var button = box.querySelector("[data-passkey-start]");
      button.addEventListener("click", function () {
        start(box, button);
      });
      var nameField = box.querySelector("[data-passkey-name]");
      if (nameField) {
        nameField.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            start(box, button);
          }
        });
      }
      box.hidden = false;
    });
  });
})();
