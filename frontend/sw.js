// Tandem's service worker: keeps this deploy's app shell so the installed
// app opens offline, shows pushes (an approval with its Allow once / Reject
// buttons, which answer it with the person's login), and opens the right
// session from a notification.
// The server stamps VERSION from the build it serves, so a new deploy is a
// new worker, which takes over and drops the old shell.
const VERSION = "__TANDEM_SHELL_VERSION__";
const SHELL = `tandem-shell-${VERSION}`;

// The page and what it loads: index.html names the hashed JS, WASM and CSS.
async function keepShell() {
  const cache = await caches.open(SHELL);
  const page = await fetch("/", { cache: "no-store" });
  if (!page.ok) throw new Error(`the app shell answered ${page.status}`);
  const html = await page.clone().text();
  const assets = new Set(["/manifest.webmanifest", "/icons/icon-192.png"]);
  for (const match of html.matchAll(/["'](\/[^"'?#]+\.(?:js|wasm|css))["']/g)) {
    assets.add(match[1]);
  }
  await cache.put("/", page);
  await cache.addAll([...assets]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("tandem-shell-") && key !== SHELL) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API and the socket are live data: never from a cache.
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.mode === "navigate") {
    // The page: fresh when the server answers, the kept shell when not.
    event.respondWith(
      fetch(request).catch(async () => (await caches.open(SHELL)).match("/") || Response.error()),
    );
    return;
  }
  // Hashed assets never change under a name: the kept copy first.
  event.respondWith(
    (async () => (await (await caches.open(SHELL)).match(request)) || fetch(request))(),
  );
});

// A push from Tandem: what waits, or how a session ended. The tag is the
// session's, so a newer push about it replaces the older one.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (_) {
    message = { title: "Tandem", body: event.data ? event.data.text() : "" };
  }
  const url = message.url || "/";
  const actions = (message.actions || []).slice(0, 2).map((a) => ({ action: a.option_id, title: a.title }));
  event.waitUntil(
    self.registration.showNotification(message.title || "Tandem", {
      body: message.body || "",
      tag: url.replace(/^\//, ""),
      data: { url, approval_id: message.approval_id || null, kind: message.kind || "" },
      actions,
      // An approval holds its session up: it stays until answered.
      requireInteraction: message.kind === "approval",
    }),
  );
});

// Answers an approval from its notification, as the person who is logged
// in on this device; the first answer wins, a late one is told who won.
async function answer(approval, option, url) {
  let response;
  try {
    response = await fetch(`/api/approvals/${encodeURIComponent(approval)}/decision`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ option_id: option }),
    });
  } catch (_) {
    return self.registration.showNotification("Not answered: Tandem cannot be reached", {
      body: "Open Tandem to answer.",
      tag: url.replace(/^\//, ""),
      data: { url },
    });
  }
  if (response.ok) return undefined;
  if (response.status === 401) return openApp(url);
  let reason = `Tandem answered ${response.status}`;
  try {
    reason = (await response.json()).error.message || reason;
  } catch (_) {}
  return self.registration.showNotification("Not answered", {
    body: reason,
    tag: url.replace(/^\//, ""),
    data: { url },
  });
}

async function openApp(url) {
  const target = new URL(url || "/", self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin === self.location.origin) {
      await client.focus();
      return client.navigate(target);
    }
  }
  return self.clients.openWindow(target);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  if (event.action && data.approval_id) {
    event.waitUntil(answer(data.approval_id, event.action, data.url || "/"));
    return;
  }
  event.waitUntil(openApp(data.url || "/"));
});
