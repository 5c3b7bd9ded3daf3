// The inspection result on a tablet: a result typed while the network is down is kept on the
// device (localStorage) and sent when it returns. Without this script the form posts as usual;
// the server records a result sent twice once, by its result_key.
(function () {
  "use strict";
  var form = document.getElementById("result-form");
  if (!form || !window.localStorage || !window.fetch || !window.FormData) {
    return;
  }
  var KEY = "hetao.inspection-result." + form.dataset.inspection;
  // Photos kept offline as data URLs only while the whole result stays this small.
  var KEEP_PHOTOS_BYTES = 2 * 1024 * 1024;
  var status = document.getElementById("offline-status");

  function show(text) {
    status.textContent = text;
    status.hidden = false;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    return String(Date.now()) + String(Math.random()).slice(2, 12);
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve({ name: file.name, url: reader.result }); };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function dataUrlToBlob(url) {
    var parts = url.split(",");
    var type = parts[0].split(":")[1].split(";")[0];
    var bytes = atob(parts[1]);
    var buffer = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) {
      buffer[i] = bytes.charCodeAt(i);
    }
    return new Blob([buffer], { type: type });
  }

  function keep() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") {
        fields.push([name, value]);
      }
    });
    var input = form.querySelector("input[type=file]");
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    var withPhotos = total <= KEEP_PHOTOS_BYTES;
    var photos = withPhotos ? Promise.all(files.map(readFile)) : Promise.resolve([]);
    return photos.then(function (kept) {
      var entry = { action: form.action, fields: fields, photos: kept };
      try {
        localStorage.setItem(KEY, JSON.stringify(entry));
      } catch (full) {
        entry.photos = [];
        withPhotos = false;
        localStorage.setItem(KEY, JSON.stringify(entry));
      }
      show(withPhotos || !files.length ? form.dataset.queued : form.dataset.queuedNoPhotos);
    });
  }

  function restore(entry) {
    // What was typed comes back into the form, to be corrected and sent by hand.
    entry.fields.forEach(function (pair) {
      if (pair[0] === "csrf_token") {
        return;
      }
      form.querySelectorAll("[name='" + pair[0] + "']").forEach(function (field) {
        if (field.type === "radio" || field.type === "checkbox") {
          field.checked = field.value === pair[1];
        } else {
          field.value = pair[1];
        }
      });
    });
  }

  function showReasons(html) {
    // The server's own words on what to correct, from the page it answered with.
    var answer = new DOMParser().parseFromString(html, "text/html");
    var summary = answer.getElementById("error-summary");
    if (!summary) {
      return;
    }
    var shown = form.querySelector("#error-summary");
    if (shown) {
      shown.remove();
    }
    status.parentNode.insertBefore(document.importNode(summary, true), status);
  }

  function send() {
    var stored = localStorage.getItem(KEY);
    if (!stored || !navigator.onLine) {
      return;
    }
    var entry = JSON.parse(stored);
    if (entry.refused) {
      return;
    }
    var body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    entry.photos.forEach(function (photo) { body.append("photos", dataUrlToBlob(photo.url), photo.name); });
    show(form.dataset.sending);
    fetch(entry.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var signedOut = response.url.indexOf("/login") !== -1;
        if (response.ok && !signedOut) {
          localStorage.removeItem(KEY);
          show(form.dataset.sent);
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        } else if (response.status >= 400 && response.status < 500) {
          // Refused (a rule, a missing field): kept, and put back in the form to correct.
          entry.refused = true;
          localStorage.setItem(KEY, JSON.stringify(entry));
          restore(entry);
          show(form.dataset.refused);
          response.text().then(showReasons);
        } else {
          show(form.dataset.queued); // signed out or the server is away: tried again later
        }
      })
      .catch(function () { show(form.dataset.queued); });
  }

  var keyField = form.querySelector("input[name=result_key]");
  if (keyField && !keyField.value) {
    keyField.value = newKey();
  }
  form.addEventListener("submit", function (event) {
    if (navigator.onLine) {
      localStorage.removeItem(KEY); // this sending replaces what the device kept
      return; // the form posts as it would without this script
    }
    event.preventDefault();
    keep();
  });
  window.addEventListener("online", send);
  // A result kept by an earlier visit is offered again as soon as the page opens online.
  var kept = localStorage.getItem(KEY);
  if (kept && JSON.parse(kept).refused) {
    restore(JSON.parse(kept));
    show(form.dataset.refused);
  } else if (kept) {
    if (navigator.onLine) {
      send();
    } else {
      show(form.dataset.queued);
    }
  }
  window.setInterval(send, 15000);
})();
