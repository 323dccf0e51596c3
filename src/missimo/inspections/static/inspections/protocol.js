/* Field protocol: every change is saved at once (one field per request, with the version of the
   flat it belongs to). Unsent changes live in localStorage until the server has them, so nothing
   typed is lost when the connection drops; they are re-sent when the tablet is back online. */
(function () {
  "use strict";
  var root = document.getElementById("protokoll");
  if (!root || root.dataset.editable !== "1") return;
  var url = root.dataset.saveUrl;
  var storeKey = "missimo-protokoll-" + root.dataset.visit;
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var forms = {};
  var versions = {};
  var paused = {};
  var inflight = false;
  var retryTimer = null;

  Array.prototype.forEach.call(root.querySelectorAll("form[data-household]"), function (form) {
    forms[form.dataset.household] = form;
    versions[form.dataset.household] = parseInt(form.dataset.version, 10);
  });

  function load() {
    try {
      var stored = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (stored && Array.isArray(stored.queue)) return stored;
    } catch (e) { /* unreadable: start empty */ }
    return { queue: [], versions: {} };
  }
  var state = load();
  // A flat with unsent changes keeps the version those changes were typed against.
  state.queue.forEach(function (item) {
    if (state.versions[item.household] !== undefined) versions[item.household] = state.versions[item.household];
  });

  function persist() {
    var pending = {};
    state.queue.forEach(function (item) { pending[item.household] = versions[item.household]; });
    state.versions = pending;
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* storage full */ }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function valueOf(form, field) {
    var inputs = form.querySelectorAll("[data-field='" + field + "']");
    if (!inputs.length) return null;
    var first = inputs[0];
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (first.type === "radio") {
      var checked = Array.prototype.filter.call(inputs, function (i) { return i.checked; })[0];
      return checked ? checked.value : null;
    }
    return first.value;
  }

  function show(form, field, value) {
    var inputs = form.querySelectorAll("[data-field='" + field + "']");
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "checkbox") input.checked = (value || []).indexOf(input.value) >= 0;
      else if (input.type === "radio") input.checked = input.value === value;
      else input.value = value === null || value === undefined ? "" : value;
    });
  }

  function setStatus(household, kind, text) {
    var form = forms[household];
    if (!form) return;
    var status = form.querySelector("[data-status]");
    status.dataset.state = kind;
    status.textContent = text;
  }

  var TEXT = {
    pending: "wird gespeichert …",
    saved: "gespeichert",
    retry: "nicht gespeichert – wird erneut versucht (Eingaben bleiben auf diesem Gerät)",
    login: "nicht gespeichert – bitte erneut anmelden (Eingaben bleiben auf diesem Gerät)"
  };

  function showLogin() {
    var status = document.getElementById("protokoll-status");
    if (!status || status.querySelector("a")) return;
    status.textContent = "Ihre Anmeldung ist abgelaufen. Ihre Eingaben sind auf diesem Gerät gespeichert. ";
    var link = document.createElement("a");
    link.className = "kern-link";
    link.href = root.dataset.loginUrl;
    link.textContent = "Erneut anmelden und Eingaben senden";
    status.appendChild(link);
  }

  function pendingFor(household) {
    return state.queue.some(function (item) { return item.household === household; });
  }

  var typingTimer = null;

  function enqueue(household, field, value, typing) {
    var key = household + "|" + field;
    var waiting = state.queue.some(function (q) { return q.household === household && q.field === field; });
    if (!waiting && known[key] === JSON.stringify(value)) return;
    // A change not yet on its way replaces an older unsent change of the same field.
    var start = inflight ? 1 : 0;
    for (var i = state.queue.length - 1; i >= start; i--) {
      var item = state.queue[i];
      if (item.household === household && item.field === field) state.queue.splice(i, 1);
    }
    state.queue.push({ change_id: newId(), household: household, field: field, value: value });
    persist();
    setStatus(household, "pending", TEXT.pending);
    clearTimeout(typingTimer);
    if (typing) typingTimer = setTimeout(flush, 800);
    else flush();
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 3000);
  }

  function nextItem() {
    for (var i = 0; i < state.queue.length; i++) {
      if (!paused[state.queue[i].household]) return state.queue[i];
    }
    return null;
  }

  function label(text) {
    var span = document.createElement("span");
    span.className = "kern-label";
    span.textContent = text;
    return span;
  }

  function conflict(item, data) {
    var household = item.household;
    var form = forms[household];
    paused[household] = data.current;
    setStatus(household, "conflict", data.error);
    var old = form.querySelector(".protocol-conflict");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "protocol-conflict kern-alert kern-alert--warning";
    box.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "kern-alert__body";
    var text = document.createElement("p");
    text.className = "kern-body";
    text.textContent = "Diese Wohnung wurde inzwischen auf einem anderen Gerät geändert. Ihre Eingaben sind noch nicht gespeichert.";
    var keep = document.createElement("button");
    keep.type = "button";
    keep.className = "kern-btn kern-btn--primary";
    keep.appendChild(label("Meine Eingaben speichern"));
    var take = document.createElement("button");
    take.type = "button";
    take.className = "kern-btn kern-btn--secondary";
    take.appendChild(label("Geänderten Stand übernehmen"));
    keep.addEventListener("click", function () {
      versions[household] = data.current.version;
      delete paused[household];
      box.remove();
      persist();
      setStatus(household, "pending", TEXT.pending);
      flush();
    });
    take.addEventListener("click", function () {
      state.queue = state.queue.filter(function (q) { return q.household !== household; });
      versions[household] = data.current.version;
      Object.keys(data.current.values).forEach(function (field) { show(form, field, data.current.values[field]); });
      delete paused[household];
      box.remove();
      persist();
      setStatus(household, "saved", TEXT.saved);
    });
    body.appendChild(text);
    body.appendChild(keep);
    body.appendChild(take);
    box.appendChild(body);
    form.querySelector("[data-status]").after(box);
  }

  function flush() {
    if (inflight) return;
    var item = nextItem();
    if (!item) return;
    inflight = true;
    var body = JSON.stringify({
      change_id: item.change_id, household: item.household, field: item.field,
      value: item.value, version: versions[item.household]
    });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        inflight = false;
        if (response.ok && typeof data.version === "number") {
          versions[item.household] = data.version;
          known[item.household + "|" + item.field] = JSON.stringify(item.value);
          state.queue = state.queue.filter(function (q) { return q.change_id !== item.change_id; });
          persist();
          if (!pendingFor(item.household)) setStatus(item.household, "saved", TEXT.saved);
        } else if (response.status === 409 && data.current) {
          conflict(item, data);
        } else if ((response.status === 400 || response.status === 409) && data.error) {
          state.queue = state.queue.filter(function (q) { return q.change_id !== item.change_id; });
          persist();
          setStatus(item.household, "error", "nicht gespeichert: " + (data.error || "ungültige Eingabe"));
        } else if (response.redirected || response.status === 401 || response.status === 403) {
          // Logged out (session expired) or the form token is stale: keep everything on the device
          // and ask for a new log-in; the reopened page sends it.
          state.queue.forEach(function (q) { setStatus(q.household, "retry", TEXT.login); });
          showLogin();
          return;
        } else {
          setStatus(item.household, "retry", TEXT.retry);
          scheduleRetry();
          return;
        }
        flush();
      });
    }).catch(function () {
      inflight = false;
      state.queue.forEach(function (q) { setStatus(q.household, "retry", TEXT.retry); });
      scheduleRetry();
    });
  }

  var known = {};
  Object.keys(forms).forEach(function (household) {
    var form = forms[household];
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (input) {
      known[household + "|" + input.dataset.field] = JSON.stringify(valueOf(form, input.dataset.field));
    });
    form.addEventListener("change", function (event) {
      var field = event.target.dataset.field;
      if (field) enqueue(household, field, valueOf(form, field), false);
    });
    form.addEventListener("input", function (event) {
      var field = event.target.dataset.field;
      if (!field || event.target.type === "radio" || event.target.type === "checkbox") return;
      // Every keystroke is kept on the device at once; it is sent after a short pause in typing.
      enqueue(household, field, valueOf(form, field), true);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      flush();
    });
  });

  // Unsent input from an earlier visit of this page (e.g. the tablet lost its connection and the
  // page was reloaded): show it again and send it.
  state.queue.forEach(function (item) {
    var form = forms[item.household];
    if (form) {
      show(form, item.field, item.value);
      setStatus(item.household, "retry", TEXT.retry);
    }
  });
  state.queue = state.queue.filter(function (item) { return forms[item.household]; });
  persist();
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    state.queue.forEach(function (q) { setStatus(q.household, "retry", TEXT.retry); });
  });
  flush();
})();
